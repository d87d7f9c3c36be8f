// URI resolution: a URI written in a playlist (after variable substitution) to an absolute URL and
// a verdict. RFC 8216 section 4.1: relative URIs resolve against the playlist's own URI (RFC 3986
// section 5, here the WHATWG URL parser, as in players). Whether the result may be signed is
// scope.ts's rule (classifyUri); this module only prepares its input and builds the slot.
import { classifyUri, OUT_OF_SCOPE_TEXT, type OutOfScopeReason } from '../scope.js';
import { hideSigningValues, QUOTE_MAX, type Fail } from './errors.js';
import type { UriRole } from './tags.js';

/** CloudFront refuses longer URLs; also bounds what EXT-X-DEFINE substitution may build. */
export const MAX_URI_LENGTH = 8192;

/** A URI with a scheme (group 1: the scheme), RFC 3986 section 3.1. */
const URI_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * A place in the output where a URI goes. `media`: a resource to sign (`url` is absolute, the
 * normalized WHATWG href, no fragment). `playlist`: a nested playlist for hlsgate's route (`path`
 * is the encoded path relative to rootUrl, no query, e.g. `720p/index.m3u8`; `url` as for media).
 */
export type Slot = { kind: 'media'; url: string } | { kind: 'playlist'; path: string; url: string };

/** What URIs resolve against, and the root they must stay under. */
export interface UriScope {
  /** The playlist's own URL. */
  base: URL;
  /** The root URL, normalized (ends in '/'), and its origin. */
  rootHref: string;
  rootOrigin: string;
}

/** Checks the options' URLs; TypeError when they are not what the caller promised (a programming error). */
export function uriScope(rootUrl: string, playlistUrl: string): UriScope {
  let root: URL;
  let base: URL;
  try {
    root = new URL(rootUrl);
    base = new URL(playlistUrl);
  } catch {
    throw new TypeError(`rootUrl "${rootUrl}" and playlistUrl "${playlistUrl}" must be absolute URLs`);
  }
  if (root.protocol !== 'https:' && root.protocol !== 'http:') throw new TypeError(`rootUrl "${rootUrl}" must be http(s)`);
  if (root.search || root.hash || root.username || root.password || !root.pathname.endsWith('/')) {
    throw new TypeError(`rootUrl "${rootUrl}" must end in "/" and carry no query, fragment or credentials`);
  }
  return { rootHref: root.href, rootOrigin: root.origin, base };
}

export type UriVerdict =
  | { kind: 'slot'; slot: Slot }
  /** `origin`: scheme and host as resolved (`https://keys.example.com`), or the scheme alone (`data:`). */
  | { kind: 'out-of-scope'; reason: OutOfScopeReason; origin: string }
  /** A key URI that is not fetched from the CDN (skd:// FairPlay, data: Widevine PSSH): left as written. */
  | { kind: 'pass-through' };

const PASS_THROUGH: UriVerdict = { kind: 'pass-through' };

/**
 * Resolves `uri` (substituted; `raw` is how it was written, for messages) for a URI of `role`.
 * Fails with Malformed when it is not a URL, TooLarge when its URL is longer than MAX_URI_LENGTH.
 */
export function resolveUri(uri: string, raw: string, role: UriRole, scope: UriScope, fail: Fail): UriVerdict {
  const scheme = URI_SCHEME.exec(uri)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    return role === 'key' ? PASS_THROUGH : { kind: 'out-of-scope', reason: 'not-http', origin: `${scheme}:` };
  }
  let url: URL;
  try {
    url = new URL(uri, scope.base);
  } catch {
    return fail('Malformed', `URI "${raw.slice(0, QUOTE_MAX)}" is not a valid URL`);
  }
  let href = url.href;
  const hash = href.indexOf('#'); // '#' elsewhere in a serialized URL is percent-encoded
  if (hash !== -1) href = href.slice(0, hash);
  if (href.length > MAX_URI_LENGTH) return fail('TooLarge', `URI is ${href.length} characters long, over CloudFront's ${MAX_URI_LENGTH}`);
  const reason = classifyUri(url, href, { origin: scope.rootOrigin, href: scope.rootHref });
  if (reason !== undefined) return { kind: 'out-of-scope', reason, origin: url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol };
  return { kind: 'slot', slot: role === 'playlist' ? { kind: 'playlist', path: pathUnderRoot(href, scope.rootHref), url: href } : { kind: 'media', url: href } };
}

/** The route path of a nested playlist: its href after the root, without the query. */
function pathUnderRoot(href: string, rootHref: string): string {
  const rest = href.slice(rootHref.length);
  const query = rest.indexOf('?');
  return query === -1 ? rest : rest.slice(0, query);
}

/** The message of an OutOfScope refusal: the URI (signature values hidden), the root, and the fix. */
export function outOfScopeMessage(raw: string, reason: OutOfScopeReason, rootHref: string): string {
  const fix =
    reason === 'outside-root'
      ? "; widen the video's rootPrefix to a folder holding it, or move the file under the root"
      : reason === 'foreign-host'
        ? '; set FOREIGN_URIS=pass to let URIs on other hosts play unsigned'
        : '';
  return `URI "${hideSigningValues(raw).slice(0, QUOTE_MAX)}" ${OUT_OF_SCOPE_TEXT[reason]}; hlsgate only signs URLs under ${rootHref}${fix}`;
}

export { hideSigningValues };
