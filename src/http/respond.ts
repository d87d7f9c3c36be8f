// Framework-free HTTP helpers on node:http's IncomingMessage and ServerResponse, shared by the
// Express routes (pages, admin, health) and the plain playlist handler (playlists.ts), which serves
// the hot routes without Express (issue 5: Express's routing costs more than the cached use case).
// Where Express computes something from the request (req.ip, req.hostname, req.secure, res.cookie),
// this does it the same way (same packages, same trust-proxy rules), so both paths agree.
import type { IncomingMessage, ServerResponse } from 'node:http';
import cookie, { type CookieSerializeOptions } from 'cookie';
import proxyaddr from 'proxy-addr';
import type { Logger } from 'pino';
import { fromFrameworkError, HttpError } from '../errors.js';
import { requestLog } from '../logger.js';
import { errorPage } from '../views/pages.js';
import { contentSecurityPolicy } from '../views/html.js';
import { unmapIPv4 } from './rate-limit.js';

/** Whether the hop at `addr` (the i-th from the socket) is a trusted proxy (TRUST_PROXY, compiled). */
export type TrustProxy = (addr: string, i: number) => boolean;

/** TRUST_PROXY (comma-separated addresses/subnets/names, or false) compiled the way Express compiles 'trust proxy'. */
export function compileTrustProxy(setting: string | false | undefined): TrustProxy {
  return proxyaddr.compile(setting ? setting.split(',').map((v) => v.trim()) : []);
}

/** A request header's value (the first, if repeated). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The request path without the query string (Express's `req.path` for the app's own routes). */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** Express's `req.ip` (X-Forwarded-For only from trusted proxies), IPv4-mapped IPv6 as IPv4. */
export function clientAddress(req: IncomingMessage, trust: TrustProxy): string | undefined {
  // proxy-addr reads the socket's address; a destroyed socket has none.
  if (req.socket.remoteAddress === undefined) return undefined;
  const ip = proxyaddr(req, trust);
  return ip ? unmapIPv4(ip) : undefined;
}

/** Express's `req.hostname`: X-Forwarded-Host from a trusted proxy, else Host, without the port. */
export function requestHostname(req: IncomingMessage, trust: TrustProxy): string | undefined {
  let host = header(req, 'x-forwarded-host');
  if (!host || !trust(req.socket.remoteAddress ?? '', 0)) host = header(req, 'host');
  else if (host.includes(',')) host = host.slice(0, host.indexOf(',')).trimEnd();
  if (!host) return undefined;
  const offset = host.startsWith('[') ? host.indexOf(']') + 1 : 0;
  const colon = host.indexOf(':', offset);
  return colon === -1 ? host : host.slice(0, colon);
}

/** Express's `req.secure`: TLS, or X-Forwarded-Proto `https` from a trusted proxy. */
export function requestIsSecure(req: IncomingMessage, trust: TrustProxy): boolean {
  const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  if (!trust(req.socket.remoteAddress ?? '', 0)) return proto === 'https';
  const forwarded = header(req, 'x-forwarded-proto') || proto;
  const comma = forwarded.indexOf(',');
  return (comma === -1 ? forwarded : forwarded.slice(0, comma)).trim() === 'https';
}

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
  sameSite: 'lax' | 'none';
  /** Milliseconds; becomes Max-Age (seconds) and Expires, as Express's res.cookie does. */
  maxAgeMs?: number;
  expires?: Date;
}

/** Appends a Set-Cookie header exactly as Express's res.cookie would (the value is sent unencoded). */
export function appendCookie(res: ServerResponse, name: string, value: string, o: CookieOptions): void {
  const { maxAgeMs, ...attrs } = o;
  const opts: CookieSerializeOptions = { ...attrs, encode: (v: string) => v };
  if (maxAgeMs !== undefined) {
    opts.expires = new Date(Date.now() + maxAgeMs);
    opts.maxAge = Math.floor(maxAgeMs / 1000);
  }
  const line = cookie.serialize(name, value, opts);
  const prev = res.getHeader('Set-Cookie');
  res.setHeader('Set-Cookie', prev === undefined ? line : [...(Array.isArray(prev) ? prev : [String(prev)]), line]);
}

/** Removes a cookie (Express's res.clearCookie: empty value, Expires in 1970). */
export function clearCookie(res: ServerResponse, name: string, o: Omit<CookieOptions, 'maxAgeMs' | 'expires'>): void {
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

/**
 * The one place errors become responses (the Express error middleware and the playlist handler
 * both end here): anything not an HttpError is logged and answered as a 500 that says nothing more.
 */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  format: ErrorFormat,
  deps: { logger: Logger; config: { cdnBaseUrl: string } },
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
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(deps.config.cdnBaseUrl));
    sendBody(res, httpError.status, 'text/html; charset=utf-8', errorPage(httpError.status, httpError.message));
  }
}
