// Viewer routes: the list page, the player page, the top playlist and nested playlists.
// Thin: parse the request, find the video, call the playback use case, write the response.
import express, { type Request, type Response } from 'express';
import type { AppDeps } from '../app.js';
import { HttpError } from '../errors.js';
import { isValidVideoId, type Video } from '../services/catalog.js';
import { loadSignedPlaylist } from '../services/playback.js';
import { listPage, playerPage } from '../views/pages.js';
import { sendHtml } from '../views/respond.js';

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

export function videosRouter(deps: AppDeps): express.Router {
  const router = express.Router();

  async function sendPlaylist(req: Request, res: Response, relPath: string | undefined): Promise<void> {
    // Errors on playlist routes are plain text (a player, not a person, reads them).
    res.locals.errorFormat = 'text';
    const video = await findVideo(deps, idParam(req));
    const playlist = await loadSignedPlaylist({
      video,
      ...(relPath === undefined ? {} : { relPath }),
      deps,
      now: deps.clock(),
      query: requestQuery(req),
    });
    res.set({ 'Content-Type': PLAYLIST_CONTENT_TYPE, 'Cache-Control': 'private, no-store' });
    // A Buffer keeps Express from appending "; charset=utf-8" to the registered media type.
    res.send(Buffer.from(playlist.body, 'utf8'));
  }

  router.get('/', (_req, res) => {
    res.redirect(302, '/videos');
  });

  router.get('/videos', async (_req, res) => {
    const videos = await deps.catalog.list();
    sendHtml(res, deps, 200, listPage(videos));
  });

  router.get('/videos/:id', async (req, res) => {
    const video = await findVideo(deps, idParam(req));
    sendHtml(res, deps, 200, playerPage(video));
  });

  // GET routes answer HEAD too (Express runs the GET handler; Node drops the body).
  router.get('/videos/:id/playlist.m3u8', async (req, res) => {
    await sendPlaylist(req, res, undefined);
  });

  router.get('/videos/:id/media/*path', async (req, res) => {
    await sendPlaylist(req, res, rawMediaPath(req));
  });

  return router;
}
