// The route table: every public path of the service, how to recognize it (match) and how to
// write it (build). The request listener, the Express routers, the pages, the playback use case
// (nested playlist links) and the cookie paths all read it here, so a route's shape lives once.
//
// Matching follows what Express's router did for these routes: case-insensitive, an optional
// trailing slash, on the path without its query string, parameters still percent-encoded.

/** A video route, with its parameters as they appear in the URL (still percent-encoded). */
export type VideoRoute =
  | { name: 'videoList' }
  | { name: 'player'; rawId: string }
  | { name: 'playlist'; rawId: string }
  /** `relPath`: the nested playlist's path relative to the video's root prefix, as the client encoded it. */
  | { name: 'nestedPlaylist'; rawId: string; relPath: string };

export type PlaylistRoute = Extract<VideoRoute, { name: 'playlist' | 'nestedPlaylist' }>;

// Patterns on the path without the query string.
const VIDEOS_PREFIX = /^\/videos(?:\/|$)/i;
const VIDEO_LIST = /^\/videos\/?$/i;
const PLAYER = /^\/videos\/([^/]+)\/?$/i; // 1: the video id
const PLAYLIST = /^\/videos\/([^/]+)\/playlist\.m3u8\/?$/i; // 1: the video id
const NESTED_PLAYLIST = /^\/videos\/([^/]+)\/media\/(.+)$/i; // 1: the video id, 2: the path under the root

/** Where the player finds Video.js (served from the npm package, not a CDN) and its own script. */
export const VIDEO_JS_BASE = '/static/video-js';
export const PLAYER_SCRIPT_PATH = '/static/player.js';
/** The repository's public/ directory, when there is one. */
export const STATIC_BASE = '/static';
export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
export const ADMIN_API_BASE = '/api/videos';

/** Express path patterns of the routes Express serves (the same shapes as the table's). */
export const EXPRESS_PATHS = {
  home: '/',
  videoList: '/videos',
  player: '/videos/:id',
  adminItem: '/:id',
} as const;

/** The video route a path is, or undefined. */
export function matchVideoRoute(path: string): VideoRoute | undefined {
  if (!VIDEOS_PREFIX.test(path)) return undefined;
  let m = PLAYLIST.exec(path);
  if (m) return { name: 'playlist', rawId: m[1]! };
  m = NESTED_PLAYLIST.exec(path);
  if (m) return { name: 'nestedPlaylist', rawId: m[1]!, relPath: m[2]! };
  m = PLAYER.exec(path);
  if (m) return { name: 'player', rawId: m[1]! };
  return VIDEO_LIST.test(path) ? { name: 'videoList' } : undefined;
}

/** Whether a route is one of the two playlist routes (served without Express). */
export function isPlaylistRoute(route: VideoRoute | undefined): route is PlaylistRoute {
  return route !== undefined && (route.name === 'playlist' || route.name === 'nestedPlaylist');
}

const UNDER_MEDIA = /^\/videos\/[^/]+\/media\//i;

/** Whether a path is meant for a player (a playlist, or anything under a video's media route): its errors are plain text. */
export function isPlayerPath(path: string): boolean {
  return /\.m3u8$/i.test(path) || UNDER_MEDIA.test(path);
}

/** Whether a path belongs to the JSON interfaces (admin API, health), whose errors are JSON. */
export function isJsonPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/') || path === HEALTH_PATH || path === READY_PATH;
}

// ---- build ----

export function videoListPath(): string {
  return '/videos';
}

/** The player page of a video; also the entitlement cookie's Path (the page and everything under it). */
export function playerPath(videoId: string): string {
  return `/videos/${encodeURIComponent(videoId)}`;
}

export function playlistPath(videoId: string): string {
  return `${playerPath(videoId)}/playlist.m3u8`;
}

/** A nested playlist's route; `path` is relative to the video's root prefix and already encoded. */
export function nestedPlaylistPath(videoId: string, path: string): string {
  return `${playerPath(videoId)}/media/${path}`;
}

export function adminVideoPath(videoId: string): string {
  return `${ADMIN_API_BASE}/${encodeURIComponent(videoId)}`;
}
