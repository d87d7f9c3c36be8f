// The playback use case: a catalog video and an optional nested playlist path in, a playlist with
// every media URI signed for the CDN (and every nested playlist routed back through hlsgate) out.
// Story: resolve the object key → load it from S3 → compile → pick the expiry → sign and render.
// No Express here; failures are HttpErrors whose messages are safe to show to a viewer.
import { decodeKeyPath, keyToCdnUrl } from './cdn-url.js';
import type { Video } from './catalog.js';
import { compilePlaylist, PlaylistError, renderPlaylist, type CompiledPlaylist } from './manifest.js';
import { createMediaSigner } from './media-signer.js';
import { SourceError, type PlaylistSource } from './playlist-source.js';
import { SignerError, type SigningKey } from './signer.js';
import { HttpError } from '../errors.js';

export interface PlaybackDeps {
  source: PlaylistSource;
  signingKey: SigningKey;
  config: {
    /** Normalized CDN base URL (no trailing slash), mapping to the bucket root. */
    cdnBaseUrl: string;
    signing: { mode: 'wildcard' | 'url'; ttlSeconds: number; expiryMarginSeconds: number };
    s3: { maxPlaylistBytes: number };
  };
}

export interface LoadSignedPlaylistOptions {
  video: Pick<Video, 'id' | 'playlistKey' | 'rootPrefix'>;
  /**
   * A nested playlist's path relative to the video's root prefix, percent-encoded as it appears in
   * the request URL (e.g. `720p/index.m3u8`); absent for the video's top playlist.
   */
  relPath?: string;
  deps: PlaybackDeps;
  /** Current time, epoch milliseconds. */
  now: number;
  /** Viewer address; when given, signatures only work from it (custom policy with an IP condition). */
  clientIp?: string;
  /** Aborts the S3 read (e.g. the viewer went away). */
  signal?: AbortSignal;
  /** The request's query, for `EXT-X-DEFINE:QUERYPARAM` variables. */
  query?: URLSearchParams;
}

