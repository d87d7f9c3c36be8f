// Writing responses on node:http's ServerResponse, shared by the Express routes (pages, admin,
// health) and the playlist handler, which serves the hot routes without Express. Where Express
// would write something itself (res.cookie, res.clearCookie), this writes it the same way, so both
// paths agree. The one place errors become responses is here too.
import type { IncomingMessage, ServerResponse } from 'node:http';
import cookie, { type CookieSerializeOptions } from 'cookie';
import type { Logger } from 'pino';
import { fromFrameworkError, HttpError } from '../errors.js';
import { requestLog } from '../logger.js';
import { errorPage } from '../views/pages.js';
import { contentSecurityPolicy } from '../views/html.js';

/** Headers every response carries. */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // Signed URLs must never leak to other sites through Referer.
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  // Nothing but the pages (which replace this with their own policy) is meant to be rendered.
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
}

export interface CookieOptions {
  domain?: string;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: 'lax' | 'none' | 'strict';
  /** Lifetime: becomes Max-Age (seconds) and Expires (`nowMs + ms`, the injected clock), as Express's res.cookie does. */
  maxAge?: { ms: number; nowMs: number };
  expires?: Date;
}

/** Appends a Set-Cookie header exactly as Express's res.cookie would (the value is sent unencoded). */
export function appendCookie(res: ServerResponse, name: string, value: string, o: CookieOptions): void {
  const { maxAge, ...attrs } = o;
  const opts: CookieSerializeOptions = { ...attrs, encode: (v: string) => v };
  if (maxAge !== undefined) {
    opts.expires = new Date(maxAge.nowMs + maxAge.ms);
    opts.maxAge = Math.floor(maxAge.ms / 1000);
  }
  const line = cookie.serialize(name, value, opts);
  const prev = res.getHeader('Set-Cookie');
  res.setHeader('Set-Cookie', prev === undefined ? line : [...(Array.isArray(prev) ? prev : [String(prev)]), line]);
}

/** Removes a cookie (Express's res.clearCookie: empty value, Expires in 1970). */
export function clearCookie(res: ServerResponse, name: string, o: Omit<CookieOptions, 'maxAge' | 'expires'>): void {
  appendCookie(res, name, '', { ...o, expires: new Date(1) });
}

/** Where a failed request's error body goes: a person (HTML), a program (JSON) or a player (text). */
export type ErrorFormat = 'html' | 'json' | 'text';

/** Sends a complete response (Content-Length set; node:http drops the body for HEAD). */
export function sendBody(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', bytes.byteLength);
  res.end(bytes);
}

/** What a page's Content-Security-Policy is made of. */
export interface PageConfig {
  cdnBaseUrl: string;
  playerOrigins: readonly string[];
}

/** Sends an HTML page with the pages' Content-Security-Policy (which lets the player reach the CDN). */
export function sendHtml(res: ServerResponse, config: PageConfig, status: number, html: string): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy(config.cdnBaseUrl, config.playerOrigins));
  res.setHeader('Cache-Control', 'no-store');
  sendBody(res, status, 'text/html; charset=utf-8', html);
}

/**
 * The one place errors become responses (the Express error middleware and the playlist handler
 * both end here): anything not an HttpError is logged and answered as a 500 that says nothing more.
 */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  format: ErrorFormat,
  deps: { logger: Logger; config: PageConfig },
): void {
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
  for (const [name, value] of Object.entries(httpError.headers)) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  if (format === 'json') {
    const body = { error: httpError.message, code: httpError.code, ...(httpError.field === undefined ? {} : { field: httpError.field }) };
    sendBody(res, httpError.status, 'application/json; charset=utf-8', JSON.stringify(body));
  } else if (format === 'text') {
    sendBody(res, httpError.status, 'text/plain; charset=utf-8', `${httpError.status} ${httpError.message}\n`);
  } else {
    sendHtml(res, deps.config, httpError.status, errorPage(httpError.status, httpError.message));
  }
}
