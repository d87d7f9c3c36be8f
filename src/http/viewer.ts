// Who may watch, at the HTTP level: the pluggable `authorize(req, video)` contract, the built-in JWT
// implementation (token from `Authorization: Bearer`, from `?token=` on the player page, or from the
// per-video entitlement cookie), and the cookie itself.
//
// The entitlement cookie (`hlsgate_viewer`) carries the viewer's token as received, so playlist
// requests never need a token in their URL, and any number of hlsgate instances can check it with
// the same key (no session store, no extra secret). It is HttpOnly (page scripts cannot read it),
// SameSite=Lax (sent on the top-level navigation after the `?token=` redirect, never on cross-site
// subrequests), Secure unless the page is plain http on loopback, scoped to `Path=/videos/<id>` (the
// page and its playlists, nothing else: another video's pages never see it) and lives as long as
// the token (`Max-Age` = exp − now, at most the 400 days browsers keep a cookie). Every playlist
// request re-verifies it, so an expired or narrowed token stops working at once.
//
// Framework-free (node:http requests and responses): the playlist routes are served without Express.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { HttpError } from '../errors.js';
import { addLogFields } from '../logger.js';
import type { Video } from '../adapters/catalog.js';
import { denial, MAX_TOKEN_LENGTH, VerifierUnavailableError, type DenialCode, type ViewerTokenVerifier } from '../adapters/viewer-tokens.js';
import { playerPath } from '../routes.js';
import type { ParsedRequest } from './request.js';
import { appendCookie, clearCookie } from './respond.js';

export type AuthorizeResult =
  | { ok: true; viewer?: string }
  | {
      ok: false;
      status: 401 | 403;
      /** Shown to the viewer (HTML page, JSON `error`, or the playlist's text body). */
      reason: string;
      /** Machine-readable code for JSON bodies (default unauthorized/forbidden). */
      code?: string;
    };

/**
 * Decides whether the request may watch `video`: called for the player page and for every playlist
 * (top and nested). Hosts embedding hlsgate as a library pass their own (e.g. checking their own
 * session cookie); `VIEWER_AUTH=jwt` is the built-in one. `req` is node:http's request: playlists
 * are served without Express (through createApp's Express app it is also an Express Request, but
 * through createRequestListener, as `hlsgate serve` runs, it is not).
 */
export type Authorize = (req: IncomingMessage, video: Video) => Promise<AuthorizeResult>;

export const VIEWER_COOKIE = 'hlsgate_viewer';
const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i; // 1: the token

/** The token of an `Authorization: Bearer <token>` header, undefined for anything else. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

/** Where the built-in authorizer found the token. */
export type TokenSource = 'header' | 'query' | 'cookie';

/**
 * A verdict as the routes use it: the `authorize` result and, from the built-in JWT check only,
 * the token it accepted and where it was found (a token from the header or `?token=` on the page
 * becomes the entitlement cookie). Hosts' authorizers are adapted with `admitWith`.
 */
export interface Admission {
  result: AuthorizeResult;
  token?: { source: TokenSource; value?: string; /** Token expiry, epoch seconds. */ expires?: number };
}

/** Decides admission for the page or a playlist (the built-in JWT check, or a host's `authorize`). */
export type Admit = (req: IncomingMessage, request: ParsedRequest, video: Video) => Promise<Admission>;

/** A host's `authorize` as an Admit (no token details: the host manages its own sessions). */
export function admitWith(authorize: Authorize): Admit {
  return async (req, _request, video) => ({ result: await authorize(req, video) });
}

/** A cookie value from the Cookie header (first occurrence), undefined if absent. */
export function readCookie(request: ParsedRequest, name: string): string | undefined {
  const cookies = request.header('cookie');
  if (!cookies) return undefined;
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value;
  }
  return undefined;
}

/** The token a request carries, and where from: header, then `?token=` (page only), then cookie. */
export function findToken(request: ParsedRequest): { token: string; source: TokenSource } | undefined {
  const bearer = bearerToken(request.header('authorization'));
  if (bearer) return { token: bearer, source: 'header' };
  if (request.route?.name === 'player' && request.rawQuery !== '') {
    // Parsed as Express's default ("simple") query parser does: a repeated token is no token.
    const q = parseQuery(request.rawQuery).token;
    if (typeof q === 'string' && q !== '') return { token: q, source: 'query' };
  }
  const cookie = readCookie(request, VIEWER_COOKIE);
  if (cookie) return { token: cookie, source: 'cookie' };
  return undefined;
}

