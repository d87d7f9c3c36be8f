// The playback caches behind "compile once, sign once per window, render once per window":
//
// - compiled playlists, per (root URL, S3 key, ETag[, imported variables]): parsing and URI
//   resolution happen once per version of a playlist;
// - signers and signatures, per (mode, key pair, expiry, viewer address, resource): with expiries
//   rounded up to a window (load-signed-playlist.ts), `wildcard` signs one policy per video per window and `url`
//   at most one policy per URI per window; the address is part of the key, so IP-bound signatures
//   are never handed to another address;
// - rendered responses that are the same for every viewer of a window (no IP binding), with their
//   gzip and brotli forms, computed once, in the background (zlib's thread pool), right after the
//   first render.
//
// Each part is an lru-cache bounded in bytes (estimated: UTF-16 string lengths, buffer lengths and
// a per-entry overhead). Nothing here knows HTTP; load-signed-playlist.ts decides what may be shared.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress as brotliCb, constants as zc, gzip as gzipCb } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import type { CompiledPlaylist } from '../core/hls/manifest.js';

/**
 * The one way cache keys are built: parts joined by LF, which no part can hold (URLs are
 * serialized, ids and keys validated), so distinct tuples never share a key.
 */
export function cacheKey(...parts: readonly (string | number)[]): string {
  return parts.join('\n');
}

const gzip = promisify(gzipCb);
const brotliCompress = promisify(brotliCb);

const ENTRY_OVERHEAD = 128;

export interface PlaybackCacheOptions {
  /**
   * Total bound in bytes, split: a quarter for compiled playlists, a quarter for signatures, half
   * for rendered responses (and their compressed forms).
   */
  maxBytes: number;
  /** Compute gzip and brotli forms of shared responses (default true). */
  compress?: boolean;
}

/** A rendered response shared by every viewer of a window. */
export interface RenderedPlaylist {
  readonly body: string;
  /** `body` as UTF-8, ready to send. */
  readonly bytes: Buffer;
  /** Present once computed (shortly after the first render). */
  gzip?: Buffer;
  br?: Buffer;
}

export interface PlaybackCacheStats {
  compiledHits: number;
  compiledMisses: number;
  /** Private-key operations avoided / done through the cache (wildcard policies and url signatures). */
  signatureHits: number;
  signatureMisses: number;
  renderedHits: number;
  renderedMisses: number;
  bytes: { compiled: number; signatures: number; rendered: number };
}

export interface PlaybackCache {
  getCompiled(key: string): CompiledPlaylist | undefined;
  setCompiled(key: string, compiled: CompiledPlaylist): void;
  /**
   * The EXT-X-DEFINE:QUERYPARAM names a playlist version reads (learned at its first compile), so
   * later requests can find the compiled form for their query values without compiling.
   */
  getQueryNames(versionKey: string): readonly string[] | undefined;
  setQueryNames(versionKey: string, names: readonly string[]): void;
  /** A memoized signer function (wildcard: one signed policy inside), made by `make` on a miss. */
  signer(key: string, make: () => (url: string) => string): (url: string) => string;
  /** A memoized signed URL, made by `make` on a miss. */
  signature(key: string, make: () => string): string;
  getRendered(key: string): RenderedPlaylist | undefined;
  /** Stores a rendered body and starts computing its compressed forms. */
  setRendered(key: string, body: string): RenderedPlaylist;
  /** A stable version string for a body without an ETag (SHA-1 of the bytes, memoized per instance). */
  versionOf(body: Uint8Array): string;
  /** Resolves when no compression is running (tests, benchmark). */
  idle(): Promise<void>;
  stats(): PlaybackCacheStats;
  clear(): void;
}

function compiledSize(c: CompiledPlaylist): number {
  let n = ENTRY_OVERHEAD;
  for (const chunk of c.chunks) n += chunk.length * 2 + 16;
  for (const slot of c.slots) n += slot.url.length * 2 + (slot.kind === 'playlist' ? slot.path.length * 2 : 0) + 48;
  return n;
}

function renderedSize(r: RenderedPlaylist): number {
  return ENTRY_OVERHEAD + r.body.length * 2 + r.bytes.byteLength + (r.gzip?.byteLength ?? 0) + (r.br?.byteLength ?? 0);
}

/** Each part gets at least this much, so a tiny bound still caches a little. */
const MIN_PART = 64 * 1024;

