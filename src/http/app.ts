// createApp(deps) / createRequestListener(deps): wires the services into the routes. No listen, no
// globals, no I/O of its own: server.ts builds the deps from the configuration; tests and hosts
// embedding hlsgate build them themselves.
//
// Every request enters through one front door (`front`): it is parsed once (ParsedRequest), logged,
// given the security headers, and then either served by the playlist handler on plain node:http
// (the hot path, see playlists.ts) or passed on to the Express routes (pages, static files, health,
// admin API). The listener `hlsgate serve` runs and the Express app for tests and hosts are the
// same front door in front of the same routes.
import { existsSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createViewerTokenVerifier } from '../adapters/viewer-tokens.js';
import { HttpError } from '../errors.js';
import { createHttpLogger } from '../logger.js';
import { ADMIN_API_BASE, isJsonPath, isPlayerPath, isPlaylistRoute, PLAYER_SCRIPT_PATH, STATIC_BASE, VIDEO_JS_BASE } from '../routes.js';
import { PLAYER_SCRIPT } from '../views/player-script.js';
import { adminRouter } from './admin.js';
import type { AppDeps } from './deps.js';
import { healthRouter } from './health.js';
import { playlistHandler } from './playlists.js';
import { ADMIN_AUTH_THROTTLE, createFailureThrottle } from './rate-limit.js';
import { compileTrustProxy, ParsedRequest, type TrustProxy } from './request.js';
import { sendError, setSecurityHeaders, type ErrorFormat } from './respond.js';
import { videosRouter } from './videos.js';
import { admitWith, jwtAdmit, type Admit } from './viewer.js';

export type { AppDeps } from './deps.js';
export type { ErrorFormat } from './respond.js';
export type { Authorize, AuthorizeResult } from './viewer.js';

/** The admission in force: the host's `authorize`, else the built-in JWT check, else none (anyone may watch). */
function viewerAdmission(deps: AppDeps): Admit | undefined {
  if (deps.authorize) return admitWith(deps.authorize);
  const auth = deps.config.viewerAuth;
  if (auth.mode === 'jwt') return jwtAdmit(createViewerTokenVerifier(auth), deps.clock);
  if (auth.warn !== false) {
    deps.logger.warn('VIEWER_AUTH=none: anyone who can reach /videos/<id> can watch every video; set VIEWER_AUTH=jwt (README: "Viewer authorization")');
  }
  return undefined;
}

/** The directory of Video.js's prebuilt files (dist/) inside node_modules. */
export function videoJsDistDir(): string {
  const pkg = createRequire(import.meta.url).resolve('video.js/package.json');
  return join(dirname(pkg), 'dist');
}

/** The repository's public/ directory (found from this module, in src/ or dist/), if any. */
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

/** Who reads an error body: a program (JSON interfaces), a player (playlists: text) or a person. */
function errorFormat(request: ParsedRequest, accepts: () => string | false): ErrorFormat {
  if (isJsonPath(request.path)) return 'json';
  if (isPlayerPath(request.path)) return 'text';
  return accepts() === 'json' ? 'json' : 'html';
}

/** The methods the playlist routes answer (OPTIONS with their Allow list); others go on to Express's 404. */
const PLAYLIST_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function baseExpressApp(trust: TrustProxy): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Playlists carry fresh signatures on every request: an ETag would only invite wrong 304s.
  app.set('etag', false);
  app.set('trust proxy', trust);
  return app;
}

/** The service's request listener: the front door, then the Express routes. What `hlsgate serve` listens with. */
export function createRequestListener(deps: AppDeps): RequestListener {
  return build(deps).listener;
}

/** The same front door and routes as an Express app; for tests and hosts embedding hlsgate. */
export function createApp(deps: AppDeps): express.Express {
  return build(deps).app;
}

function build(deps: AppDeps): { app: express.Express; listener: RequestListener } {
  // Addresses/subnets of the proxies whose X-Forwarded-For counts (validated by config.ts), or none.
  const trust = compileTrustProxy(deps.config.trustProxy);
  const admit = viewerAdmission(deps);
  const logRequest = createHttpLogger(deps.logger);
  const servePlaylist = playlistHandler(deps, admit);
  // The front door's parse of each request, for the Express routes behind it.
  const parsed = new WeakMap<IncomingMessage, ParsedRequest>();
  const requestOf = (req: IncomingMessage): ParsedRequest => parsed.get(req) ?? new ParsedRequest(req, trust);

  function front(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const request = new ParsedRequest(req, trust);
    logRequest(req, res, request.path);
    setSecurityHeaders(res);
    const route = request.route;
    if (isPlaylistRoute(route) && PLAYLIST_METHODS.has(request.method)) {
      servePlaylist(req, res, request, route).catch((err: unknown) => sendError(req, res, err, 'text', deps));
      return;
    }
    parsed.set(req, request);
    next();
  }

  const routes = baseExpressApp(trust);
  routes.use(healthRouter(deps));
  routes.get(PLAYER_SCRIPT_PATH, (_req, res) => {
    res.set({ 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }).send(PLAYER_SCRIPT);
  });
  routes.use(`${VIDEO_JS_BASE}/`, express.static(videoJsDistDir(), { index: false, maxAge: '1h', redirect: false }));
  const pub = publicDir();
  if (pub) routes.use(`${STATIC_BASE}/`, express.static(pub, { index: false, redirect: false }));
  routes.use(videosRouter(deps, { admit, requestOf }));
  const adminToken = deps.config.adminToken;
  if (adminToken) {
    const throttle = deps.adminThrottle ?? createFailureThrottle({ ...ADMIN_AUTH_THROTTLE, clock: deps.clock });
    routes.use(ADMIN_API_BASE, adminRouter(deps, { adminToken, throttle, clientIp: (req) => requestOf(req).clientIp }));
  }
  routes.use(() => {
    throw new HttpError(404, 'there is nothing at this address');
  });
  // Errors of the Express routes become responses in the one place the playlist handler uses too.
  routes.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const accepts = (): string | false => req.accepts(['html', 'json']);
    sendError(req, res, err, errorFormat(requestOf(req), accepts), deps);
  });

  const listener: RequestListener = (req, res) => {
    front(req, res, () => {
      routes(req, res);
    });
  };
  const app = baseExpressApp(trust);
  app.use((req, res, next) => front(req, res, () => next()));
  app.use(routes);
  return { app, listener };
}
