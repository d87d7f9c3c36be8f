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
import type { Logger } from 'pino';
import { keyToCdnUrl } from '../core/cdn-url.js';
import type { Video } from '../adapters/catalog.js';
import { compilePlaylist, playlistFacts, PlaylistError, renderPlaylist, type CompiledPlaylist, type RenderOptions } from '../core/hls/manifest.js';
import { createMediaSigner, type MediaSignerOptions } from '../core/cloudfront/media-signer.js';
import { assertUnderRoot, decodeNestedPath, prefixResource, rootUrlOf, uriPolicy, type ForeignUris } from '../core/scope.js';
import { SourceError, type PlaylistObject, type PlaylistSource } from '../adapters/s3-playlist-source.js';
import { cdnCookies, type CookieSpec } from './cdn-cookies.js';
import { cacheKey, LAYOUT_TEMPLATES, type PlaybackCache, type PrepJob } from './playback-cache.js';
import { compileUnits, type WorkBudget } from './work-budget.js';
import { appendQuery, SignerError, type SigningKey } from '../core/cloudfront/signer.js';
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
      /** No signature lives longer than this, whatever a VOD's duration claims (SIGNED_URL_MAX_TTL). */
      maxTtlSeconds: number;
    };
    s3: { maxPlaylistBytes: number };
    /** `cookies` mode: the cookies' Domain (CDN_COOKIE_DOMAIN); absent = the app's host only. */
    cdnCookieDomain?: string;
    /** URIs on other hosts: pass through unsigned, or refuse the playlist (FOREIGN_URIS). */
    foreignUris: ForeignUris;
    /** Bound on a rendered playlist, bytes (RESPONSE_MAX_BYTES). */
    responseMaxBytes: number;
    /** Origins the player page lets the player fetch from besides the CDN (PLAYER_ORIGINS), for the report. */
    playerOrigins?: readonly string[];
  };
  /** Compiled playlists, signatures and shared responses; absent: everything is done per request. */
  playbackCache?: PlaybackCache;
  /** Caps the uncached work of QUERYPARAM variants (work-budget.ts); absent: no cap. */
  variantBudget?: WorkBudget;
  /** Where the URIs passed through unsigned are reported, once per playlist version. */
  logger?: Pick<Logger, 'info'>;
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
  /**
   * A per-viewer body's buffer may be reused once the response is written: call this then (after
   * the response's `finish`, never before), or never (it is then left to the GC).
   */
  release?: () => void;
}

/**
 * When the signatures in a playlist expire (epoch seconds): the TTL, stretched for a finished (VOD)
 * playlist so a viewer can watch it to the end: at least its whole duration plus the margin.
 */
export function signatureExpiry(compiled: Pick<CompiledPlaylist, 'totalDuration' | 'endList' | 'playlistType'>, nowMs: number, signing: PlaybackDeps['config']['signing']): number {
  const nowSeconds = Math.floor(nowMs / 1000);
  const finished = compiled.endList || compiled.playlistType === 'VOD';
  const watchTime = finished && Number.isFinite(compiled.totalDuration) ? Math.ceil(compiled.totalDuration) + signing.expiryMarginSeconds : 0;
  const wanted = roundUpToWindow(nowSeconds + Math.max(signing.ttlSeconds, watchTime), signing.windowSeconds);
  // The ceiling, after the stretch: a playlist claiming a billion seconds gets the ceiling, not a
  // signature valid for a century. Rounded down to the window, so capped viewers still share one.
  const ceiling = roundDownToWindow(nowSeconds + signing.maxTtlSeconds, signing.windowSeconds);
  return Math.min(wanted, Math.max(ceiling, nowSeconds + 1));
}

/** Rounds down to a multiple of `windowSeconds` (unchanged when the window is absent, 0 or 1). */
function roundDownToWindow(epochSeconds: number, windowSeconds: number | undefined): number {
  if (windowSeconds === undefined || !(windowSeconds > 1)) return epochSeconds;
  const w = Math.floor(windowSeconds);
  return Math.floor(epochSeconds / w) * w;
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
  /** Set when the compiled form is cached (and so may key shared renders). */
  compiledKey?: string;
  /** Built for the request's EXT-X-DEFINE:QUERYPARAM values (a variant of the playlist version). */
  variant: boolean;
}

/** The values a request gives the QUERYPARAM names, as one cache-key part. */
function queryValues(names: readonly string[], query: URLSearchParams | undefined): string {
  return JSON.stringify(names.map((n) => query?.get(n) ?? null));
}

