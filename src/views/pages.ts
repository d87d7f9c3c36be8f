// The HTML pages: video list, player, and error. Every interpolated value goes through escapeHtml.
import type { Video } from '../adapters/catalog.js';
import { PLAYER_SCRIPT_PATH, playerPath, playlistPath, VIDEO_JS_BASE, videoListPath } from '../routes.js';
import { escapeHtml, layout } from './html.js';

function displayTitle(video: Pick<Video, 'id' | 'title'>): string {
  return video.title && video.title.trim() !== '' ? video.title : video.id;
}

/** The list page; `videos` undefined when viewers are authorized (the host application lists them). */
export function listPage(videos: readonly Pick<Video, 'id' | 'title'>[] | undefined): string {
  if (videos === undefined) {
    return layout({
      title: 'Videos',
      body: `<h1>Videos</h1>
<p class="muted">Videos here are opened through links from the site you watch them on.</p>`,
    });
  }
  const items = videos
    .map(
      (v) =>
        `<li><a href="${escapeHtml(playerPath(v.id))}">${escapeHtml(displayTitle(v))}<span class="id">${escapeHtml(v.id)}</span></a></li>`,
    )
    .join('\n');
  const body =
    videos.length === 0
      ? `<h1>Videos</h1>
<p class="muted">No videos yet. Add one with <code>hlsgate videos add &lt;id&gt; &lt;playlist-key&gt;</code> or the admin API.</p>`
      : `<h1>Videos</h1>
<ul class="videos">
${items}
</ul>`;
  return layout({ title: 'Videos', body });
}

export interface PlayerPageOptions {
  /** `cookies`: the player sends credentials (the CloudFront cookies) with its CDN requests. */
  signingMode?: string;
}

export function playerPage(video: Pick<Video, 'id' | 'title'>, o: PlayerPageOptions = {}): string {
  const title = displayTitle(video);
  const src = playlistPath(video.id);
  const body = `<p><a href="${escapeHtml(videoListPath())}">&larr; All videos</a></p>
<h1>${escapeHtml(title)}</h1>
<div id="player-notice" class="notice" role="alert" hidden></div>
<div class="player">
<video-js id="player" class="video-js vjs-fluid" controls preload="auto" data-playlist-url="${escapeHtml(src)}" data-signing-mode="${escapeHtml(o.signingMode ?? 'wildcard')}">
<source src="${escapeHtml(src)}" type="application/x-mpegURL">
<p class="vjs-no-js">This player needs JavaScript.</p>
</video-js>
</div>`;
  return layout({
    title,
    body,
    stylesheets: [`${VIDEO_JS_BASE}/video-js.min.css`],
    scripts: [`${VIDEO_JS_BASE}/video.min.js`, PLAYER_SCRIPT_PATH],
  });
}

const HEADINGS: Record<number, string> = {
  400: 'Bad request',
  401: 'Sign-in needed',
  403: 'Not included in your access',
  429: 'Too many requests',
  404: 'Not found',
  502: 'The video storage failed',
  503: 'Not ready',
  504: 'The video storage did not answer in time',
};

export function errorPage(status: number, message: string): string {
  const heading = HEADINGS[status] ?? (status >= 500 ? 'Something went wrong' : 'Request refused');
  const body = `<h1>${escapeHtml(heading)}</h1>
<p>${escapeHtml(message)}</p>
<p class="muted">HTTP ${escapeHtml(status)}</p>
<p><a href="${escapeHtml(videoListPath())}">All videos</a></p>`;
  return layout({ title: heading, body });
}
