// The player page's script, served at /static/player.js so the pages need no inline script
// (CSP `script-src 'self'`). Plain ES5 on purpose: it is sent to browsers as is.
//
// Playback that survives expiry: signatures (URL or cookie) expire while a viewer pauses, or a
// window rolls over; the CDN then answers 403 to the next segment or key. A response hook on
// Video.js's HLS engine (videojs.Vhs.xhr.onResponse, called for every playlist, segment and key
// request) notices the 403 from the CDN, and the page loads a fresh playlist (new signatures) and
// resumes where the viewer was: remember currentTime, player.src(playlist?r=...), seek back, play
// if it was playing. The player's own error for that request is swallowed (a `beforeerror` hook),
// so nothing shows. Retries are bounded: after MAX_RECOVERIES recoveries without playback moving on
// the page says so instead of looping. When the playlist request itself is refused (401/403 from
// hlsgate: the viewer is no longer entitled), the page shows hlsgate's reason and stops.
//
// State for tests and diagnostics: window.__hlsgateErrors (player errors shown), __hlsgateRecoveries
// (one entry per recovery), __hlsgateNotice (the message shown, if any), __hlsgatePlayer.

export const PLAYER_SCRIPT = `(function () {
  'use strict';
  var errors = (window.__hlsgateErrors = window.__hlsgateErrors || []);
  var recoveries = (window.__hlsgateRecoveries = window.__hlsgateRecoveries || []);
  function record(source, detail) {
    var entry = { source: source, code: detail && detail.code, message: (detail && detail.message) || String(detail) };
    errors.push(entry);
    if (window.console && console.error) console.error('hlsgate player:', entry);
  }
  var el = document.getElementById('player');
  if (!el) return;
  var videojs = window.videojs;
  if (typeof videojs !== 'function') {
    record('load', { message: 'Video.js did not load' });
    return;
  }
  var playlistUrl = el.getAttribute('data-playlist-url') || '';
  var signingMode = el.getAttribute('data-signing-mode') || 'wildcard';
  var notice = document.getElementById('player-notice');
  var TYPE = 'application/x-mpegURL';
  var MAX_RECOVERIES = 3;
  /** Seconds of playback after a recovery that count as "it works again". */
  var PROGRESS_SECONDS = 4;

  /** From a refusal until the fresh playlist has loaded. */
  var recovering = false;
  /** From a refusal until the fresh source is set: player errors until then belong to the refused one. */
  var switching = false;
  var stopped = false;
  var attempts = 0;
  var resumeAt = 0;
  var lastTime = 0;

  // Cookie mode: the CloudFront cookies must travel with the CDN requests (CORS credentials).
  var player = videojs('player', { fluid: true, html5: { vhs: { withCredentials: signingMode === 'cookies' } } });
  window.__hlsgatePlayer = player;

  function absolute(uri) {
    try {
      return new URL(uri, window.location.href);
    } catch (e) {
      return null;
    }
  }

  /** A playlist served by hlsgate itself (same origin, .m3u8). */
  function isServicePlaylist(uri) {
    var u = absolute(uri);
    return !!u && u.origin === window.location.origin && /\\.m3u8$/i.test(u.pathname);
  }

  function showNotice(text) {
    stopped = true;
    recovering = false;
    window.__hlsgateNotice = text;
    if (notice) {
      notice.textContent = text;
      notice.hidden = false;
    }
    try {
      player.pause();
    } catch (e) {
      /* the player may be half torn down */
    }
  }

  /** hlsgate's plain-text refusal ("401 the viewing token has expired: ..."), as a sentence. */
  function refusalText(request, response) {
    var body = (response && typeof response.body === 'string' && response.body) || (request && typeof request.responseText === 'string' && request.responseText) || '';
    body = body.replace(/^\\s*\\d{3}\\s+/, '').replace(/\\s+$/, '');
    if (!body || body.length > 400) return 'You can no longer watch this video. Open it again from the site that sent you here.';
    return body.charAt(0).toUpperCase() + body.slice(1) + (/[.!?]$/.test(body) ? '' : '.');
  }

  function recover(reason) {
    if (recovering || stopped) return;
    if (attempts >= MAX_RECOVERIES) {
      showNotice('Playback stopped: the video server keeps refusing this video. Reload the page to try again.');
      return;
    }
    attempts += 1;
    recovering = true;
    switching = true;
    var current = player.currentTime() || 0;
    var at = current > 0 ? current : lastTime;
    var play = !player.paused();
    resumeAt = at;
    recoveries.push({ reason: reason, at: at, play: play, time: Date.now() });
    // Not from inside the engine's callback: let it finish with the failed request first.
    window.setTimeout(function () {
      if (stopped) return;
      player.error(null);
      player.src({ src: playlistUrl + (playlistUrl.indexOf('?') === -1 ? '?' : '&') + 'r=' + Date.now(), type: TYPE });
      switching = false;
      player.one('loadedmetadata', function () {
        if (at > 0) player.currentTime(at);
        if (play) {
          var p = player.play();
          if (p && typeof p.catch === 'function') p.catch(function () {});
        }
        recovering = false;
      });
    }, 0);
  }

  function onResponse(request, error, response) {
    if (stopped) return;
    var status = (response && response.statusCode) || (request && request.status) || 0;
    if (status !== 401 && status !== 403) return;
    var uri = (request && (request.uri || request.url)) || (response && response.url) || '';
    if (isServicePlaylist(uri)) {
      // hlsgate itself refuses: the viewer is not (or no longer) entitled. Say so; do not loop.
      showNotice(refusalText(request, response));
    } else if (status === 403) {
      // The CDN refuses a segment or key: most likely the signatures expired. Fresh playlist.
      recover('cdn-403');
    }
  }

  if (videojs.Vhs && videojs.Vhs.xhr && typeof videojs.Vhs.xhr.onResponse === 'function') {
    videojs.Vhs.xhr.onResponse(onResponse);
  }

  videojs.hook('beforeerror', function (p, err) {
    if (p !== player || err === null) return err;
    // Our notice explains a refusal; a recovery replaces the failed source: no error display.
    if (stopped || switching) return null;
    // The fresh source failed too (e.g. hlsgate answered 5xx): not recovering any more, so a later
    // refusal can retry (bounded by MAX_RECOVERIES) and anything else is shown.
    recovering = false;
    // Native HLS (no engine hooks, e.g. Safari) reports an expired signature as a network error.
    var code = typeof err === 'number' ? err : err && err.code;
    if (code === 2 && attempts < MAX_RECOVERIES) {
      recover('network-error');
      return null;
    }
    return err;
  });

  player.on('timeupdate', function () {
    var t = player.currentTime() || 0;
    if (!recovering) lastTime = t;
    if (attempts > 0 && !recovering && t > resumeAt + PROGRESS_SECONDS) attempts = 0;
  });

  player.on('error', function () {
    record('player', player.error());
  });
})();
`;
