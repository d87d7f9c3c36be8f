// The player page's script, served at /static/player.js so the pages need no inline script
// (CSP `script-src 'self'`). Plain ES5 on purpose: it is sent to browsers as is.

export const PLAYER_SCRIPT = `(function () {
  'use strict';
  var errors = (window.__hlsgateErrors = window.__hlsgateErrors || []);
  function record(source, detail) {
    var entry = { source: source, code: detail && detail.code, message: (detail && detail.message) || String(detail) };
    errors.push(entry);
    if (window.console && console.error) console.error('hlsgate player:', entry);
  }
  var el = document.getElementById('player');
  if (!el) return;
  if (typeof window.videojs !== 'function') {
    record('load', { message: 'Video.js did not load' });
    return;
  }
  var player = window.videojs('player', { fluid: true, html5: { vhs: { withCredentials: false } } });
  window.__hlsgatePlayer = player;
  player.on('error', function () {
    record('player', player.error());
  });
})();
`;