/** Throws the 503 for a variant when the work budget is spent. */
function spendVariantWork(deps: PlaybackDeps, units: number): void {
  const budget = deps.variantBudget;
  if (!budget || budget.take(units)) return;
  const retryAfter = budget.retryAfterSeconds(units);
  throw new HttpError(503, `this playlist is being requested with new query values faster than the service renders them; try again in ${retryAfter} s`, {
    code: 'busy',
    headers: { 'Retry-After': String(retryAfter) },
  });
}

/**
 * The compiled form of a playlist version: from the cache (per version, and per query values for
 * a playlist with EXT-X-DEFINE:QUERYPARAM, whose names are learned at its first compile), else
 * compiled, cached, and its passed-through URIs reported once.
 */
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
  let versionKey: string | undefined;
  let knownNames: readonly string[] | undefined;
  if (cache && (imported === undefined || imported.cacheable)) {
    const version = object.etag ?? cache.versionOf(object.body);
    versionKey = cacheKey(rootUrl, key, version, ...(imported ? [JSON.stringify(imported.variables)] : []));
    knownNames = cache.getQueryNames(versionKey);
    const lookup = knownNames === undefined ? versionKey : cacheKey(versionKey, queryValues(knownNames, query));
    const hit = cache.getCompiled(lookup);
    if (hit) return { compiled: hit, compiledKey: lookup, variant: knownNames !== undefined };
  }
  // A variant (known to read the query) that no cache holds costs a compile: from the budget.
  if (knownNames !== undefined) spendVariantWork(deps, compileUnits(object.body.byteLength));
  let compiled: CompiledPlaylist;
  try {
    compiled = compilePlaylist(object.body, {
      playlistUrl: keyToCdnUrl(cdnBaseUrl, key),
      rootUrl,
      outOfScope: uriPolicy(deps.config.foreignUris),
      maxBytes: deps.config.s3.maxPlaylistBytes,
      ...(query ? { queryParams: query } : {}),
      ...(imported ? { importedVariables: imported.variables } : {}),
    });
  } catch (err) {
    if (err instanceof PlaylistError) throw playlistFailure(err, key);
    throw err;
  }
  reportPassedUris(deps, key, compiled);
  if (!cache || versionKey === undefined) return { compiled, variant: compiled.dependsOn.queryParams.length > 0 };
  const names = compiled.dependsOn.queryParams;
  if (names.length === 0) {
    cache.setCompiled(versionKey, compiled);
    return { compiled, compiledKey: versionKey, variant: false };
  }
  // Built from the request's query: cached per the values of exactly those names (bounded LRU).
  cache.setQueryNames(versionKey, names);
  const variantKey = cacheKey(versionKey, queryValues(names, query));
  cache.setCompiled(variantKey, compiled);
  return { compiled, compiledKey: variantKey, variant: true };
}

/** Logs, once per compiled version, the hosts whose URIs pass through unsigned (never a path or query). */
function reportPassedUris(deps: PlaybackDeps, key: string, compiled: CompiledPlaylist): void {
  if (!deps.logger || compiled.outOfScope.length === 0) return;
  const byOrigin = new Map<string, { origin: string; reason: string; tags: Set<string>; count: number }>();
  for (const u of compiled.outOfScope) {
    const id = `${u.reason} ${u.origin}`;
    const entry = byOrigin.get(id) ?? { origin: u.origin, reason: u.reason, tags: new Set<string>(), count: 0 };
    entry.tags.add(u.tag);
    entry.count++;
    byOrigin.set(id, entry);
  }
  const passed = [...byOrigin.values()].map((e) => ({ origin: e.origin, reason: e.reason, tags: [...e.tags], count: e.count }));
  // The page's CSP blocks fetches to origins it does not list: say which ones the player will need.
  const allowed = new Set(deps.config.playerOrigins ?? []);
  const blocked = passed.filter((p) => p.reason === 'foreign-host' && !allowed.has(p.origin)).map((p) => p.origin);
  const hint = blocked.length > 0 ? `; add ${blocked.join(',')} to PLAYER_ORIGINS or the player page's browser will refuse to fetch them` : '';
  deps.logger.info({ key, passed }, `playlist ${key}: ${compiled.outOfScope.length} URI(s) pass through unsigned (${passed.map((p) => p.origin).join(', ')})${hint}`);
}

/**
 * `signMedia` for one render: in `cookies` mode the plain URL; otherwise a media signer, behind
 * the shared signature cache when there is one (wildcard: one signed policy per root, expiry and
 * address; url: one signed URL per URI, expiry and address).
 */
