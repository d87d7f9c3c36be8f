// Viewer pages on Express: the list page and the player page. The playlists themselves are served
// by playlists.ts on plain node:http (issue 5), with the same authorization.
import express from 'express';
import type { AppDeps } from './deps.js';
import { listPage, playerPage } from '../views/pages.js';
import { sendHtml } from '../views/respond.js';
import type { TrustProxy } from './node-http.js';
import { findVideo } from './playlists.js';
import { admitViewer, urlWithoutToken, type Authorize } from './viewer.js';

export interface VideosRouterOptions {
  /** Who may watch; absent = anyone. */
  authorize?: Authorize;
  trust: TrustProxy;
}

export function videosRouter(deps: AppDeps, o: VideosRouterOptions): express.Router {
  const router = express.Router();
  const { authorize, trust } = o;

  router.get('/', (_req, res) => {
    res.redirect(302, '/videos');
  });

  router.get('/videos', async (_req, res) => {
    // With viewer authorization on, the host application is the catalog: no public list of titles.
    const videos = authorize ? undefined : await deps.catalog.list();
    sendHtml(res, deps, 200, listPage(videos));
  });

  router.get('/videos/:id', async (req, res) => {
    const video = await findVideo(deps, typeof req.params.id === 'string' ? req.params.id : '');
    if ((await admitViewer(req, res, video, { authorize, trust, clock: deps.clock, page: true })) === 'redirect') {
      // Keep the token out of the address bar, history and bookmarks.
      res.set('Cache-Control', 'no-store').redirect(303, urlWithoutToken(req));
      return;
    }
    sendHtml(res, deps, 200, playerPage(video, { signingMode: deps.config.signing.mode }));
  });

  return router;
}
