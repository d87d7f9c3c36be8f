// createApp(deps): wires the services into the routes. No listen, no globals, no I/O of its own:
// server.ts builds the deps from the configuration; tests build them from local servers.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { ServiceConfig } from './config.js';
import { fromFrameworkError, HttpError } from './errors.js';
import { createHttpLogger, requestLog } from './logger.js';
import { adminRouter } from './routes/admin.js';
import { healthRouter } from './routes/health.js';
import { videosRouter } from './routes/videos.js';
import { jwtAuthorize, type Authorize } from './routes/viewer.js';
import type { Catalog } from './services/catalog.js';
import type { PlaylistSource } from './services/playlist-source.js';
import type { PlaybackCache } from './services/render-cache.js';
import type { SigningKey } from './services/signer.js';
import { createViewerTokenVerifier } from './services/viewer-auth.js';
import { errorPage, PLAYER_SCRIPT_URL, VIDEO_JS_BASE } from './views/pages.js';
import { PLAYER_SCRIPT } from './views/player-script.js';
import { sendHtml } from './views/respond.js';

export interface AppDeps {
  catalog: Catalog;
  source: PlaylistSource;
  signingKey: SigningKey;
  /** Current time, epoch milliseconds (injected so tests control signature expiry). */
  clock: () => number;
  logger: Logger;
  config: Pick<ServiceConfig, 'cdnBaseUrl' | 'signing' | 'adminToken' | 'trustProxy' | 'viewerAuth' | 'cdnCookieDomain' | 'bindIp' | 'rateLimitPerMinute'> & {
    s3: { maxPlaylistBytes: number };
  };
  /**
   * Who may watch (the player page and every playlist). Absent: the built-in implementation chosen
   * by `config.viewerAuth` (`jwt`), or anyone (`none`). Hosts embedding hlsgate pass their own.
   */
  authorize?: Authorize;
  /** Extra readiness checks (e.g. the embedded stack's local edge); rejects when not ready. */
  ready?: () => Promise<void>;
  /** Compiled playlists, signatures and shared responses (issue 5); absent: all done per request. */
  playbackCache?: PlaybackCache;
}

export type { Authorize, AuthorizeResult } from './routes/viewer.js';

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

/** Where a failed request's error body goes: a person (HTML), a program (JSON) or a player (text). */
export type ErrorFormat = 'html' | 'json' | 'text';

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

function errorFormat(req: Request, res: Response): ErrorFormat {
  const chosen = res.locals.errorFormat as ErrorFormat | undefined;
  if (chosen) return chosen;
  const path = req.path;
  if (path === '/api' || path.startsWith('/api/') || path === '/healthz' || path === '/readyz') return 'json';
  if (/\.m3u8$/i.test(path) || /^\/videos\/[^/]+\/media\//.test(path)) return 'text';
  return req.accepts(['html', 'json']) === 'json' ? 'json' : 'html';
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Playlists carry fresh signatures on every request: an ETag would only invite wrong 304s.
  app.set('etag', false);
  // Addresses/subnets of the proxies whose X-Forwarded-For counts (validated by config.ts), or false.
  app.set('trust proxy', deps.config.trustProxy || false);
  const authorize = viewerAuthorizer(deps);

  app.use(createHttpLogger(deps.logger));
  app.use((_req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      // Signed URLs must never leak to other sites through Referer.
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
      // Nothing but the pages (which replace this with their own policy) is meant to be rendered.
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    });
    next();
  });

  app.use(healthRouter(deps));

  app.get(PLAYER_SCRIPT_URL, (_req, res) => {
    res.set({ 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }).send(PLAYER_SCRIPT);
  });
  app.use(`${VIDEO_JS_BASE}/`, express.static(videoJsDistDir(), { index: false, maxAge: '1h', redirect: false }));
  const pub = publicDir();
  if (pub) app.use('/static/', express.static(pub, { index: false, redirect: false }));

  app.use(videosRouter(deps, { ...(authorize ? { authorize } : {}) }));

  const adminToken = deps.config.adminToken;
  if (adminToken) app.use('/api/videos', adminRouter(deps, adminToken));

  app.use(() => {
    throw new HttpError(404, 'there is nothing at this address');
  });

  // The one place errors become responses.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const known = err instanceof HttpError ? err : fromFrameworkError(err);
    const httpError = known ?? new HttpError(500, 'something went wrong on our side; the error has been logged', { cause: err });
    const log = requestLog(req, deps.logger);
    if (!known) log.error({ err }, 'unhandled error');
    else if (httpError.status >= 500) {
      log[httpError.status === 500 ? 'error' : 'warn']({ err: httpError.cause ?? httpError, status: httpError.status }, httpError.message);
    }

    if (res.headersSent) {
      // Too late for an error response: cut the connection so the client sees a failure, not a truncated success.
      res.destroy();
      return;
    }
    res.status(httpError.status);
    res.set({ ...httpError.headers, 'Cache-Control': 'no-store' });
    const format = errorFormat(req, res);
    if (format === 'json') {
      res.json({ error: httpError.message, code: httpError.code, ...(httpError.field === undefined ? {} : { field: httpError.field }) });
    } else if (format === 'text') {
      res.type('text/plain; charset=utf-8').send(`${httpError.status} ${httpError.message}\n`);
    } else {
      sendHtml(res, deps, httpError.status, errorPage(httpError.status, httpError.message));
    }
  });

  return app;
}