/** The built-in admission for VIEWER_AUTH=jwt. */
export function jwtAdmit(verifier: ViewerTokenVerifier, clock: () => number): Admit {
  return async (_req, request, video) => {
    const found = findToken(request);
    if (!found) return { result: denial('missing_token') };
    const verdict = await verifier.verify(found.token, video.id, clock());
    if (!verdict.ok) return { result: { ok: false, status: verdict.status, reason: verdict.reason, code: verdict.code }, token: { source: found.source } };
    return {
      result: { ok: true, ...(verdict.viewer === undefined ? {} : { viewer: verdict.viewer }) },
      token: { source: found.source, value: found.token, expires: verdict.expires },
    };
  };
}

/** `localhost`, `127.x.x.x` or `::1`. */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Cookies set by the app are Secure unless the page is plain http on loopback (development). */
export function appCookieSecure(request: ParsedRequest): boolean {
  return request.secure || !isLoopbackHostname(request.hostname ?? '');
}

/**
 * The longest lifetime a browser keeps a cookie (RFC 6265bis caps Max-Age and Expires at 400 days).
 * A token valid for longer (an `exp` far in the future, even beyond JavaScript's dates) gets a
 * cookie of this lifetime; every playlist request still checks the token itself.
 */
export const MAX_COOKIE_LIFETIME_MS = 400 * 86_400_000;

/** The entitlement cookie's lifetime for a token expiring at `expires` (epoch seconds): 0 to 400 days. */
export function viewerCookieLifetimeMs(expires: number, nowMs: number): number {
  const ms = expires * 1000 - nowMs;
  if (Number.isNaN(ms)) return 0;
  return Math.min(MAX_COOKIE_LIFETIME_MS, Math.max(0, ms));
}

/** Sets the entitlement cookie carrying `token` until `expires` (epoch seconds; at most 400 days from now). */
export function setViewerCookie(request: ParsedRequest, res: ServerResponse, videoId: string, token: string, expires: number, nowMs: number): void {
  if (token.length > MAX_TOKEN_LENGTH) return;
  const ms = viewerCookieLifetimeMs(expires, nowMs);
  // A JWT is base64url and dots: nothing to encode (appendCookie sends values as they are).
  appendCookie(res, VIEWER_COOKIE, token, { path: playerPath(videoId), httpOnly: true, secure: appCookieSecure(request), sameSite: 'lax', maxAge: { ms, nowMs } });
}

/** Removes the entitlement cookie (its token no longer works). */
export function clearViewerCookie(request: ParsedRequest, res: ServerResponse, videoId: string): void {
  clearCookie(res, VIEWER_COOKIE, { path: playerPath(videoId), httpOnly: true, secure: appCookieSecure(request), sameSite: 'lax' });
}

/** The request URL without its `token` query parameter (where the page redirects after reading it). */
export function urlWithoutToken(request: ParsedRequest): string {
  if (request.rawQuery === '') return request.path;
  const kept = request.rawQuery.split('&').filter((part) => part !== '' && queryName(part) !== 'token');
  return kept.length ? `${request.path}?${kept.join('&')}` : request.path;
}

/** A query parameter's name decoded as the query parser decodes it (`%74oken` is `token` too). */
function queryName(part: string): string {
  const name = part.split('=')[0]!.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

export interface AdmitOptions {
  /** Who may watch; absent = anyone. */
  admit: Admit | undefined;
  clock: () => number;
  /** The player page (a token from the header or `?token=` becomes the entitlement cookie) or a playlist. */
  page: boolean;
}

/**
 * Runs the admission for the page or a playlist; throws the 401/403 (clearing an entitlement cookie
 * that no longer works). On the page, a token from the header or `?token=` becomes the entitlement
 * cookie; for `?token=` it answers 'redirect': the page then redirects to the same URL without it.
 */
export async function admitViewer(req: IncomingMessage, res: ServerResponse, request: ParsedRequest, video: Video, o: AdmitOptions): Promise<'ok' | 'redirect'> {
  if (!o.admit) return 'ok';
  let admission: Admission;
  try {
    admission = await o.admit(req, request, video);
  } catch (err) {
    if (err instanceof VerifierUnavailableError) {
      throw new HttpError(503, 'viewer tokens cannot be checked right now (the key set is unreachable); try again shortly', { cause: err });
    }
    throw err;
  }
  const { result, token } = admission;
  if (!result.ok) {
    if (token?.source === 'cookie') clearViewerCookie(request, res, video.id);
    throw new HttpError(result.status, result.reason, {
      code: result.code ?? (result.status === 401 ? 'unauthorized' : 'forbidden'),
      ...(result.status === 401 ? { headers: { 'WWW-Authenticate': 'Bearer realm="hlsgate"' } } : {}),
    });
  }
  if (result.viewer !== undefined) addLogFields(req, { viewer: result.viewer });
  if (o.page && token?.value !== undefined && token.expires !== undefined && token.source !== 'cookie') {
    setViewerCookie(request, res, video.id, token.value, token.expires, o.clock());
    // Keep the token out of the address bar, history and bookmarks.
    if (token.source === 'query') return 'redirect';
  }
  return 'ok';
}

export type { DenialCode };
