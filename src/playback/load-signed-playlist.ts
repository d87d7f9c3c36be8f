// The playback use case: a catalog video and an optional nested playlist path in, a playlist with
// every media URI signed for the CDN (and every nested playlist routed back through hlsgate) out.
// Story: resolve the object key → load it from S3 → compile → pick the expiry → sign and render.
// No Express here; failures are HttpErrors whose messages are safe to show to a viewer.
//
// Fast path, when `deps.playbackCache` is given (the service always gives one):
// - the source is expected to cache (playlist-cache.ts) and hands back the same bytes per version;
// - a playlist is compiled once per (root URL, key, ETag[, imported variables]); playlists whose
//   compiled form depends on the request's query (EXT-X-DEFINE:QUERYPARAM) are never cached;
// - expiries are rounded UP to `signing.windowSeconds` (signatureExpiry), so every viewer of a
//   window gets the same expiry and therefore the same signatures: wildcard signs one policy per
//   video per window, url one canned policy per URI per window (signatures cached by resource,
//   expiry, key pair and viewer address);
// - when the response is the same for every viewer (no IP binding), the rendered body and its
//   gzip/brotli forms are cached per (compiled version, video, mode, expiry).
// - in `cookies` mode the result also carries the CloudFront cookies to set (one custom policy
//   for the video's root, signed once per window and address), built here from the same expiry.
// Authorization is the routes' job and runs before this, on every request.
import { keyToCdnUrl } from '../core/cdn-url.js';
import type { Video } from '../adapters/catalog.js';
import { compilePlaylist, playlistFacts, PlaylistError, renderPlaylist, type CompiledPlaylist } from '../core/hls/manifest.js';
import { createMediaSigner, type MediaSignerOptions } from '../core/cloudfront/media-signer.js';
import { assertUnderRoot, decodeNestedPath, prefixResource, rootUrlOf } from '../core/scope.js';
import { SourceError, type PlaylistObject, type PlaylistSource } from '../adapters/s3-playlist-source.js';
import { cdnCookies, type CookieSpec } from './cdn-cookies.js';
import { cacheKey, type PlaybackCache } from './playback-cache.js';
import { SignerError, type SigningKey } from '../core/cloudfront/signer.js';
import { HttpError } from '../errors.js';
import { nestedPlaylistPath } from '../routes.js';

export { decodeNestedPath, rootUrlOf };

export interface PlaybackDeps {
  source: PlaylistSource;
  signingKey: SigningKey;
  /** Current time, epoch milliseconds. */
  clock: () => number;
  config: {
    /** Normalized CDN base URL (no trailing slash), mapping to the bucket root. */
    cdnBaseUrl: string;
    signing: {
      /** `cookies`: media URIs are plain CDN URLs (the route sets CloudFront signed cookies). */
      mode: 'wildcard' | 'url' | 'cookies';
      ttlSeconds: number;
      expiryMarginSeconds: number;
      /** Expiries are rounded up to a multiple of this many seconds; absent, 0 or 1: not rounded. */
      windowSeconds?: number;
    };
    s3: { maxPlaylistBytes: number };
    /** `cookies` mode: the cookies' Domain (CDN_COOKIE_DOMAIN); absent = the app's host only. */
    cdnCookieDomain?: string;
  };
  /** Compiled playlists, signatures and shared responses; absent: everything is done per request. */
  playbackCache?: PlaybackCache;
}

export interface LoadSignedPlaylistOptions {
  video: Pick<Video, 'id' | 'playlistKey' | 'rootPrefix'>;
  /**
   * A nested playlist's path relative to the video's root prefix, percent-encoded as it appears in
   * the request URL (e.g. `720p/index.m3u8`); absent for the video's top playlist.
   */
  relPath?: string;
  deps: PlaybackDeps;
  /** Viewer address; when given, signatures only work from it (custom policy with an IP condition). */
  clientIp?: string;
  /** The request's query, for `EXT-X-DEFINE:QUERYPARAM` variables. */
  query?: URLSearchParams;
}

