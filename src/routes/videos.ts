// Viewer routes: the list page, the player page, the top playlist and nested playlists.
// Thin: parse the request, find the video, call the playback use case, write the response.
import express, { type Request, type Response } from 'express';
import type { AppDeps } from '../app.js';
import { DEFAULTS } from '../config.js';
import { HttpError } from '../errors.js';
import { addLogFields } from '../logger.js';
import { isValidVideoId, type Video } from '../services/catalog.js';
import { loadSignedPlaylist, rootUrlOf } from '../services/playback.js';
import { encodedBody } from '../services/render-cache.js';
import { VerifierUnavailableError } from '../services/viewer-auth.js';
import { listPage, playerPage } from '../views/pages.js';
import { sendHtml } from '../views/respond.js';
import { setCdnCookies } from './cdn-cookies.js';
import { rateLimit, unmapIPv4 } from './rate-limit.js';
import { clearViewerCookie, jwtDetails, setViewerCookie, urlWithoutToken, type Authorize } from './viewer.js';

export const PLAYLIST_CONTENT_TYPE = 'application/vnd.apple.mpegurl';

/** The nested playlist path exactly as the client encoded it (Express's params are decoded). */
const MEDIA_PATH = /^\/videos\/[^/?#]+\/media\/([^?#]*)/;

function rawMediaPath(req: Request): string {
  const match = MEDIA_PATH.exec(req.originalUrl);
  return match?.[1] ?? '';
}

/** The raw query string of the request, for EXT-X-DEFINE:QUERYPARAM. */
function requestQuery(req: Request): URLSearchParams {
  const q = req.originalUrl.indexOf('?');
  return new URLSearchParams(q === -1 ? '' : req.originalUrl.slice(q + 1));
}

function idParam(req: Request): string {
  const id = req.params.id;
  return typeof id === 'string' ? id : '';
}

/** The video named in the URL; 404 for an invalid id (without touching the catalog) or unknown one. */
async function findVideo(deps: AppDeps, id: string): Promise<Video> {
  if (!isValidVideoId(id)) throw new HttpError(404, 'no video with this id');
  const video = await deps.catalog.get(id);
  if (!video) throw new HttpError(404, 'no video with this id');
  return video;
}

/** The viewer's address for IP-bound signatures: `req.ip` (X-Forwarded-For only from TRUST_PROXY), IPv4-mapped IPv6 as IPv4. */
export function clientAddress(req: Request): string | undefined {
  return req.ip ? unmapIPv4(req.ip) : undefined;
}

export interface VideosRouterOptions {
  /** Who may watch; absent = anyone. */
  authorize?: Authorize;
}

export function videosRouter(deps: AppDeps, o: VideosRouterOptions = {}): express.Router {
  const router = express.Router();
  const { authorize } = o;
  const limit = rateLimit({ perMinute: deps.config.rateLimitPerMinute ?? DEFAULTS.RATE_LIMIT_PER_MINUTE, clock: deps.clock });

  /**
   * Runs `authorize` for the page or a playlist; throws the 401/403 (clearing an entitlement cookie
   * that no longer works). On the page, a token from the header or `?token=` becomes the
   * entitlement cookie; `?token=` then redirects to the same URL without it ('redirected').
   */
  async function admit(req: Request, res: Response, video: Video, page: boolean): Promise<'ok' | 'redirected'> {
    if (!authorize) return 'ok';
    let result;
    try {
      result = await authorize(req, video);
    } catch (err) {
      if (err instanceof VerifierUnavailableError) {
        throw new HttpError(503, 'viewer tokens cannot be checked right now (the key set is unreachable); try again shortly', { cause: err });
      }
      throw err;
    }
    const details = jwtDetails(result);
    if (!result.ok) {
      if (details?.source === 'cookie') clearViewerCookie(req, res, video.id);
      throw new HttpError(result.status, result.reason, {
        code: result.code ?? (result.status === 401 ? 'unauthorized' : 'forbidden'),
        ...(result.status === 401 ? { headers: { 'WWW-Authenticate': 'Bearer realm="hlsgate"' } } : {}),
      });
    }
    if (result.viewer !== undefined) addLogFields(req, { viewer: result.viewer });
    if (page && details?.token !== undefined && details.expires !== undefined && details.source !== 'cookie') {
      setViewerCookie(req, res, video.id, details.token, details.expires, deps.clock());
      if (details.source === 'query') {
        // Keep the token out of the address bar, history and bookmarks.
        res.set('Cache-Control', 'no-store').redirect(303, urlWithoutToken(req));
        return 'redirected';
      }
    }
    return 'ok';
  }

  async function sendPlaylist(req: Request, res: Response, relPath: string | undefined): Promise<void> {
    // Errors on playlist routes are plain text (a player, not a person, reads them).
    res.locals.errorFormat = 'text';
    const video = await findVideo(deps, idParam(req));
    await admit(req, res, video, false);
    const now = deps.clock();
    const clientIp = deps.config.bindIp ? clientAddress(req) : undefined;
    const playlist = await loadSignedPlaylist({
      video,
      ...(relPath === undefined ? {} : { relPath }),
      deps,
      now,
      query: requestQuery(req),
      ...(clientIp === undefined ? {} : { clientIp }),
    });
    if (deps.config.signing.mode === 'cookies') {
      setCdnCookies(
        req,
        res,
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
    res.set({ 'Content-Type': PLAYLIST_CONTENT_TYPE, 'Cache-Control': 'private, no-store' });
    // Shared responses come with gzip/brotli forms computed once (issue 5); negotiate per request.
    const { coding, body } = encodedBody(playlist, req.get('Accept-Encoding'));
    res.vary('Accept-Encoding');
    if (coding !== 'identity') res.set('Content-Encoding', coding);
    // A Buffer keeps Express from appending "; charset=utf-8" to the registered media type.
    res.send(body);
  }

  router.get('/', (_req, res) => {
    res.redirect(302, '/videos');
  });

  router.get('/videos', async (_req, res) => {
    // With viewer authorization on, the host application is the catalog: no public list of titles.
    const videos = authorize ? undefined : await deps.catalog.list();
    sendHtml(res, deps, 200, listPage(videos));
  });

  router.get('/videos/:id', async (req, res) => {
    const video = await findVideo(deps, idParam(req));
    if ((await admit(req, res, video, true)) === 'redirected') return;
    sendHtml(res, deps, 200, playerPage(video, { signingMode: deps.config.signing.mode }));
  });

  // GET routes answer HEAD too (Express runs the GET handler; Node drops the body).
  router.get('/videos/:id/playlist.m3u8', limit, async (req, res) => {
    await sendPlaylist(req, res, undefined);
  });

  router.get('/videos/:id/media/*path', limit, async (req, res) => {
    await sendPlaylist(req, res, rawMediaPath(req));
  });

  return router;
}
