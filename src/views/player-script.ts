// The player page's script, served at /static/player.js so the pages need no inline script
// (CSP `script-src 'self'`). Plain ES5 on purpose: it is sent to browsers as is.
//
// Playback that survives expiry: signatures (URL or cookie) expire while a viewer pauses, or a
// window rolls over; the CDN then answers 403 to the next segment, key or init segment. A response
// hook on Video.js's HLS engine (videojs.Vhs.xhr.onResponse, called for every playlist, segment and
// key request) notices the refusal, and the page loads a fresh playlist (new signatures or cookies)
// and resumes where the viewer was: remember currentTime, player.src(playlist?r=...), seek back,
// play if it was playing. The player's own error for the refused request is swallowed (a
// `beforeerror` hook), so nothing shows.
//
// Recovery is a small state machine: `playing` → (a CDN refusal) → `recovering` (one attempt at a
// time) → `playing` again once the fresh source has data at the resume point, or → `stopped`.
// - An attempt fails when the fresh source is refused too (a CDN 401/403, or a status-0 answer: a
//   refusal without CORS headers is unreadable), when the player reports an error, or when it
//   shows no sign of life (no answer, no bytes, no playback) for ATTEMPT_SECONDS; it never lasts
//   longer than ATTEMPT_MAX_SECONDS. Video.js alone would sit at "Trying again since it is the only
//   playlist" forever, with no error: the deadline is what makes every attempt end.
// - At most MAX_ATTEMPTS attempts without progress (PROGRESS_SECONDS of playback past the resume
//   point resets the count), a short pause before the second and third; then the page stops the
//   player (no further request of any kind) and says what happened and what to do, with the CDN's
//   refusal code (`<Code>` of its XML body) when the body was readable.
// - When hlsgate itself refuses the playlist (401/403: the viewer is no longer entitled), the page
//   shows hlsgate's reason and stops at once.
//
// State for tests and diagnostics: window.__hlsgateErrors (player errors shown), __hlsgateRecoveries
// (one entry per attempt: reason, at, play, time, attempt, outcome), __hlsgateNotice (the message
// shown, if any) and __hlsgateNoticeAt (when, epoch ms), __hlsgatePlayer.

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
  /** Attempts without progress before the page gives up. */
  var MAX_ATTEMPTS = 3;
  /** Pause before attempt 1, 2, 3 (ms): the first must be quick, the later ones let a window roll over. */
  var RETRY_DELAYS_MS = [0, 1000, 2000];
  /** An attempt with no sign of life (no answer, no bytes, no playback) for this long has failed. */
  var ATTEMPT_SECONDS = 10;
  /** No attempt lasts longer than this, whatever trickles in. */
  var ATTEMPT_MAX_SECONDS = 30;
  /** Seconds of playback past the resume point that count as "it works again" (resets the count). */
  var PROGRESS_SECONDS = 4;

  /** 'playing' | 'recovering' | 'stopped' */
  var state = 'playing';
  /** Attempts since playback last made progress. */
  var attempts = 0;
  /** The attempt under way: { n, token, at, play, live, loaded, entry, timers }. */
  var attempt = null;
  /** The last refusal seen from the CDN: { status, code } (code null when the body was unreadable). */
  var lastRefusal = null;
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

  /** The response body as text, whatever the request's responseType ('' when unreadable). */
  function bodyText(request, response) {
    var body = response && response.body;
    if (body === undefined || body === null) {
      try {
        body = request && (request.responseType === 'arraybuffer' ? request.response : request.responseText);
      } catch (e) {
        body = null;
      }
    }
    if (typeof body === 'string') return body.slice(0, 4096);
    if (body && typeof body.byteLength === 'number' && typeof TextDecoder === 'function') {
      try {
        return new TextDecoder().decode(new Uint8Array(body, 0, Math.min(body.byteLength, 4096)));
      } catch (e) {
        return '';
      }
    }
    return '';
  }

  /** CloudFront's refusal code (<Error><Code>AccessDenied</Code>...), or null. */
  function cdnCode(text) {
    var m = /<Code>\\s*([A-Za-z0-9.]{1,64})\\s*<\\/Code>/.exec(text || '');
    return m ? m[1] : null;
  }

  /** Stops the player for good: no source, so no request of any kind after the message. */
  function stopPlayer() {
    try {
      player.pause();
      player.reset();
      // Nothing is loading any more and play would do nothing: no spinner, no big play button.
      player.removeClass('vjs-waiting');
      player.removeClass('vjs-seeking');
      if (player.bigPlayButton) player.bigPlayButton.hide();
    } catch (e) {
      /* the player may be half torn down */
    }
  }

  function showNotice(text, offerReload) {
    if (state === 'stopped') return;
    state = 'stopped';
    if (attempt) endAttempt(attempt, 'stopped');
    window.__hlsgateNotice = text;
    window.__hlsgateNoticeAt = Date.now();
    if (notice) {
      while (notice.firstChild) notice.removeChild(notice.firstChild);
      var message = document.createElement('span');
      message.className = 'notice-text';
      message.textContent = text;
      notice.appendChild(message);
      if (offerReload) {
        var button = document.createElement('button');
        button.type = 'button';
        button.textContent = 'Reload the page';
        button.style.display = 'block';
        button.style.marginTop = '.5rem';
        button.addEventListener('click', function () {
          window.location.reload();
        });
        notice.appendChild(button);
      }
      notice.hidden = false;
    }
    stopPlayer();
  }

  /** hlsgate's plain-text refusal ("401 the viewing token has expired: ..."), as a sentence. */
  function refusalText(request, response) {
    var body = bodyText(request, response);
    body = body.replace(/^\\s*\\d{3}\\s+/, '').replace(/\\s+$/, '');
    if (!body || body.length > 400) return 'You can no longer watch this video. Open it again from the site that sent you here.';
    return body.charAt(0).toUpperCase() + body.slice(1) + (/[.!?]$/.test(body) ? '' : '.');
  }

  function giveUp() {
    var times = MAX_ATTEMPTS + ' times in a row';
    var contact = ' If it keeps happening, contact the site that sent you here';
    var text;
    if (lastRefusal && lastRefusal.code) {
      text = 'the video server refused this video\\'s files (' + lastRefusal.status + ' ' + lastRefusal.code + '), ' + times + '. Reload the page to try again.' + contact + ' and mention ' + lastRefusal.code + '.';
    } else if (lastRefusal) {
      text = 'the video server refused this video\\'s files (' + lastRefusal.status + ', no reason given), ' + times + '. Reload the page to try again.' + contact + '.';
    } else {
      // No readable answer: a network failure, or a refusal without CORS headers (unreadable here).
      text = 'the video\\'s files could not be loaded, ' + times + '. Check your connection and reload the page.' + contact + '.';
    }
    showNotice('Playback stopped: ' + text, true);
  }

  function clearTimers(a) {
    for (var i = 0; i < a.timers.length; i++) window.clearTimeout(a.timers[i]);
    a.timers = [];
    window.clearTimeout(a.deadline);
  }

  function endAttempt(a, outcome) {
    clearTimers(a);
    a.entry.outcome = outcome;
    if (attempt === a) attempt = null;
  }

  /** Re-arms the attempt's deadline: some sign of life from the fresh source. */
  function alive(a) {
    window.clearTimeout(a.deadline);
    a.deadline = window.setTimeout(function () {
      if (attempt === a) failAttempt('no progress in ' + ATTEMPT_SECONDS + ' s');
    }, ATTEMPT_SECONDS * 1000);
  }

  function startAttempt(reason, at, play) {
    if (state === 'stopped') return;
    if (attempts >= MAX_ATTEMPTS) {
      giveUp();
      return;
    }
    attempts += 1;
    state = 'recovering';
    var a = {
      n: attempts,
      token: String(Date.now()) + attempts,
      at: at,
      play: play,
      live: false,
      loaded: false,
      timers: [],
      deadline: 0,
      entry: { reason: reason, at: at, play: play, time: Date.now(), attempt: attempts, outcome: 'pending' },
    };
    attempt = a;
    resumeAt = at;
    recoveries.push(a.entry);
    // Not from inside the engine's callback: let it finish with the failed request first.
    a.timers.push(
      window.setTimeout(function () {
        if (attempt !== a) return;
        player.error(null);
        player.src({ src: playlistUrl + (playlistUrl.indexOf('?') === -1 ? '?' : '&') + 'r=' + a.token, type: TYPE });
        alive(a);
        a.timers.push(
          window.setTimeout(function () {
            if (attempt === a) failAttempt('no progress in ' + ATTEMPT_MAX_SECONDS + ' s');
          }, ATTEMPT_MAX_SECONDS * 1000)
        );
        // Until the fresh source is live, refusals and errors belong to the refused one.
        player.one('loadstart', function () {
          if (attempt === a) a.live = true;
        });
        player.one('loadedmetadata', function () {
          if (attempt !== a) return;
          a.live = true;
          a.loaded = true;
          if (a.at > 0) player.currentTime(a.at);
          if (a.play) {
            var p = player.play();
            if (p && typeof p.catch === 'function') p.catch(function () {});
          }
          checkRecovered();
        });
      }, RETRY_DELAYS_MS[Math.min(a.n, RETRY_DELAYS_MS.length) - 1])
    );
  }

  function failAttempt(why) {
    var a = attempt;
    if (!a) return;
    endAttempt(a, 'failed: ' + why);
    // Resume from the same point next time (the failed source may have reset the clock to 0).
    startAttempt(a.entry.reason, a.at, a.play);
  }

  /** The fresh source has data at the resume point: the attempt worked. */
  function checkRecovered() {
    var a = attempt;
    if (!a || !a.loaded || player.seeking()) return;
    if (player.readyState() < 3 && !player.ended()) return;
    endAttempt(a, 'ok');
    state = 'playing';
    lastRefusal = null;
  }

  /** A CDN refusal (or an unreadable answer) of a segment, key or init segment. */
  function refused(reason, status, code) {
    if (state === 'stopped') return;
    if (status) lastRefusal = { status: status, code: code };
    if (state === 'recovering') {
      // The fresh source refused too: this attempt failed. Before it is live: the old source's.
      if (attempt && attempt.live) failAttempt(reason + (code ? ' ' + code : ''));
      return;
    }
    var current = player.currentTime() || 0;
    startAttempt(reason, current > 0 ? current : lastTime, !player.paused());
  }

  function onRequest(options) {
    if (attempt && !attempt.live && options && typeof options.uri === 'string' && options.uri.indexOf('r=' + attempt.token) !== -1) attempt.live = true;
    return options;
  }

  function onResponse(request, error, response) {
    if (state === 'stopped' || (request && request.aborted)) return;
    var status = (response && response.statusCode) || (request && request.status) || 0;
    var uri = (request && (request.uri || request.url)) || (response && response.url) || '';
    if (status >= 200 && status < 400) {
      if (attempt && attempt.live) alive(attempt);
      return;
    }
    if (isServicePlaylist(uri)) {
      // hlsgate itself refuses: the viewer is not (or no longer) entitled. Say so; do not loop.
      if (status === 401 || status === 403) showNotice(refusalText(request, response), false);
      return;
    }
    if (status === 401 || status === 403) {
      // The CDN refuses a segment, key or init segment: most likely the signatures expired.
      refused('cdn-' + status, status, cdnCode(bodyText(request, response)));
    } else if (status === 0 && !(request && request.timedout)) {
      // No readable answer: a CDN refusal without CORS headers looks like this (so does a network
      // failure). A fresh playlist cannot hurt, and the attempts are bounded.
      refused('cdn-unreadable', 0, null);
    }
  }

  if (videojs.Vhs && videojs.Vhs.xhr) {
    if (typeof videojs.Vhs.xhr.onRequest === 'function') videojs.Vhs.xhr.onRequest(onRequest);
    if (typeof videojs.Vhs.xhr.onResponse === 'function') videojs.Vhs.xhr.onResponse(onResponse);
  }

  videojs.hook('beforeerror', function (p, err) {
    if (p !== player || err === null) return err;
    // Our notice explains a refusal; a recovery replaces the failed source: no error display.
    if (state === 'stopped') return null;
    if (state === 'recovering') {
      // The fresh source failed too (e.g. hlsgate answered 5xx): the attempt failed.
      if (attempt && attempt.live) failAttempt('player error ' + (typeof err === 'number' ? err : err && err.code));
      return null;
    }
    // Native HLS (no engine hooks, e.g. Safari) reports an expired signature as a network error.
    var code = typeof err === 'number' ? err : err && err.code;
    if (code === 2) {
      refused('network-error', 0, null);
      return null;
    }
    return err;
  });

  var lastSeen = -1;
  function onPlayback() {
    var t = player.currentTime() || 0;
    var moved = t !== lastSeen;
    lastSeen = t;
    if (state === 'recovering') {
      if (attempt && attempt.loaded && moved) alive(attempt);
      checkRecovered();
      return;
    }
    if (state !== 'playing') return;
    lastTime = t;
    if (attempts > 0 && t > resumeAt + PROGRESS_SECONDS) attempts = 0;
  }
  player.on('timeupdate', onPlayback);
  player.on(['canplay', 'playing', 'seeked', 'ended'], checkRecovered);
  // Bytes arriving for the fresh source (Video.js relays segment download progress).
  player.on('progress', function () {
    if (attempt && attempt.live) alive(attempt);
  });

  player.on('error', function () {
    record('player', player.error());
  });
})();
`;
