// SIGNING_MODE=cookies: the playlist responses set CloudFront signed cookies (one custom policy for
// the video's root prefix) and the playlists carry plain CDN URLs. The browser sends the cookies
// to the CDN when the CDN host is inside the cookie's Domain (CDN_COOKIE_DOMAIN, e.g. `.example.com`
// for app.example.com and media.example.com) or, without a Domain, when it is the app's own host
// (cookies are per host, not per port: the embedded demo's app and edge on 127.0.0.1 share them).
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { cookiePathFor, domainMatches, prefixResource } from '../core/scope.js';
import { signedCookies, type CustomPolicy, type SigningKey } from '../core/cloudfront/signer.js';
import { appendCookie } from '../http/node-http.js';

export { cookiePathFor, domainMatches };

export interface CdnCookieOptions {
  key: SigningKey;
  /** The video's root URL at the CDN, ending in `/`. */
  rootUrl: string;
  /** Epoch seconds (the playlist's signature expiry). */
  expires: number;
  /** Epoch milliseconds. */
  nowMs: number;
  /** Cookie Domain (CDN_COOKIE_DOMAIN); absent = the app's host only. */
  domain?: string;
  /** Restrict the policy to this viewer address. */
  clientIp?: string;
  /**
   * Memo for the signed values (the playback cache's signature store): viewers of one expiry window
   * share one signature instead of paying a private-key operation per playlist request.
   */
  memo?: (key: string, make: () => string) => string;
}

export interface CookieSpec {
  name: string;
  value: string;
  domain?: string;
  path: string;
  secure: boolean;
  httpOnly: true;
  sameSite: 'none' | 'lax';
  maxAgeMs: number;
}

/** The CloudFront-* cookies for a video (values and attributes). */
export function cdnCookies(o: CdnCookieOptions): CookieSpec[] {
  // prefixResource refuses a root holding `*`, which the policy would read as a wildcard.
  const policy: CustomPolicy = { resource: prefixResource(o.rootUrl), dateLessThan: o.expires };
  if (o.clientIp !== undefined) policy.sourceIp = o.clientIp;
  const sign = (): string => JSON.stringify(signedCookies(o.key, policy));
  const memoKey = `cookies|${o.key.keyPairId}|${o.key.hash}|${o.expires}|${o.clientIp ?? ''}|${o.rootUrl}`;
  const values = JSON.parse(o.memo ? o.memo(memoKey, sign) : sign()) as Record<string, string>;
  // Secure cookies only travel over https; over plain http (a local edge) they would never be sent.
  const secure = new URL(o.rootUrl).protocol === 'https:';
  const path = cookiePathFor(o.rootUrl);
  const maxAgeMs = Math.max(0, o.expires * 1000 - o.nowMs);
  return Object.entries(values).map(([name, value]) => ({
    name,
    value,
    ...(o.domain ? { domain: o.domain } : {}),
    path,
    secure,
    httpOnly: true as const,
    // Cross-site subrequests carry only SameSite=None cookies, and those must be Secure.
    sameSite: secure ? ('none' as const) : ('lax' as const),
    maxAgeMs,
  }));
}

const warned = new WeakSet<object>();

/** Sets the CloudFront cookies on a playlist response; `hostname` is the page's host (req.hostname). */
export function setCdnCookies(res: ServerResponse, hostname: string | undefined, o: CdnCookieOptions, logger?: Pick<Logger, 'warn'>): void {
  const host = hostname ?? '';
  if (o.domain && logger && !domainMatches(host, o.domain) && !warned.has(logger)) {
    warned.add(logger);
    logger.warn(
      { host: hostname, cookieDomain: o.domain },
      `CDN_COOKIE_DOMAIN ${o.domain} does not cover this page's host ${hostname}: browsers will drop the CloudFront cookies and playback will fail with 403`,
    );
  }
  for (const c of cdnCookies(o)) {
    // CloudFront base64 (A-Z a-z 0-9 - _ ~) needs no encoding (appendCookie sends values as they are).
    appendCookie(res, c.name, c.value, {
      ...(c.domain ? { domain: c.domain } : {}),
      path: c.path,
      secure: c.secure,
      httpOnly: c.httpOnly,
      sameSite: c.sameSite,
      maxAgeMs: c.maxAgeMs,
    });
  }
}
