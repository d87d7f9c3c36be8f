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
// the token (`Max-Age` = exp − now). Every playlist request re-verifies it, so an expired or
// narrowed token stops working at once.
import type { Request, Response } from 'express';
import type { Video } from '../services/catalog.js';
import { denial, MAX_TOKEN_LENGTH, type DenialCode, type ViewerTokenVerifier } from '../services/viewer-auth.js';

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
 * session cookie); `VIEWER_AUTH=jwt` is the built-in one.
 */
export type Authorize = (req: Request, video: Video) => Promise<AuthorizeResult>;

export const VIEWER_COOKIE = 'hlsgate_viewer';
const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i; // 1: the token

/** The token of an `Authorization: Bearer <token>` header, undefined for anything else. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

/** Where the built-in authorizer found the token. */
export type TokenSource = 'header' | 'query' | 'cookie';

/** What the built-in authorizer adds to its verdicts for the routes (not part of the public contract). */
export const JWT_DETAILS = Symbol('hlsgate.jwt');
export interface JwtDetails {
  source?: TokenSource;
  token?: string;
  /** Token expiry, epoch seconds. */
  expires?: number;
}
type WithDetails = AuthorizeResult & { [JWT_DETAILS]?: JwtDetails };

/** `/videos/<id>` (the player page), where `?token=` is accepted. */
const PAGE_PATH = /^\/videos\/[^/]+\/?$/;

/** A cookie value from the Cookie header (first occurrence), undefined if absent. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
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
export function findToken(req: Request): { token: string; source: TokenSource } | undefined {
  const bearer = bearerToken(req.get('authorization'));
  if (bearer) return { token: bearer, source: 'header' };
  if (PAGE_PATH.test(req.path)) {
    const q = req.query.token;
    if (typeof q === 'string' && q !== '') return { token: q, source: 'query' };
  }
  const cookie = readCookie(req, VIEWER_COOKIE);
  if (cookie) return { token: cookie, source: 'cookie' };
  return undefined;
}

/** The built-in `authorize` for VIEWER_AUTH=jwt. */
export function jwtAuthorize(verifier: ViewerTokenVerifier, clock: () => number): Authorize {
  return async (req, video) => {
    const found = findToken(req);
    if (!found) return withDetails(denial('missing_token'), {});
    const verdict = await verifier.verify(found.token, video.id, clock());
    if (!verdict.ok) return withDetails({ ok: false, status: verdict.status, reason: verdict.reason, code: verdict.code }, { source: found.source });
    return withDetails({ ok: true, ...(verdict.viewer === undefined ? {} : { viewer: verdict.viewer }) }, { source: found.source, token: found.token, expires: verdict.expires });
  };
}

function withDetails(result: AuthorizeResult | ReturnType<typeof denial>, details: JwtDetails): WithDetails {
  const out: WithDetails = result.ok
    ? { ...result }
    : { ok: false, status: result.status, reason: result.reason, ...('code' in result && result.code ? { code: result.code } : {}) };
  out[JWT_DETAILS] = details;
  return out;
}

export function jwtDetails(result: AuthorizeResult): JwtDetails | undefined {
  return (result as WithDetails)[JWT_DETAILS];
}

/** `localhost`, `127.x.x.x` or `::1`. */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Cookies set by the app are Secure unless the page is plain http on loopback (development). */
export function appCookieSecure(req: Request): boolean {
  return req.secure || !isLoopbackHostname(req.hostname);
}

/** The entitlement cookie's path: the video's page and everything under it. */
export function viewerCookiePath(videoId: string): string {
  return `/videos/${encodeURIComponent(videoId)}`;
}

/** Sets the entitlement cookie carrying `token` until `expires` (epoch seconds). */
export function setViewerCookie(req: Request, res: Response, videoId: string, token: string, expires: number, nowMs: number): void {
  if (token.length > MAX_TOKEN_LENGTH) return;
  const maxAgeMs = Math.max(0, expires * 1000 - nowMs);
  res.cookie(VIEWER_COOKIE, token, {
    path: viewerCookiePath(videoId),
    httpOnly: true,
    secure: appCookieSecure(req),
    sameSite: 'lax',
    maxAge: maxAgeMs,
    // A JWT is base64url and dots: nothing to encode.
    encode: (v: string) => v,
  });
}

/** Removes the entitlement cookie (its token no longer works). */
export function clearViewerCookie(req: Request, res: Response, videoId: string): void {
  res.clearCookie(VIEWER_COOKIE, { path: viewerCookiePath(videoId), httpOnly: true, secure: appCookieSecure(req), sameSite: 'lax' });
}

/** The request URL without its `token` query parameter (where the page redirects after reading it). */
export function urlWithoutToken(req: Request): string {
  const q = req.originalUrl.indexOf('?');
  const path = q === -1 ? req.originalUrl : req.originalUrl.slice(0, q);
  if (q === -1) return path;
  const kept = req.originalUrl
    .slice(q + 1)
    .split('&')
    .filter((part) => part !== '' && queryName(part) !== 'token');
  return kept.length ? `${path}?${kept.join('&')}` : path;
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

export type { DenialCode };
