// SIGNING_MODE=cookies: the playlist responses set CloudFront signed cookies (one custom policy for
// the video's root prefix) and the playlists carry plain CDN URLs. This builds the cookies (names,
// values, attributes); the route only writes them. The browser sends the cookies
// to the CDN when the CDN host is inside the cookie's Domain (CDN_COOKIE_DOMAIN, e.g. `.example.com`
// for app.example.com and media.example.com) or, without a Domain, when it is the app's own host
// (cookies are per host, not per port: the embedded demo's app and edge on 127.0.0.1 share them).
import { cookiePathFor, domainMatches, prefixResource } from '../core/scope.js';
import { cacheKey } from './playback-cache.js';
import { signedCookies, type CustomPolicy, type SigningKey } from '../core/cloudfront/signer.js';

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
  /** Lifetime from `nowMs` (the expiry of the policy). */
  maxAge: { ms: number; nowMs: number };
}

/** The CloudFront-* cookies for a video (values and attributes). */
export function cdnCookies(o: CdnCookieOptions): CookieSpec[] {
  // prefixResource refuses a root holding `*`, which the policy would read as a wildcard.
  const policy: CustomPolicy = { resource: prefixResource(o.rootUrl), dateLessThan: o.expires };
  if (o.clientIp !== undefined) policy.sourceIp = o.clientIp;
  const sign = (): string => JSON.stringify(signedCookies(o.key, policy));
  const memoKey = cacheKey('cookies', o.key.keyPairId, o.key.hash, o.expires, o.clientIp ?? '', o.rootUrl);
  const values = JSON.parse(o.memo ? o.memo(memoKey, sign) : sign()) as Record<string, string>;
  // Secure cookies only travel over https; over plain http (a local edge) they would never be sent.
  const secure = new URL(o.rootUrl).protocol === 'https:';
  const path = cookiePathFor(o.rootUrl);
  const maxAge = { ms: Math.max(0, o.expires * 1000 - o.nowMs), nowMs: o.nowMs };
  return Object.entries(values).map(([name, value]) => ({
    name,
    value,
    ...(o.domain ? { domain: o.domain } : {}),
    path,
    secure,
    httpOnly: true as const,
    // Cross-site subrequests carry only SameSite=None cookies, and those must be Secure.
    sameSite: secure ? ('none' as const) : ('lax' as const),
    maxAge,
  }));
}
