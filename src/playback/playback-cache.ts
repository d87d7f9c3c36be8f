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
// - the next window, prepared ahead: playlists requested in the current window are tracked, and
//   shortly before their expiry rolls over (load-signed-playlist.ts says when) their signatures
//   and shared response for the next window are made in the background, in small batches between
//   requests (setImmediate), so the first request of the new window finds them cached.
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
  /** Prepare the next window's signatures and responses ahead (absent: nothing is prepared). */
  prepare?: WindowPrepOptions;
}

/** The timers the preparation runs on (injectable for tests; the default ones are unref'ed). */
export interface PrepTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setImmediate(fn: () => void): unknown;
  clearImmediate(handle: unknown): void;
}

export interface WindowPrepOptions {
  /** Current time, epoch milliseconds (the service's clock). */
  clock: () => number;
  /** How often tracked playlists are checked, ms (default 500). */
  intervalMs?: number;
  timers?: PrepTimers;
  /** Most signatures prepared per check (the rest are made by requests, as without preparation). Default 20 000. */
  maxSignaturesPerCheck?: number;
  /** Most playlists tracked (per viewer address when IP-bound). Default 10 000. */
  maxTracked?: number;
}

/** What to prepare for one tracked playlist (built by load-signed-playlist.ts). */
export interface PrepJob {
  /** The signature expiry (epoch seconds) a request at `nowMs` gets. */
  expiryAt(nowMs: number): number;
  /** How long before a rollover the next window is prepared, ms. */
  leadMs: number;
  /** Private-key operations one preparation costs (at most). */
  cost: number;
  /** The work for an expiry, in steps: each call does one small batch and returns true when all is done. */
  prepare(expires: number): () => boolean;
}

/** Time one batch of preparation may take before the event loop serves requests again, ms. */
const PREP_SLICE_MS = 2;

const defaultTimers: PrepTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  setImmediate: (fn) => setImmediate(fn),
  clearImmediate: (h) => clearImmediate(h as NodeJS.Immediate),
};

/**
 * An IP-bound wildcard playlist's body without its per-viewer query: the constant text (chunks,
 * URLs and their `?`/`&`) concatenated, cut where each viewer's query goes. A viewer's body is
 * these bytes with that viewer's one query between the pieces (load-signed-playlist.ts).
 */
export interface BodyLayout {
  /** Every piece, back to back (UTF-8). */
  readonly text: Buffer;
  /** End offset in `text` of each piece; the query goes after every piece but the last. */
  readonly ends: Uint32Array;
  /** A media URL of the playlist and the length of its signed form's prefix: signing it yields the query. */
  readonly probeUrl: string;
  readonly probePrefixLength: number;
  /**
   * The whole body with room for a query of one length after every piece but the last, per query
   * length (a few: the policy's length varies with the address's), so a viewer's body is one copy
   * of it with the query written into its holes.
   */
  readonly templates: Map<number, Buffer>;
}

/** Most templates a layout keeps (query lengths); other lengths are assembled piece by piece. */
export const LAYOUT_TEMPLATES = 8;

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
  /** A per-viewer body layout (per compiled version and video), made by `make` on a miss. */
  layout(key: string, make: () => BodyLayout): BodyLayout;
  /**
   * A buffer of exactly `size` bytes for a per-viewer body, reused from one whose response was
   * written (`release`), else new: fresh memory of that size costs more (page faults, GC) than
   * filling it.
   */
  bodyBuffer(size: number): { bytes: Buffer; release: () => void };
  getRendered(key: string): RenderedPlaylist | undefined;
  /** Stores a rendered body and starts computing its compressed forms. */
  setRendered(key: string, body: string): RenderedPlaylist;
  /** A stable version string for a body without an ETag (SHA-1 of the bytes, memoized per instance). */
  versionOf(body: Uint8Array): string;
  /** Whether a shared response is cached (no LRU touch, no stats). */
  hasRendered(key: string): boolean;
  /**
   * Marks a tracked playlist as served with this expiry; false when it is not tracked yet (then
   * `track` it). Playlists not served in the current window are dropped.
   */
  served(key: string, expires: number): boolean;
  /** Tracks a playlist for the preparation of its next window (ignored without `prepare` options). */
  track(key: string, expires: number, job: PrepJob): void;
  /** Runs one check now and resolves when everything it queued is prepared (tests, benchmark). */
  prepareDue(): Promise<void>;
  /** Resolves when no compression is running (tests, benchmark). */
  idle(): Promise<void>;
  /** Stops the preparation timers (server shutdown): no open handles afterwards. */
  close(): void;
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