export interface SignedPlaylist {
  body: string;
  kind: CompiledPlaylist['kind'];
  /** Epoch seconds at which the signatures in the body expire. */
  expires: number;
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

/** The CDN URL of the video's root prefix, always ending in `/`. */
export function rootUrlOf(cdnBaseUrl: string, rootPrefix: string): string {
  const url = keyToCdnUrl(cdnBaseUrl, rootPrefix);
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * When the signatures in a playlist expire (epoch seconds): the TTL, stretched for a finished (VOD)
 * playlist so a viewer can watch it to the end: at least its whole duration plus the margin.
 */
export function signatureExpiry(compiled: Pick<CompiledPlaylist, 'totalDuration' | 'endList' | 'playlistType'>, nowMs: number, signing: PlaybackDeps['config']['signing']): number {
  const nowSeconds = Math.floor(nowMs / 1000);
  const finished = compiled.endList || compiled.playlistType === 'VOD';
  const watchTime = finished && Number.isFinite(compiled.totalDuration) ? Math.ceil(compiled.totalDuration) + signing.expiryMarginSeconds : 0;
  return nowSeconds + Math.max(signing.ttlSeconds, watchTime);
}

/** The route a nested playlist is served on (absolute path on hlsgate itself). */
export function nestedPlaylistRoute(videoId: string, path: string): string {
  return `/videos/${encodeURIComponent(videoId)}/media/${path}`;
}

function sourceFailure(err: SourceError): HttpError {
  switch (err.code) {
    case 'NotFound':
      return new HttpError(404, 'the playlist for this video was not found in storage', { cause: err });
    case 'Denied':
      return new HttpError(502, 'the storage refused to read the playlist (check the bucket name and the service credentials)', { cause: err });
    case 'Timeout':
      return new HttpError(504, 'the storage did not answer in time; try again', { cause: err });
    case 'TooLarge':
      return new HttpError(502, 'the playlist in storage is larger than the configured limit', { cause: err });
    case 'Upstream':
    default:
      return new HttpError(err.status === 504 ? 504 : 502, 'the storage could not be reached or failed; try again', { cause: err });
  }
}

function playlistFailure(err: PlaylistError, key: string): HttpError {
  switch (err.code) {
    case 'OutOfScope':
      return new HttpError(502, "playlist references media outside the video's folder", { cause: err });
    case 'TooLarge':
      return new HttpError(502, `the playlist at ${key} is larger than the configured limit`, { cause: err });
    case 'UndefinedVariable':
      return new HttpError(502, `the playlist at ${key} uses a variable it cannot resolve: ${err.message}`, { cause: err });
    case 'Malformed':
      return new HttpError(502, `the playlist at ${key} is malformed: ${err.message}`, { cause: err });
    case 'NotAPlaylist':
    case 'Binary':
    default:
      return new HttpError(502, `the object at ${key} is not an HLS playlist`, { cause: err });
  }
}

// An EXT-X-DEFINE tag with an IMPORT attribute (a variable taken from the multivariant playlist).
const IMPORT_DEFINE = /^#EXT-X-DEFINE:.*\bIMPORT=/m;

async function load(deps: PlaybackDeps, key: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
  let object;
  try {
    object = await deps.source.get(key, signal ? { signal } : {});
  } catch (err) {
    if (err instanceof SourceError) throw sourceFailure(err);
    throw err;
  }
  if (object.notModified) throw new Error(`storage answered 304 Not Modified for ${key} without a conditional request`);
  return object.body;
}

function compile(
  body: Uint8Array,
  key: string,
  video: LoadSignedPlaylistOptions['video'],
  deps: PlaybackDeps,
  query: URLSearchParams | undefined,
  importedVariables?: Record<string, string>,
): CompiledPlaylist {
  const { cdnBaseUrl } = deps.config;
  try {
    return compilePlaylist(body, {
      playlistUrl: keyToCdnUrl(cdnBaseUrl, key),
      rootUrl: rootUrlOf(cdnBaseUrl, video.rootPrefix),
      outOfScope: 'refuse',
      maxBytes: deps.config.s3.maxPlaylistBytes,
      ...(query ? { queryParams: query } : {}),
      ...(importedVariables ? { importedVariables } : {}),
    });
  } catch (err) {
    if (err instanceof PlaylistError) throw playlistFailure(err, key);
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

  const body = await load(deps, key, o.signal);
  // A media playlist may import variables from the multivariant playlist (EXT-X-DEFINE:IMPORT);
  // the viewer's player already has them, we have to read that playlist again to know them.
  let importedVariables: Record<string, string> | undefined;
  if (o.relPath !== undefined && IMPORT_DEFINE.test(Buffer.from(body).toString('utf8'))) {
    const top = compile(await load(deps, video.playlistKey, o.signal), video.playlistKey, video, deps, o.query);
    importedVariables = top.variables;
  }
  const compiled = compile(body, key, video, deps, o.query, importedVariables);

  const expires = signatureExpiry(compiled, o.now, signing);
  try {
    const signMedia = createMediaSigner({
      mode: signing.mode,
      key: deps.signingKey,
      rootUrl: rootUrlOf(cdnBaseUrl, video.rootPrefix),
      expires,
      ...(o.clientIp === undefined ? {} : { ip: o.clientIp }),
    });
    const text = renderPlaylist(compiled, {
      signMedia,
      routePlaylist: (path) => nestedPlaylistRoute(video.id, path),
    });
    return { body: text, kind: compiled.kind, expires };
  } catch (err) {
    // e.g. a root prefix holding `*` in wildcard mode: a catalog/config problem, not the viewer's.
    if (err instanceof SignerError) throw new HttpError(500, "this video's playlist cannot be signed; the reason is in the service log", { cause: err });
    throw err;
  }
}
