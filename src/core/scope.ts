// Where a video's signatures may reach: every scope rule of hlsgate in one place.
//
// A video owns one root prefix in the bucket, seen at the CDN as its root URL
// (`<CDN_BASE_URL>/<rootPrefix>`, always ending in `/`). Nothing outside it is ever signed:
// - a URI in a playlist is signed only when it resolves under the root URL (classifyUri);
// - a prefix policy (wildcard mode, IP-bound url mode, signed cookies) covers `<rootUrl>*`, so a
//   root holding `*` is refused: the policy would read it as a wildcard (prefixResource);
// - a nested playlist request names a path under the root, never climbing out (decodeNestedPath);
// - signed cookies go only to hosts inside their Domain (domainMatches) and cover only the root's
//   path (cookiePathFor).
// Pure: strings in, strings (or verdicts) out.
import { decodeKeyPath, keyToCdnUrl } from './cdn-url.js';
import { isSigningParam, SignerError } from './cloudfront/signer.js';

/** The CDN URL of a video's root prefix, always ending in `/`. */
export function rootUrlOf(cdnBaseUrl: string, rootPrefix: string): string {
  const url = keyToCdnUrl(cdnBaseUrl, rootPrefix);
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * The policy Resource covering everything under a root URL (`<rootUrl>*`). Throws SignerError when
 * the root holds `*`: a policy reads it as a wildcard, so the Resource would also cover other
 * prefixes (other videos). (`?` cannot occur: it is percent-encoded in a path.) Every policy built
 * from a root goes through here: wildcard URLs, IP-bound url mode and signed cookies alike.
 */
export function prefixResource(rootUrl: string): string {
  if (rootUrl.includes('*')) {
    throw new SignerError(
      `root URL "${rootUrl.slice(0, 200)}" contains "*", which a custom policy would read as a wildcard covering other prefixes; rename the video's folder or use SIGNING_MODE=url without IP binding`,
    );
  }
  return `${rootUrl}*`;
}

/** Throws SignerError unless `url` (normalized) lies under `rootUrl`: the last check before a URL is emitted or signed. */
export function assertUnderRoot(url: string, rootUrl: string, what = 'sign'): void {
  if (!url.startsWith(rootUrl)) throw new SignerError(`refusing to ${what} "${url.slice(0, 200)}": it is not under the video root ${rootUrl}`);
}

/** Why a URI is not signed: another origin, outside the root prefix, not http(s), or already signed. */
export type OutOfScopeReason = 'foreign-host' | 'outside-root' | 'not-http' | 'already-signed';

export const OUT_OF_SCOPE_TEXT: Record<OutOfScopeReason, string> = {
  'foreign-host': 'points to another host',
  'outside-root': "resolves outside the video's root prefix",
  'not-http': 'is not an http(s) URL',
  'already-signed': 'already carries CloudFront signing parameters',
};

/** What happens to a URI hlsgate will not sign: left as written (`pass`) or the playlist refused. */
export type OutOfScopeAction = 'pass' | 'refuse';
export type OutOfScopePolicy = Readonly<Record<OutOfScopeReason, OutOfScopeAction>>;

/** What to do with URIs on another host (FOREIGN_URIS). */
export type ForeignUris = 'pass' | 'refuse';

/**
 * The URI policy of the service and `hlsgate rewrite`. URIs on another host (key servers, ad
 * servers, another CDN) are not ours to sign and play as they are: passed through unless the
 * operator asks for `refuse`. Non-HTTP URIs (data:, skd://) are never fetched from the CDN: passed.
 * A URI on the CDN host outside the root cannot play (CloudFront refuses it unsigned, and signing
 * it would open another prefix): refused. A URI already carrying signing parameters is someone
 * else's signature: refused.
 */
export function uriPolicy(foreign: ForeignUris): OutOfScopePolicy {
  return { 'foreign-host': foreign, 'not-http': 'pass', 'outside-root': 'refuse', 'already-signed': 'refuse' };
}

/** Every unsignable URI left as written (`hlsgate rewrite --out-of-scope keep`). */
export const KEEP_ALL: OutOfScopePolicy = { 'foreign-host': 'pass', 'not-http': 'pass', 'outside-root': 'pass', 'already-signed': 'pass' };
/** Every unsignable URI refuses the playlist. */
export const REFUSE_ALL: OutOfScopePolicy = { 'foreign-host': 'refuse', 'not-http': 'refuse', 'outside-root': 'refuse', 'already-signed': 'refuse' };

/**
 * Whether a resolved URI may be signed for a root: undefined when it may, else why not.
 * `href` is `url.href` without its fragment; `root` is the root URL's origin and href.
 */
export function classifyUri(url: URL, href: string, root: { origin: string; href: string }): OutOfScopeReason | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'not-http';
  if (url.origin !== root.origin) return 'foreign-host';
  if (!href.startsWith(root.href)) return 'outside-root';
  if (url.search.length > 1) {
    for (const name of url.searchParams.keys()) if (isSigningParam(name)) return 'already-signed';
  }
  return undefined;
}

// A C0 control character or DEL anywhere in a decoded key (NUL included).
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const PLAYLIST_EXTENSION = /\.m3u8$/i;
const MAX_REL_PATH_LENGTH = 1024;

/**
 * The object key suffix a nested-playlist request names, or undefined when the path is not a
 * playlist inside the video's folder: malformed percent-encoding, `.`/`..`/empty segments (also when
 * hidden as `%2e%2e` or `..%2F`), backslashes, control characters, or not ending in `.m3u8`.
 */
export function decodeNestedPath(relPath: string): string | undefined {
  if (relPath.length === 0 || relPath.length > MAX_REL_PATH_LENGTH) return undefined;
  const decoded = decodeKeyPath(relPath);
  if (decoded === undefined) return undefined;
  if (decoded.includes('\\') || CONTROL_CHARS.test(decoded)) return undefined;
  if (decoded.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) return undefined;
  if (!PLAYLIST_EXTENSION.test(decoded)) return undefined;
  return decoded;
}

/** Whether `host` is inside cookie domain `domain` (RFC 6265 domain-match; a leading dot is ignored). */
export function domainMatches(host: string, domain: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const d = domain.toLowerCase().replace(/^\./, '').replace(/\.$/, '');
  return h === d || h.endsWith(`.${d}`);
}

/**
 * The cookie Path for a root URL: its path, cut before any `;` (which cannot appear in a cookie
 * attribute) at the last `/`, so the cookie still covers the whole prefix.
 */
export function cookiePathFor(rootUrl: string): string {
  const path = new URL(rootUrl).pathname;
  // eslint-disable-next-line no-control-regex -- a cookie attribute cannot hold these
  const bad = path.search(/[;\u0000-\u001f\u007f]/);
  if (bad === -1) return path;
  return path.slice(0, path.lastIndexOf('/', bad) + 1) || '/';
}