/** Sizes of free per-viewer body buffers kept, and buffers kept per size. */
const FREE_BODY_SIZES = 16;
const FREE_BODIES_PER_SIZE = 32;

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
  const layouts = new LRUCache<string, BodyLayout>({ maxSize: quarter, sizeCalculation: (l, k) => ENTRY_OVERHEAD + l.text.byteLength * (1 + LAYOUT_TEMPLATES) + LAYOUT_TEMPLATES * l.ends.length * 800 + l.ends.byteLength + (k.length + l.probeUrl.length) * 2 });
  const versions = new WeakMap<Uint8Array, string>();
  // Free per-viewer body buffers by size (a few sizes: one per query length), a few of each.
  const freeBodies = new Map<number, Buffer[]>();
  const pending = new Set<Promise<void>>();
  const s = { compiledHits: 0, compiledMisses: 0, signatureHits: 0, signatureMisses: 0, renderedHits: 0, renderedMisses: 0 };
  const prep = o.prepare ? windowPreparer(o.prepare) : undefined;

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
    layout(key, make) {
      let l = layouts.get(key);
      if (l === undefined) {
        l = make();
        layouts.set(key, l);
      }
      return l;
    },
    bodyBuffer(size) {
      const bytes = freeBodies.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
      let released = false;
      return {
        bytes,
        release() {
          if (released) return;
          released = true;
          let free = freeBodies.get(size);
          if (free === undefined) {
            if (freeBodies.size >= FREE_BODY_SIZES) return;
            freeBodies.set(size, (free = []));
          }
          if (free.length < FREE_BODIES_PER_SIZE) free.push(bytes);
        },
      };
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
    hasRendered: (key) => rendered.has(key),
    served: (key, expires) => prep?.served(key, expires) ?? true,
    track(key, expires, job) {
      prep?.track(key, expires, job);
    },
    prepareDue: () => prep?.check() ?? Promise.resolve(),
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    close() {
      prep?.close();
    },
    stats: () => ({
      ...s,
      bytes: { compiled: compiled.calculatedSize, signatures: signatures.calculatedSize + signers.calculatedSize, rendered: rendered.calculatedSize + layouts.calculatedSize },
    }),
    clear() {
      compiled.clear();
      queryNames.clear();
      signers.clear();
      signatures.clear();
      rendered.clear();
      layouts.clear();
      freeBodies.clear();
    },
  };
}

interface Tracked {
  job: PrepJob;
  /** The expiry last served for it. */
  served: number;
  /** The expiry already prepared (or being prepared). */
  prepared: number;
}

/**
 * The background preparation: a check every `intervalMs` finds the tracked playlists whose expiry
 * will roll over within their lead and queues their next window's work; the queue runs in slices
 * of about PREP_SLICE_MS, one per turn of the event loop.
 */
function windowPreparer(o: WindowPrepOptions) {
  const timers = o.timers ?? defaultTimers;
  const intervalMs = o.intervalMs ?? 500;
  const maxTracked = o.maxTracked ?? 10_000;
  const maxSignatures = o.maxSignaturesPerCheck ?? 20_000;
  const tracked = new Map<string, Tracked>();
  const queue: (() => boolean)[] = [];
  let interval: unknown;
  let immediate: unknown;
  let closed = false;
  let waiters: (() => void)[] = [];

  function drained(): void {
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  }

  function runSlice(): void {
    immediate = undefined;
    if (closed) return drained();
    const until = performance.now() + PREP_SLICE_MS;
    while (queue.length > 0 && performance.now() < until) {
      const step = queue[0]!;
      let done = true;
      try {
        done = step();
      } catch {
        // A playlist that cannot be signed now fails its own requests, with the reason logged there.
      }
      if (done) queue.shift();
    }
    if (queue.length > 0) immediate = timers.setImmediate(runSlice);
    else drained();
  }

  function check(): Promise<void> {
    if (closed) return Promise.resolve();
    const now = o.clock();
    let budget = maxSignatures;
    for (const [key, t] of tracked) {
      const current = t.job.expiryAt(now);
      // Not requested in the current window: nobody to prepare for.
      if (current > t.served) {
        tracked.delete(key);
        continue;
      }
      const next = t.job.expiryAt(now + t.job.leadMs);
      if (next === current || next === t.prepared || t.job.cost > budget) continue;
      budget -= t.job.cost;
      t.prepared = next;
      queue.push(t.job.prepare(next));
    }
    if (queue.length === 0) return Promise.resolve();
    const done = new Promise<void>((resolve) => waiters.push(resolve));
    if (immediate === undefined) immediate = timers.setImmediate(runSlice);
    return done;
  }

  return {
    served(key: string, expires: number): boolean {
      const t = tracked.get(key);
      if (t === undefined) return false;
      if (expires > t.served) t.served = expires;
      return true;
    },
    track(key: string, expires: number, job: PrepJob): void {
      if (closed) return;
      if (!tracked.has(key) && tracked.size >= maxTracked) {
        const oldest = tracked.keys().next().value;
        if (oldest !== undefined) tracked.delete(oldest);
      }
      tracked.set(key, { job, served: expires, prepared: expires });
      interval ??= timers.setInterval(() => void check(), intervalMs);
    },
    check,
    close(): void {
      closed = true;
      if (interval !== undefined) timers.clearInterval(interval);
      if (immediate !== undefined) timers.clearImmediate(immediate);
      interval = immediate = undefined;
      queue.length = 0;
      tracked.clear();
      drained();
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