export function createPlaybackCache(o: PlaybackCacheOptions): PlaybackCache {
  const quarter = Math.max(MIN_PART, Math.floor(o.maxBytes / 4));
  const compress = o.compress ?? true;
  const compiled = new LRUCache<string, CompiledPlaylist>({ maxSize: quarter, sizeCalculation: compiledSize });
  // Signer functions close over one signed policy (about 1 KB); signed URLs are strings.
  const signers = new LRUCache<string, (url: string) => string>({ maxSize: Math.max(MIN_PART, Math.floor(quarter / 8)), sizeCalculation: (_v, k) => ENTRY_OVERHEAD + 1024 + k.length * 2 });
  const signatures = new LRUCache<string, string>({ maxSize: quarter, sizeCalculation: (v, k) => ENTRY_OVERHEAD + (k.length + v.length) * 2 });
  const rendered = new LRUCache<string, RenderedPlaylist>({ maxSize: quarter * 2, sizeCalculation: renderedSize });
  const queryNames = new LRUCache<string, readonly string[]>({ max: 10_000 });
  const versions = new WeakMap<Uint8Array, string>();
  const pending = new Set<Promise<void>>();
  const s = { compiledHits: 0, compiledMisses: 0, signatureHits: 0, signatureMisses: 0, renderedHits: 0, renderedMisses: 0 };

  function startCompression(key: string, entry: RenderedPlaylist): void {
    const size = entry.bytes.byteLength;
    const job = Promise.all([
      gzip(entry.bytes, { level: 6 }),
      brotliCompress(entry.bytes, {
        params: { [zc.BROTLI_PARAM_QUALITY]: 5, [zc.BROTLI_PARAM_MODE]: zc.BROTLI_MODE_TEXT, [zc.BROTLI_PARAM_SIZE_HINT]: size },
      }),
    ]).then(
      ([gz, br]) => {
        entry.gzip = gz;
        entry.br = br;
        // Account for the new bytes; skipped if the entry was evicted or replaced meanwhile.
        if (rendered.peek(key) === entry) rendered.set(key, entry);
      },
      () => {
        // Compression failing only means serving identity.
      },
    );
    const tracked = job.finally(() => pending.delete(tracked));
    pending.add(tracked);
  }

  /** The cached value, or `make()`'s, stored: one private-key operation per key while it stays cached. */
  function memo<V extends NonNullable<unknown>>(cache: LRUCache<string, V>, key: string, make: () => V): V {
    const hit = cache.get(key);
    if (hit !== undefined) {
      s.signatureHits++;
      return hit;
    }
    s.signatureMisses++;
    const v = make();
    cache.set(key, v);
    return v;
  }

  return {
    getCompiled(key) {
      const hit = compiled.get(key);
      if (hit) s.compiledHits++;
      else s.compiledMisses++;
      return hit;
    },
    setCompiled(key, c) {
      compiled.set(key, c);
    },
    getQueryNames: (key) => queryNames.get(key),
    setQueryNames(key, names) {
      queryNames.set(key, names);
    },
    signer(key, make) {
      return memo(signers, key, make);
    },
    signature(key, make) {
      return memo(signatures, key, make);
    },
    getRendered(key) {
      const hit = rendered.get(key);
      if (hit) s.renderedHits++;
      else s.renderedMisses++;
      return hit;
    },
    setRendered(key, body) {
      const entry: RenderedPlaylist = { body, bytes: Buffer.from(body, 'utf8') };
      rendered.set(key, entry);
      if (compress && rendered.peek(key) === entry) startCompression(key, entry);
      return entry;
    },
    versionOf(body) {
      let v = versions.get(body);
      if (v === undefined) {
        v = `sha1:${createHash('sha1').update(body).digest('hex')}`;
        versions.set(body, v);
      }
      return v;
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    stats: () => ({
      ...s,
      bytes: { compiled: compiled.calculatedSize, signatures: signatures.calculatedSize + signers.calculatedSize, rendered: rendered.calculatedSize },
    }),
    clear() {
      compiled.clear();
      queryNames.clear();
      signers.clear();
      signatures.clear();
      rendered.clear();
    },
  };
}

export type ContentCoding = 'br' | 'gzip' | 'identity';

/**
 * The coding to answer with, from an Accept-Encoding header and the codings available: br, then
 * gzip, when the client accepts them (q > 0; `*` counts); identity otherwise. RFC 9110 12.5.3.
 */
export function negotiateEncoding(acceptEncoding: string | undefined, available: { br?: boolean; gzip?: boolean }): ContentCoding {
  if (!acceptEncoding) return 'identity';
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [rawName, ...params] = part.split(';');
    const name = (rawName ?? '').trim().toLowerCase();
    if (!name) continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) weight = Number(m[1]);
    }
    if (!Number.isFinite(weight)) weight = 0;
    q.set(name, weight);
  }
  const accepts = (coding: string): number => q.get(coding) ?? (coding === 'gzip' ? q.get('x-gzip') : undefined) ?? q.get('*') ?? 0;
  const br = available.br ? accepts('br') : 0;
  const gz = available.gzip ? accepts('gzip') : 0;
  if (br > 0 && br >= gz) return 'br';
  if (gz > 0) return 'gzip';
  return 'identity';
}

/** The body to send for an Accept-Encoding header: the compressed form the client prefers, when there is one. */
export function encodedBody(p: { bytes: Buffer; gzip?: Buffer; br?: Buffer }, acceptEncoding: string | undefined): { coding: ContentCoding; body: Buffer } {
  const coding = negotiateEncoding(acceptEncoding, { br: p.br !== undefined, gzip: p.gzip !== undefined });
  if (coding === 'br' && p.br) return { coding, body: p.br };
  if (coding === 'gzip' && p.gzip) return { coding, body: p.gzip };
  return { coding: 'identity', body: p.bytes };
}
