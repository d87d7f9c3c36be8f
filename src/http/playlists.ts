// GET|HEAD /videos/:id/playlist.m3u8 and /videos/:id/media/<path>, on plain node:http.
//
// Why not Express: on a cache hit the use case takes a few microseconds, and Express's app and
// router handling then dominates (a bare Express app serves a 3 KB buffer at about a fifth of the
// rate of node:http). So the service's listener (createRequestListener in app.ts) sends these two
// routes here without entering Express; createApp's Express app mounts the same handler first, so
// both serve them identically. Everything else the routes need (authorization, rate limit, client
// address, cookies, error responses) is the framework-free code the Express routes use as well.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppDeps } from './deps.js';
import { DEFAULTS } from '../config.js';
import { HttpError } from '../errors.js';
import { isValidVideoId, type Video } from '../adapters/catalog.js';
import { loadSignedPlaylist, rootUrlOf } from '../playback/load-signed-playlist.js';
import { encodedBody } from '../playback/playback-cache.js';
import { setCdnCookies } from '../playback/cdn-cookies.js';
import { clientAddress, header, requestHostname, sendBody, sendError, type TrustProxy } from './node-http.js';
import { createRateLimiter } from './rate-limit.js';
import { admitViewer, type Authorize } from './viewer.js';

export const PLAYLIST_CONTENT_TYPE = 'application/vnd.apple.mpegurl';

/** The video named in the URL; 404 for an invalid id (without touching the catalog) or unknown one. */
export async function findVideo(deps: Pick<AppDeps, 'catalog'>, id: string): Promise<Video> {
  if (!isValidVideoId(id)) throw new HttpError(404, 'no video with this id');
  const video = await deps.catalog.get(id);
  if (!video) throw new HttpError(404, 'no video with this id');
  return video;
}

/** A playlist request: the video id (still percent-encoded) and, for a nested playlist, its path as the client encoded it. */
export interface PlaylistRoute {
  rawId: string;
  relPath?: string;
}

// Matched as Express's router matched the former routes: case-insensitive, an optional trailing
// slash, on the path without the query string.
const TOP = /^\/videos\/([^/]+)\/playlist\.m3u8\/?$/i;
const NESTED = /^\/videos\/([^/]+)\/media\/(.+)$/i;

/** The playlist route a request is for, or undefined (then it is not ours: Express serves it). */
export function matchPlaylistRoute(req: IncomingMessage): PlaylistRoute | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') return undefined;
  const url = req.url ?? '';
  const end = url.search(/[?#]/);
  const path = end === -1 ? url : url.slice(0, end);
  const top = TOP.exec(path);
  if (top) return { rawId: top[1]! };
  const nested = NESTED.exec(path);
  return nested ? { rawId: nested[1]!, relPath: nested[2]! } : undefined;
}

/** A route parameter decoded as Express decodes it; malformed percent-encoding is a 400, as it was. */
function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'the request URL is malformed');
  }
}

/** The raw query string of the request, for EXT-X-DEFINE:QUERYPARAM. */
function requestQuery(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
}

export interface PlaylistHandlerOptions {
  /** Who may watch; absent = anyone. */
  authorize: Authorize | undefined;
  trust: TrustProxy;
}

/**
 * Serves a matched playlist request completely (errors as text/plain: a player, not a person,
 * reads them). The caller has already set the request log and the security headers.
 */
export function playlistHandler(deps: AppDeps, o: PlaylistHandlerOptions): (req: IncomingMessage, res: ServerResponse, route: PlaylistRoute) => void {
  const { authorize, trust } = o;
  const limit = createRateLimiter({ perMinute: deps.config.rateLimitPerMinute ?? DEFAULTS.RATE_LIMIT_PER_MINUTE, clock: deps.clock });

  async function serve(req: IncomingMessage, res: ServerResponse, route: PlaylistRoute): Promise<void> {
    if (req.method === 'OPTIONS') {
      // What Express's router answered for these routes: the methods they take.
      res.setHeader('Allow', 'GET, HEAD');
      sendBody(res, 200, 'text/plain', 'GET, HEAD');
      return;
    }
    const id = decodeParam(route.rawId);
    if (route.relPath !== undefined) decodeParam(route.relPath);
    limit(clientAddress(req, trust));
    const video = await findVideo(deps, id);
    await admitViewer(req, res, video, { authorize, trust, clock: deps.clock, page: false });
    const now = deps.clock();
    const clientIp = deps.config.bindIp ? clientAddress(req, trust) : undefined;
    const playlist = await loadSignedPlaylist({
      video,
      ...(route.relPath === undefined ? {} : { relPath: route.relPath }),
      deps,
      now,
      query: requestQuery(req),
      ...(clientIp === undefined ? {} : { clientIp }),
    });
    if (deps.config.signing.mode === 'cookies') {
      setCdnCookies(
        res,
        requestHostname(req, trust),
        {
          key: deps.signingKey,
          rootUrl: rootUrlOf(deps.config.cdnBaseUrl, video.rootPrefix),
          expires: playlist.expires,
          nowMs: now,
          ...(deps.config.cdnCookieDomain ? { domain: deps.config.cdnCookieDomain } : {}),
          ...(clientIp === undefined ? {} : { clientIp }),
          ...(deps.playbackCache ? { memo: (k: string, make: () => string) => deps.playbackCache!.signature(k, make) } : {}),
        },
        deps.logger,
      );
    }
    res.setHeader('Cache-Control', 'private, no-store');
    // Shared responses come with gzip/brotli forms computed once (issue 5); negotiate per request.
    const { coding, body } = encodedBody(playlist, header(req, 'accept-encoding'));
    res.setHeader('Vary', 'Accept-Encoding');
    if (coding !== 'identity') res.setHeader('Content-Encoding', coding);
    sendBody(res, 200, PLAYLIST_CONTENT_TYPE, body);
  }

  return (req, res, route) => {
    serve(req, res, route).catch((err: unknown) => sendError(req, res, err, 'text', deps));
  };
}
