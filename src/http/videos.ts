// Viewer pages on Express: the list page and the player page. The playlists themselves are served
// by playlists.ts on plain node:http, with the same admission.
import type { IncomingMessage } from 'node:http';
import express from 'express';
import { EXPRESS_PATHS, videoListPath } from '../routes.js';
import { listPage, playerPage } from '../views/pages.js';
import type { AppDeps } from './deps.js';
import { decodeParam, findVideo } from './playlists.js';
import type { ParsedRequest } from './request.js';
import { sendHtml } from './respond.js';
import { admitViewer, urlWithoutToken, type Admit } from './viewer.js';

export interface VideosRouterOptions {
  /** Who may watch; absent = anyone. */
  admit: Admit | undefined;
  /** The front door's parse of a request. */
  requestOf: (req: IncomingMessage) => ParsedRequest;
}

export function videosRouter(deps: AppDeps, o: VideosRouterOptions): express.Router {
  const router = express.Router();
  const { admit, requestOf } = o;

  router.get(EXPRESS_PATHS.home, (_req, res) => {
    res.redirect(302, videoListPath());
  });

  router.get(EXPRESS_PATHS.videoList, async (_req, res) => {
    // With viewer authorization on, the host application is the catalog: no public list of titles.
    const videos = admit ? undefined : await deps.catalog.list();
    sendHtml(res, deps.config, 200, listPage(videos));
  });

  router.get(EXPRESS_PATHS.player, async (req, res) => {
    const request = requestOf(req);
    const route = request.route;
    const video = await findVideo(deps, route?.name === 'player' ? decodeParam(route.rawId) : '');
    if ((await admitViewer(req, res, request, video, { admit, clock: deps.clock, page: true })) === 'redirect') {
      // Keep the token out of the address bar, history and bookmarks.
      res.set('Cache-Control', 'no-store').redirect(303, urlWithoutToken(request));
      return;
    }
    sendHtml(res, deps.config, 200, playerPage(video, { signingMode: deps.config.signing.mode }));
  });

  return router;
}
