// HTML building blocks: the escape function every interpolated value goes through, the page
// layout, and the Content-Security-Policy the pages are served with.

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * The pages' CSP. No inline script anywhere (`script-src 'self'`); styles may be inline because
 * Video.js sets them; media and playlist/segment fetches may go to the CDN; Video.js's HLS engine
 * plays through MSE (`blob:` media) and runs its transmuxer in a `blob:` worker; its icon font is a
 * `data:` URL inside video-js.css.
 */
export function contentSecurityPolicy(cdnBaseUrl: string, playerOrigins: readonly string[] = []): string {
  // The player fetches from the CDN and, for URIs that pass through unsigned, from the operator's
  // own origins (PLAYER_ORIGINS: a key server, an ad CDN).
  const sources = [new URL(cdnBaseUrl).origin, ...playerOrigins].join(' ');
  return [
    "default-src 'self'",
    `media-src 'self' blob: ${sources}`,
    `connect-src 'self' ${sources}`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
    "script-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

const STYLE = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;line-height:1.5;color:#1b1b1f;background:#f6f6f8}
header.site{background:#1b1b1f;color:#fff}
header.site .wrap{padding-top:.75rem;padding-bottom:.75rem}
header.site a{color:#fff;text-decoration:none;font-weight:600}
.wrap{max-width:960px;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;line-height:1.25;margin:1rem 0;overflow-wrap:anywhere}
a{color:#2456c9}
ul.videos{list-style:none;padding:0;margin:0;display:grid;gap:.5rem}
ul.videos li{background:#fff;border:1px solid #e2e2e8;border-radius:8px}
ul.videos a{display:block;padding:.75rem 1rem;text-decoration:none;overflow-wrap:anywhere}
ul.videos a:hover,ul.videos a:focus{background:#eef2fc}
ul.videos .id{display:block;color:#6b6b76;font-size:.85rem}
.player{background:#000;border-radius:8px;overflow:hidden}
.muted{color:#6b6b76}
.notice{background:#fff4e5;border:1px solid #f0b46c;border-radius:8px;padding:.75rem 1rem;margin:0 0 1rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
@media (max-width:600px){.wrap{padding:.75rem}h1{font-size:1.3rem}}
`;

export interface LayoutOptions {
  /** Page title (plain text, escaped here). */
  title: string;
  /** Body HTML, already escaped by the caller. */
  body: string;
  /** Extra stylesheet URLs. */
  stylesheets?: string[];
  /** Script URLs, loaded at the end of the body (same origin only, per the CSP). */
  scripts?: string[];
}

export function layout(o: LayoutOptions): string {
  const links = (o.stylesheets ?? []).map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join('\n');
  const scripts = (o.scripts ?? []).map((src) => `<script src="${escapeHtml(src)}"></script>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${escapeHtml(o.title)} · hlsgate</title>
${links}
<style>${STYLE}</style>
</head>
<body>
<header class="site"><div class="wrap"><a href="/videos">hlsgate</a></div></header>
<main class="wrap">
${o.body}
</main>
${scripts}
</body>
</html>
`;
}
