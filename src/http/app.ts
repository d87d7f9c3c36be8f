// createApp(deps): wires the services into the routes. No listen, no globals, no I/O of its own:
// server.ts builds the deps from the configuration; tests build them from local servers.
// The playlist routes are served without Express (routes/playlists.ts, issue 5):
// createRequestListener hands them to that handler before Express sees them, and the Express app
// mounts the same handler first, so both serve every route the same way.
import { existsSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { HttpError } from '../errors.js';
import { createHttpLogger } from '../logger.js';
import { adminRouter } from './admin.js';
import { healthRouter } from './health.js';
import { compileTrustProxy, sendError, setSecurityHeaders, type ErrorFormat } from './node-http.js';
import { matchPlaylistRoute, playlistHandler } from './playlists.js';
import { videosRouter } from './videos.js';
import { jwtAuthorize, type Authorize } from './viewer.js';
import { createViewerTokenVerifier } from '../adapters/viewer-tokens.js';
import { PLAYER_SCRIPT_URL, VIDEO_JS_BASE } from '../views/pages.js';
import { PLAYER_SCRIPT } from '../views/player-script.js';


import type { AppDeps } from './deps.js';
export type { AppDeps } from './deps.js';
export type { Authorize, AuthorizeResult } from './viewer.js';

/** The `authorize` in force: the one given, else the built-in JWT check, else none (anyone may watch). */
function viewerAuthorizer(deps: AppDeps): Authorize | undefined {
  if (deps.authorize) return deps.authorize;
  const auth = deps.config.viewerAuth;
  if (auth?.mode === 'jwt') return jwtAuthorize(createViewerTokenVerifier(auth), deps.clock);
  if (auth?.warn !== false) {
    deps.logger.warn('VIEWER_AUTH=none: anyone who can reach /videos/<id> can watch every video; set VIEWER_AUTH=jwt (README: "Viewer authorization")');
  }
  return undefined;
}

export type { ErrorFormat } from './node-http.js';

/** The directory of Video.js's prebuilt files (dist/) inside node_modules. */
export function videoJsDistDir(): string {
  const pkg = createRequire(import.meta.url).resolve('video.js/package.json');
  return join(dirname(pkg), 'dist');
}

/** The repository's public/ directory (found from this module, in src/ or dist/src/), if any. */
function publicDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json'))) {
      const candidate = join(dir, 'public');
      return existsSync(candidate) ? candidate : undefined;
    }
    dir = dirname(dir);
  }
  return undefined;
}

function errorFormat(req: Request): ErrorFormat {
  const path = req.path;
  if (path === '/api' || path.startsWith('/api/') || path === '/healthz' || path === '/readyz') return 'json';
  if (/\.m3u8$/i.test(path) || /^\/videos\/[^/]+\/media\//.test(path)) return 'text';
  return req.accepts(['html', 'json']) === 'json' ? 'json' : 'html';
}

/**
 * The service's request listener: playlist requests go straight to the plain handler (never
 * entering Express), everything else to the Express app. What `hlsgate serve` listens with.
 */
export function createRequestListener(deps: AppDeps): RequestListener {
  return build(deps).listener;
}

/** The Express app serving every route (playlists through the same plain handler); for tests and hosts embedding hlsgate. */
export function createApp(deps: AppDeps): express.Express {
  return build(deps).app;
}

/** Both entry points over one set of handlers (one rate limiter, one authorizer). */
function build(deps: AppDeps): { app: express.Express; listener: RequestListener } {
  // Addresses/subnets of the proxies whose X-Forwarded-For counts (validated by config.ts), or false.
  const trust = compileTrustProxy(deps.config.trustProxy);
  const authorize = viewerAuthorizer(deps);
  const logRequest = createHttpLogger(deps.logger);
  const servePlaylist = playlistHandler(deps, { authorize, trust });

  const app = express();
  app.disable('x-powered-by');
  // Playlists carry fresh signatures on every request: an ETag would only invite wrong 304s.
  app.set('etag', false);
  app.set('trust proxy', trust);

  app.use(logRequest);
  app.use((_req, res, next) => {
    setSecurityHeaders(res);
    next();
  });
  app.use((req, res, next) => {
    const route = matchPlaylistRoute(req);
    if (route) servePlaylist(req, res, route);
    else next();
  });

  app.use(healthRouter(deps));

  app.get(PLAYER_SCRIPT_URL, (_req, res) => {
    res.set({ 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }).send(PLAYER_SCRIPT);
  });
  app.use(`${VIDEO_JS_BASE}/`, express.static(videoJsDistDir(), { index: false, maxAge: '1h', redirect: false }));
  const pub = publicDir();
  if (pub) app.use('/static/', express.static(pub, { index: false, redirect: false }));

  app.use(videosRouter(deps, { ...(authorize ? { authorize } : {}), trust }));

  const adminToken = deps.config.adminToken;
  if (adminToken) app.use('/api/videos', adminRouter(deps, adminToken));

  app.use(() => {
    throw new HttpError(404, 'there is nothing at this address');
  });

  // Errors of the Express routes become responses in the one place the playlist handler uses too.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    sendError(req, res, err, errorFormat(req), deps);
  });

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const route = matchPlaylistRoute(req);
    if (!route) {
      app(req, res);
      return;
    }
    // What the Express app's first two middlewares do for every other request.
    logRequest(req, res, () => {});
    setSecurityHeaders(res);
    servePlaylist(req, res, route);
  };
  return { app, listener };
}