function mediaSigner(deps: PlaybackDeps, rootUrl: string, expires: number, ip: string | undefined, variant: boolean): (url: string) => string {
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
    return cache.signature(prefix + url, () => {
      // A query variant's URLs are new resources: each signature is uncached work.
      if (variant) spendVariantWork(deps, 1);
      return (signer ??= createMediaSigner(options))(url);
    });
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
  const { compiled, compiledKey, variant } = compile(object, key, rootUrl, deps, o.query, imported);

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
  if (cache && compiledKey !== undefined && !variant && signing.mode !== 'cookies' && (signing.windowSeconds ?? 0) > 1) {
    const ip = shareable ? undefined : o.clientIp;
    const trackKey = cacheKey(compiledKey, video.id, signing.mode, deps.signingKey.keyPairId, ip ?? '');
    if (!cache.served(trackKey, expires)) cache.track(trackKey, expires, nextWindowJob({ deps, cache, compiled, compiledKey, key, videoId: video.id, rootUrl, ip }));
  }
  if (cache && renderKey !== undefined) {
    const hit = cache.getRendered(renderKey);
    if (hit) return { body: hit.body, bytes: hit.bytes, kind: compiled.kind, expires, ...etag, ...compressed(hit), shared: true, ...cookies };
  }

  if (cache && compiledKey !== undefined && o.clientIp !== undefined && signing.mode === 'wildcard') {
    return perViewerBody({ deps, cache, compiled, compiledKey, key, videoId: video.id, rootUrl, expires, ip: o.clientIp, ...etag });
  }
  const text = render(compiled, key, {
    signMedia: mediaSigner(deps, rootUrl, expires, signing.mode === 'cookies' ? undefined : o.clientIp, variant),
    routePlaylist: (path) => nestedPlaylistPath(video.id, path),
    maxLength: deps.config.responseMaxBytes,
  });
  if (cache && renderKey !== undefined) {
    const entry = cache.setRendered(renderKey, text);
    return { body: entry.body, bytes: entry.bytes, kind: compiled.kind, expires, ...etag, ...compressed(entry), shared: true, ...cookies };
  }
  return { body: text, bytes: Buffer.from(text, 'utf8'), kind: compiled.kind, expires, ...etag, ...cookies };
}

/** Where a viewer's query goes in a layout's template render (NUL: never in a playlist, text.ts refuses it). */
const QUERY_MARK = '\u0000';

/** A compiled, cached playlist version of one video, as the per-viewer and next-window paths use it. */
interface CachedPlaylistContext {
  deps: PlaybackDeps;
  cache: PlaybackCache;
  compiled: CompiledPlaylist;
  compiledKey: string;
  /** The S3 key of the playlist. */
  key: string;
  videoId: string;
  rootUrl: string;
}

/**
 * An IP-bound wildcard playlist for one viewer: every media URL carries the same query (one
 * policy for the root, the viewer's address in it, signed once per window and address through
 * the signature cache), so the body is the shared layout (compiled once per version: the render
 * with the query cut out) with that query copied between its pieces: one allocation and memcpys,
 * no render, no string building, no UTF-8 encoding per request. The RESPONSE_MAX_BYTES bound
 * holds as for any render.
 */