export interface SignedPlaylist {
  body: string;
  kind: CompiledPlaylist['kind'];
  /**
   * Epoch seconds at which the signatures in the body expire (in `cookies` mode: the expiry the
   * route's cookie policy should carry; same rules).
   */
  expires: number;
  /** `body` as UTF-8 (send this; it is shared, do not modify it). */
  bytes: Buffer;
  /** Compressed forms of `bytes`, when the response is shared and they are computed (shortly after its first render). */
  gzip?: Buffer;
  br?: Buffer;
  /** The S3 ETag of the playlist object this was rendered from (for logs; not a response validator). */
  etag?: string;
  /** True when the response came from the shared cache (the same bytes every viewer of the window gets). */
  shared?: boolean;
  /** `cookies` mode: the CloudFront cookies the response sets (the body then holds plain CDN URLs). */
  cookies?: CookieSpec[];
}

/**
 * When the signatures in a playlist expire (epoch seconds): the TTL, stretched for a finished (VOD)
 * playlist so a viewer can watch it to the end: at least its whole duration plus the margin.
 */
export function signatureExpiry(compiled: Pick<CompiledPlaylist, 'totalDuration' | 'endList' | 'playlistType'>, nowMs: number, signing: PlaybackDeps['config']['signing']): number {
  const nowSeconds = Math.floor(nowMs / 1000);
  const finished = compiled.endList || compiled.playlistType === 'VOD';
  const watchTime = finished && Number.isFinite(compiled.totalDuration) ? Math.ceil(compiled.totalDuration) + signing.expiryMarginSeconds : 0;
  return roundUpToWindow(nowSeconds + Math.max(signing.ttlSeconds, watchTime), signing.windowSeconds);
}

/**
 * Rounds an expiry (epoch seconds) up to the next multiple of `windowSeconds` (unchanged when it
 * already is one, or when the window is absent, 0 or 1). Only ever extends: the result is ≥ the
 * input and < input + window. Windows are aligned to the epoch, so everyone rounding the same
 * unrounded span gets the same expiry until the span crosses the next multiple.
 */
export function roundUpToWindow(epochSeconds: number, windowSeconds: number | undefined): number {
  if (windowSeconds === undefined || !(windowSeconds > 1)) return epochSeconds;
  const w = Math.floor(windowSeconds);
  return Math.ceil(epochSeconds / w) * w;
}

const SOURCE_FAILURE_MESSAGES: Record<SourceError['code'], string> = {
  NotFound: 'the playlist for this video was not found in storage',
  Denied: 'the storage refused to read the playlist (check the bucket name and the service credentials)',
  Timeout: 'the storage did not answer in time; try again',
  TooLarge: 'the playlist in storage is larger than the configured limit',
  Upstream: 'the storage could not be reached or failed; try again',
};

/** The status is the one SourceError carries (s3-playlist-source.ts maps codes to 404/502/504). */
function sourceFailure(err: SourceError): HttpError {
  return new HttpError(err.status, SOURCE_FAILURE_MESSAGES[err.code], { cause: err });
}

function playlistFailure(err: PlaylistError, key: string): HttpError {
  // The viewer learns what is wrong, not where the object lives; the log gets the key.
  const cause = new Error(`${key}: ${err.message}`, { cause: err });
  switch (err.code) {
    case 'OutOfScope':
      return new HttpError(502, "playlist references media outside the video's folder", { cause });
    case 'TooLarge':
      return new HttpError(502, "this video's playlist is larger than the configured limit", { cause });
    case 'UndefinedVariable':
      return new HttpError(502, `this video's playlist uses a variable it cannot resolve: ${err.message}`, { cause });
    case 'Malformed':
      return new HttpError(502, `this video's playlist is malformed: ${err.message}`, { cause });
    case 'NotAPlaylist':
    case 'Binary':
    default:
      return new HttpError(502, "the stored object for this video is not an HLS playlist", { cause });
  }
}

