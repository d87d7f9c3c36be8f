// GET|HEAD /videos/:id/playlist.m3u8 and /videos/:id/media/<path>, on plain node:http.
//
// Why not Express: on a cache hit the use case takes a few microseconds, and Express's app and
// router handling then dominates (a bare Express app serves a 3 KB buffer at about a fifth of the
// rate of node:http). So the front door (app.ts) hands these two routes here without entering
// Express. Everything else the routes need (admission, rate limit, error responses) is the
// framework-free code the Express routes use as well.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../errors.js';
import { isValidVideoId, type Video } from '../adapters/catalog.js';
import { domainMatches } from '../core/scope.js';
import { loadSignedPlaylist } from '../playback/load-signed-playlist.js';
import { encodedBody } from '../playback/playback-cache.js';
import type { PlaylistRoute } from '../routes.js';
import type { AppDeps } from './deps.js';
import { createRateLimiter } from './rate-limit.js';
import type { ParsedRequest } from './request.js';
import { appendCookie, sendBody } from './respond.js';
import { admitViewer, type Admit } from './viewer.js';

export const PLAYLIST_CONTENT_TYPE = 'application/vnd.apple.mpegurl';

/** The video named in the URL; 404 for an invalid id (without touching the catalog) or unknown one. */
export async function findVideo(deps: Pick<AppDeps, 'catalog'>, id: string): Promise<Video> {
  if (!isValidVideoId(id)) throw new HttpError(404, 'no video with this id');
  const video = await deps.catalog.get(id);
  if (!video) throw new HttpError(404, 'no video with this id');
  return video;
}

/** A route parameter decoded as Express decodes it; malformed percent-encoding is a 400, as it was. */
export function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'the request URL is malformed');
  }
}

/**
 * Serves a playlist request completely (errors are thrown; the front door answers them as
 * text/plain: a player, not a person, reads them).
 */
export type PlaylistHandler = (req: IncomingMessage, res: ServerResponse, request: ParsedRequest, route: PlaylistRoute) => Promise<void>;

export function playlistHandler(deps: AppDeps, admit: Admit | undefined): PlaylistHandler {
  const limit = createRateLimiter({ perMinute: deps.config.rateLimitPerMinute, clock: deps.clock });
  const cookieDomain = deps.config.cdnCookieDomain;
  let warnedCookieDomain = false;

  /** Browsers drop cookies whose Domain does not cover the page: say so once, in the log. */
  function checkCookieDomain(hostname: string | undefined): void {
    if (warnedCookieDomain || !cookieDomain || domainMatches(hostname ?? '', cookieDomain)) return;
    warnedCookieDomain = true;
    deps.logger.warn(
      { host: hostname, cookieDomain },
      `CDN_COOKIE_DOMAIN ${cookieDomain} does not cover this page's host ${hostname}: browsers will drop the CloudFront cookies and playback will fail with 403`,
    );
  }

  return async (req, res, request, route) => {
    if (request.method === 'OPTIONS') {
      // What Express's router answered for these routes: the methods they take.
      res.setHeader('Allow', 'GET, HEAD');
      sendBody(res, 200, 'text/plain', 'GET, HEAD');
      return;
    }
    const id = decodeParam(route.rawId);
    if (route.name === 'nestedPlaylist') decodeParam(route.relPath);
    limit(request.clientIp);
    const video = await findVideo(deps, id);
    await admitViewer(req, res, request, video, { admit, clock: deps.clock, page: false });
    const clientIp = deps.config.bindIp ? request.clientIp : undefined;
    const playlist = await loadSignedPlaylist({
      video,
      ...(route.name === 'nestedPlaylist' ? { relPath: route.relPath } : {}),
      deps,
      query: request.query,
      ...(clientIp === undefined ? {} : { clientIp }),
    });
    if (playlist.cookies) {
      checkCookieDomain(request.hostname);
      // CloudFront base64 (A-Z a-z 0-9 - _ ~) needs no encoding (appendCookie sends values as they are).
      for (const { name, value, ...attributes } of playlist.cookies) appendCookie(res, name, value, attributes);
    }
    res.setHeader('Cache-Control', 'private, no-store');
    // Shared responses come with gzip/brotli forms computed once; negotiate per request.
    const { coding, body } = encodedBody(playlist, request.header('accept-encoding'));
    res.setHeader('Vary', 'Accept-Encoding');
    if (coding !== 'identity') res.setHeader('Content-Encoding', coding);
    sendBody(res, 200, PLAYLIST_CONTENT_TYPE, body);
    // A per-viewer body's buffer is reused once written out ('finish': handed to the OS); an
    // aborted response keeps it (the socket may still hold it) and leaves it to the GC.
    if (playlist.release) res.once('finish', playlist.release);
  };
}