function perViewerBody(o: CachedPlaylistContext & { expires: number; ip: string; etag?: string }): SignedPlaylist {
  const { deps, cache, compiled, rootUrl } = o;
  const sign = mediaSigner(deps, rootUrl, o.expires, o.ip, false);
  const maxLength = deps.config.responseMaxBytes;
  const layout = cache.layout(cacheKey(o.compiledKey, o.videoId, 'layout'), () => {
    let probeUrl: string | undefined;
    const text = render(compiled, o.key, {
      signMedia: (url) => {
        probeUrl ??= url;
        const signed = sign(url);
        // appendQuery: the URL (without fragment), its separator, then the query.
        return `${signed.slice(0, appendQuery(url, '').length)}${QUERY_MARK}`;
      },
      routePlaylist: (path) => nestedPlaylistPath(o.videoId, path),
      maxLength,
    });
    const pieces = text.split(QUERY_MARK).map((piece) => Buffer.from(piece, 'utf8'));
    const ends = new Uint32Array(pieces.length);
    let end = 0;
    pieces.forEach((piece, i) => (ends[i] = end += piece.byteLength));
    return {
      text: Buffer.concat(pieces),
      ends,
      probeUrl: probeUrl ?? '',
      probePrefixLength: probeUrl === undefined ? 0 : appendQuery(probeUrl, '').length,
      templates: new Map<number, Buffer>(),
    };
  });
  const { text, ends } = layout;
  const holes = ends.length - 1;
  const query = holes > 0 ? Buffer.from(withSignerErrors(() => sign(layout.probeUrl)).slice(layout.probePrefixLength), 'latin1') : Buffer.alloc(0);
  const total = text.byteLength + holes * query.byteLength;
  if (total > maxLength) {
    throw playlistFailure(new PlaylistError('TooLarge', `the rewritten playlist is larger than the ${maxLength}-byte response limit`), o.key);
  }
  const { bytes, release } = cache.bodyBuffer(total);
  const q = query.byteLength;
  let template = layout.templates.get(q);
  if (template === undefined && layout.templates.size < LAYOUT_TEMPLATES) {
    template = Buffer.alloc(total);
    let at = text.copy(template, 0, 0, ends[0]);
    for (let i = 1; i <= holes; i++) at += q + text.copy(template, at + q, ends[i - 1], ends[i]);
    layout.templates.set(q, template);
  }
  if (template !== undefined) {
    // One copy of the constant text, then the query into each hole (the holes start after piece i, shifted by i queries).
    template.copy(bytes, 0);
    for (let i = 0; i < holes; i++) bytes.set(query, ends[i]! + i * q);
  } else {
    let at = text.copy(bytes, 0, 0, ends[0]);
    for (let i = 1; i <= holes; i++) {
      at += query.copy(bytes, at);
      at += text.copy(bytes, at, ends[i - 1], ends[i]);
    }
  }
  return {
    get body() {
      return bytes.toString('utf8');
    },
    bytes,
    kind: compiled.kind,
    expires: o.expires,
    ...(o.etag === undefined ? {} : { etag: o.etag }),
    release,
  };
}

/** Signatures per step of a background preparation (a few milliseconds with RSA). */
const PREP_BATCH = 8;

/**
 * The background preparation of a tracked playlist's next window (playback-cache.ts runs it
 * shortly before the rollover): its signatures for the new expiry, in batches, then (when the
 * response is shared) the response itself, stored where the first request of the window looks.
 */
function nextWindowJob(o: CachedPlaylistContext & { ip: string | undefined }): PrepJob {
  const { deps, cache, compiled } = o;
  const { signing } = deps.config;
  const mode = signing.mode;
  const media = compiled.slots.flatMap((slot) => (slot.kind === 'media' ? [slot.url] : []));
  const windowMs = Math.floor(signing.windowSeconds ?? 0) * 1000;
  return {
    expiryAt: (nowMs) => signatureExpiry(compiled, nowMs, signing),
    leadMs: Math.max(250, Math.min(30_000, Math.floor(windowMs / 2))),
    cost: mode === 'url' ? media.length : 1,
    prepare(expires) {
      const sign = mediaSigner(deps, o.rootUrl, expires, o.ip, false);
      let i = mode === 'url' ? 0 : Math.max(0, media.length - 1);
      return () => {
        const end = Math.min(media.length, i + PREP_BATCH);
        for (; i < end; i++) withSignerErrors(() => sign(media[i]!));
        if (i < media.length) return false;
        if (o.ip !== undefined) return true;
        const renderKey = cacheKey(o.compiledKey, o.videoId, mode, deps.signingKey.keyPairId, expires);
        if (!cache.hasRendered(renderKey)) {
          const text = render(compiled, o.key, {
            signMedia: sign,
            routePlaylist: (path) => nestedPlaylistPath(o.videoId, path),
            maxLength: deps.config.responseMaxBytes,
          });
          cache.setRendered(renderKey, text);
        }
        return true;
      };
    },
  };
}

/** renderPlaylist, bounded: a playlist over RESPONSE_MAX_BYTES (in UTF-8) is refused, whichever way it got there. */
function render(compiled: CompiledPlaylist, key: string, o: RenderOptions & { maxLength: number }): string {
  let text: string;
  try {
    text = withSignerErrors(() => renderPlaylist(compiled, o));
  } catch (err) {
    if (err instanceof PlaylistError) throw playlistFailure(err, key);
    throw err;
  }
  if (Buffer.byteLength(text, 'utf8') > o.maxLength) {
    throw playlistFailure(new PlaylistError('TooLarge', `the rewritten playlist is larger than the ${o.maxLength}-byte response limit`), key);
  }
  return text;
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