async function load(deps: PlaybackDeps, key: string): Promise<PlaylistObject> {
  let object;
  try {
    object = await deps.source.get(key);
  } catch (err) {
    if (err instanceof SourceError) throw sourceFailure(err);
    throw err;
  }
  if (object.notModified) throw new Error(`storage answered 304 Not Modified for ${key} without a conditional request`);
  return object;
}

interface Compiled {
  compiled: CompiledPlaylist;
  /** Set when the compiled form is cached (and so may key shared renders); absent when it depends on the request. */
  compiledKey?: string;
}

function compile(
  object: PlaylistObject,
  key: string,
  rootUrl: string,
  deps: PlaybackDeps,
  query: URLSearchParams | undefined,
  imported?: { variables: Record<string, string>; cacheable: boolean },
): Compiled {
  const { cdnBaseUrl } = deps.config;
  const cache = deps.playbackCache;
  let compiledKey: string | undefined;
  if (cache && (imported === undefined || imported.cacheable)) {
    const version = object.etag ?? cache.versionOf(object.body);
    compiledKey = cacheKey(rootUrl, key, version, ...(imported ? [JSON.stringify(imported.variables)] : []));
    const hit = cache.getCompiled(compiledKey);
    if (hit) return { compiled: hit, compiledKey };
  }
  let compiled: CompiledPlaylist;
  try {
    compiled = compilePlaylist(object.body, {
      playlistUrl: keyToCdnUrl(cdnBaseUrl, key),
      rootUrl,
      outOfScope: 'refuse',
      maxBytes: deps.config.s3.maxPlaylistBytes,
      ...(query ? { queryParams: query } : {}),
      ...(imported ? { importedVariables: imported.variables } : {}),
    });
  } catch (err) {
    if (err instanceof PlaylistError) throw playlistFailure(err, key);
    throw err;
  }
  // A form built from the request's query is that request's alone: caching it would let any
  // viewer fill the cache with variants.
  if (cache && compiledKey !== undefined && compiled.dependsOn.queryParams.length === 0) {
    cache.setCompiled(compiledKey, compiled);
    return { compiled, compiledKey };
  }
  return { compiled };
}

/**
 * `signMedia` for one render: in `cookies` mode the plain URL; otherwise a media signer, behind
 * the shared signature cache when there is one (wildcard: one signed policy per root, expiry and
 * address; url: one signed URL per URI, expiry and address).
 */
function mediaSigner(deps: PlaybackDeps, rootUrl: string, expires: number, ip: string | undefined): (url: string) => string {
  const mode = deps.config.signing.mode;
  if (mode === 'cookies') {
    // The route's cookie policy covers `<rootUrl>*`: refuse a root that would widen it.
    prefixResource(rootUrl);
    return (url) => {
      assertUnderRoot(url, rootUrl, 'emit');
      return url;
    };
  }
  const options: MediaSignerOptions = { mode, key: deps.signingKey, rootUrl, expires, ...(ip === undefined ? {} : { ip }) };
  const cache = deps.playbackCache;
  if (!cache) return createMediaSigner(options);
  const { keyPairId, hash } = deps.signingKey;
  // The address is part of every key: an IP-bound signature is never handed to another address.
  const prefix = `${cacheKey(mode, keyPairId, hash, expires, ip ?? '')}\n`;
  if (mode === 'wildcard') return cache.signer(prefix + rootUrl, () => createMediaSigner(options));
  let signer: ((url: string) => string) | undefined;
  return (url) => {
    assertUnderRoot(url, rootUrl, 'emit');
    return cache.signature(prefix + url, () => (signer ??= createMediaSigner(options))(url));
  };
}

function withSignerErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    // e.g. a root prefix holding `*` in wildcard mode: a catalog/config problem, not the viewer's.
    if (err instanceof SignerError) throw new HttpError(500, "this video's playlist cannot be signed; the reason is in the service log", { cause: err });
    throw err;
  }
}

/** Loads a video's playlist (top or nested) from storage and returns it signed for the CDN. */
export async function loadSignedPlaylist(o: LoadSignedPlaylistOptions): Promise<SignedPlaylist> {
  const { video, deps } = o;
  const { cdnBaseUrl, signing } = deps.config;
  let key: string;
  if (o.relPath === undefined) {
    key = video.playlistKey;
  } else {
    const rel = decodeNestedPath(o.relPath);
    if (rel === undefined) throw new HttpError(404, 'no such playlist in this video');
    key = video.rootPrefix + rel;
  }

  const rootUrl = rootUrlOf(cdnBaseUrl, video.rootPrefix);
  const object = await load(deps, key);
  // A media playlist may import variables from the multivariant playlist (EXT-X-DEFINE:IMPORT);
  // the viewer's player already has them, we have to read that playlist again to know them.
  let imported: { variables: Record<string, string>; cacheable: boolean } | undefined;
  if (o.relPath !== undefined && (object.facts ?? playlistFacts(object.body)).importsVariables) {
    const top = compile(await load(deps, video.playlistKey), video.playlistKey, rootUrl, deps, o.query);
    imported = { variables: top.compiled.variables, cacheable: top.compiledKey !== undefined };
  }
  const { compiled, compiledKey } = compile(object, key, rootUrl, deps, o.query, imported);

  const now = deps.clock();
  const expires = signatureExpiry(compiled, now, signing);
  const cookies = signing.mode === 'cookies' ? { cookies: cookiesFor(deps, rootUrl, expires, now, o.clientIp) } : {};
  const etag = object.etag === undefined ? {} : { etag: object.etag };
  // The same bytes for every viewer of the window unless signatures are bound to the address
  // (in cookies mode the body holds no signature at all, so the address does not matter).
  const shareable = compiledKey !== undefined && (o.clientIp === undefined || signing.mode === 'cookies');
  const renderKey = shareable
    ? cacheKey(compiledKey, video.id, signing.mode, deps.signingKey.keyPairId, signing.mode === 'cookies' ? '' : expires)
    : undefined;
  const cache = deps.playbackCache;
  if (cache && renderKey !== undefined) {
    const hit = cache.getRendered(renderKey);
    if (hit) return { body: hit.body, bytes: hit.bytes, kind: compiled.kind, expires, ...etag, ...compressed(hit), shared: true, ...cookies };
  }

  const text = withSignerErrors(() =>
    renderPlaylist(compiled, {
      signMedia: mediaSigner(deps, rootUrl, expires, signing.mode === 'cookies' ? undefined : o.clientIp),
      routePlaylist: (path) => nestedPlaylistPath(video.id, path),
    }),
  );
  if (cache && renderKey !== undefined) {
    const entry = cache.setRendered(renderKey, text);
    return { body: entry.body, bytes: entry.bytes, kind: compiled.kind, expires, ...etag, ...compressed(entry), shared: true, ...cookies };
  }
  return { body: text, bytes: Buffer.from(text, 'utf8'), kind: compiled.kind, expires, ...etag, ...cookies };
}

/** The CloudFront cookies for `cookies` mode, their signature shared per window and address through the cache. */
function cookiesFor(deps: PlaybackDeps, rootUrl: string, expires: number, nowMs: number, clientIp: string | undefined): CookieSpec[] {
  const cache = deps.playbackCache;
  return withSignerErrors(() =>
    cdnCookies({
      key: deps.signingKey,
      rootUrl,
      expires,
      nowMs,
      ...(deps.config.cdnCookieDomain ? { domain: deps.config.cdnCookieDomain } : {}),
      ...(clientIp === undefined ? {} : { clientIp }),
      ...(cache ? { memo: (k: string, make: () => string) => cache.signature(k, make) } : {}),
    }),
  );
}

function compressed(r: { gzip?: Buffer; br?: Buffer }): { gzip?: Buffer; br?: Buffer } {
  return { ...(r.gzip ? { gzip: r.gzip } : {}), ...(r.br ? { br: r.br } : {}) };
}
