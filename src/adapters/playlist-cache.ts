// The origin cache: a PlaylistSource in front of another (S3) that keeps playlist bytes in memory.
//
// - Bounded in bytes (lru-cache `maxSize`), keyed by S3 key. An object larger than the whole bound
//   is served but not kept.
// - Freshness depends on what the playlist is (its PlaylistFacts, core/hls/facts.ts, computed once
//   per fetched body and handed out with it as `object.facts`):
//     * finished (EXT-X-ENDLIST or EXT-X-PLAYLIST-TYPE:VOD) and multivariant playlists: served from
//       memory for `vodRevalidateMs`, then revalidated with a conditional GET (If-None-Match: the
//       cached ETag). 304 → the copy is fresh again; 200 → the new bytes replace it. So a changed
//       object is never served more than `vodRevalidateMs` after it changed (while S3 answers).
//     * live media playlists (no ENDLIST, not VOD): kept at most half their EXT-X-TARGETDURATION
//       (never longer than `vodRevalidateMs`), then revalidated the same way.
// - Single flight: while one S3 request for a key is running, every other get of that key waits
//   for it instead of starting another. The shared request ignores callers' abort signals (one
//   viewer going away must not fail the others); each caller stops waiting when its own signal
//   aborts. The inner source's own deadline bounds the shared request.
// - Errors are never cached as content: a failed get stores nothing, the next get asks S3 again.
// - Stale-if-error (decision): when revalidating a *finished or multivariant* playlist fails with a
//   transient error (SourceError `Upstream` or `Timeout`), the cached copy is served instead of the
//   error, for at most `staleIfErrorMs` after it was last confirmed by S3, and S3 is not asked again
//   for that key for `errorRetryMs` (so an outage does not make every viewer wait for the S3
//   deadline). Rationale: a VOD's bytes almost never change, and a viewer is better served by the
//   last confirmed copy than by a 502. Never for live playlists (a stale live playlist stalls
//   players), never for `NotFound` (a deleted object stops being served at once: the entry is
//   dropped), `Denied` or `TooLarge` (configuration problems to surface, not to hide).
//
// The objects and bodies handed out are the cached instances: callers must not modify them. The same
// instance for the same cached version is what lets the playback layer memoize per body.
import { LRUCache } from 'lru-cache';
import { playlistFacts, type PlaylistFacts } from '../core/hls/facts.js';
import { SourceError, type NotModified, type PlaylistObject, type PlaylistSource } from './s3-playlist-source.js';

export interface CachingPlaylistSourceOptions {
  /** Bound of the cache, in bytes (bodies plus a small per-entry overhead). 0 disables caching (single flight stays). */
  maxBytes: number;
  /** How long a finished (VOD) or multivariant playlist is served before a conditional GET. */
  vodRevalidateMs: number;
  /** Current time, epoch milliseconds. */
  clock: () => number;
  /** Longest a cached VOD copy is served past its last confirmation while S3 fails; default 300 000 ms; 0 disables stale-if-error. */
  staleIfErrorMs?: number;
  /** After a failed revalidation answered from the cached copy, S3 is not asked again for this long; default min(5000, vodRevalidateMs). */
  errorRetryMs?: number;
  /** Freshness of a live playlist without EXT-X-TARGETDURATION; default 1000 ms. */
  liveDefaultMs?: number;
}

/** Counters, for tests, the benchmark and logs. */
export interface PlaylistCacheStats {
  /** Gets answered from memory without asking S3. */
  hits: number;
  /** Gets that found nothing cached (one S3 GET each, unless they joined a running one). */
  misses: number;
  /** Gets that joined an S3 request already running for the same key. */
  joined: number;
  /** Conditional GETs sent (entry present, past its freshness). */
  revalidations: number;
  /** Conditional GETs answered 304. */
  notModified: number;
  /** Gets answered with the cached copy because revalidation failed (stale-if-error). */
  staleServed: number;
  /** S3 requests that failed. */
  errors: number;
  /** Bytes held now. */
  bytes: number;
  /** Entries held now. */
  entries: number;
}

export interface CachingPlaylistSource extends PlaylistSource {
  stats(): PlaylistCacheStats;
  /** Drops every cached entry (running requests finish and store their answer). */
  clear(): void;
}

/** What a playlist is, as far as caching is concerned. */
export type PlaylistFreshness = Pick<PlaylistFacts, 'kind' | 'targetDuration'>;

/** playlistFacts (core/hls/facts.ts) without importsVariables: what the freshness rules read. */
export function playlistFreshness(body: Uint8Array): PlaylistFreshness {
  const { kind, targetDuration } = playlistFacts(body);
  return targetDuration === undefined ? { kind } : { kind, targetDuration };
}

interface Entry {
  /** As the inner source gave it, with `facts` set. */
  object: PlaylistObject & { facts: PlaylistFacts };
  /** Last time S3 confirmed these bytes (200 or 304), epoch ms. */
  confirmedAt: number;
  /** Served from memory without asking S3 until then, epoch ms. */
  freshUntil: number;
  size: number;
}

const ENTRY_OVERHEAD = 256;

/** Waits for `p`, or rejects with the signal's reason as soon as `signal` aborts. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  // An abort reason is whatever the caller gave AbortController.abort(): passed on as it is.
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: Error) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export function createCachingPlaylistSource(inner: PlaylistSource, o: CachingPlaylistSourceOptions): CachingPlaylistSource {
  const { clock } = o;
  const vodMs = Math.max(0, o.vodRevalidateMs);
  const staleIfErrorMs = o.staleIfErrorMs ?? 300_000;
  const errorRetryMs = o.errorRetryMs ?? Math.min(5000, vodMs);
  const liveDefaultMs = o.liveDefaultMs ?? 1000;
  const cache =
    o.maxBytes > 0
      ? new LRUCache<string, Entry>({ maxSize: o.maxBytes, sizeCalculation: (e) => e.size })
      : undefined;
  const inflight = new Map<string, Promise<Entry>>();
  const counters = { hits: 0, misses: 0, joined: 0, revalidations: 0, notModified: 0, staleServed: 0, errors: 0 };

  function freshFor(f: PlaylistFacts): number {
    if (f.kind !== 'live') return vodMs;
    const half = f.targetDuration !== undefined && f.targetDuration > 0 ? (f.targetDuration * 1000) / 2 : liveDefaultMs;
    return Math.min(half, vodMs);
  }

  function entryOf(got: PlaylistObject, now: number): Entry {
    // Scanned once here, so that every reader of this version gets the facts without a scan.
    const object = { ...got, facts: got.facts ?? playlistFacts(got.body) };
    return { object, confirmedAt: now, freshUntil: now + freshFor(object.facts), size: object.body.byteLength + object.key.length * 2 + ENTRY_OVERHEAD };
  }

  function answer(e: Entry, ifNoneMatch: string | undefined): PlaylistObject | NotModified {
    if (ifNoneMatch !== undefined && e.object.etag !== undefined && e.object.etag === ifNoneMatch) {
      return { key: e.object.key, notModified: true, etag: e.object.etag };
    }
    return e.object;
  }

  function mayServeStale(e: Entry, err: unknown, now: number): boolean {
    if (staleIfErrorMs <= 0 || e.object.facts.kind === 'live') return false;
    if (!(err instanceof SourceError) || (err.code !== 'Upstream' && err.code !== 'Timeout')) return false;
    return now - e.confirmedAt <= staleIfErrorMs;
  }

  /** One S3 request for `key` (conditional when an entry is known); stores and returns the result. */
  async function fetchEntry(key: string, known: Entry | undefined): Promise<Entry> {
    const etag = known?.object.etag;
    if (known && etag !== undefined) counters.revalidations++;
    let got: PlaylistObject | NotModified;
    try {
      got = await inner.get(key, etag !== undefined ? { ifNoneMatch: etag } : {});
    } catch (err) {
      counters.errors++;
      const now = clock();
      if (err instanceof SourceError && err.code === 'NotFound') cache?.delete(key);
      if (known && mayServeStale(known, err, now)) {
        counters.staleServed++;
        // Keep serving the confirmed copy for a short while without asking S3 again.
        known.freshUntil = Math.min(now + errorRetryMs, known.confirmedAt + staleIfErrorMs);
        return known;
      }
      throw err;
    }
    const now = clock();
    if (got.notModified) {
      if (!known) throw new Error(`storage answered 304 Not Modified for ${key} without a conditional request`);
      counters.notModified++;
      known.confirmedAt = now;
      known.freshUntil = now + freshFor(known.object.facts);
      // Re-insert: refreshes its recency (and puts it back if it was evicted meanwhile).
      cache?.set(key, known);
      return known;
    }
    const entry = entryOf(got, now);
    cache?.set(key, entry);
    return entry;
  }

  async function get(key: string, opts: { ifNoneMatch?: string; signal?: AbortSignal } = {}): Promise<PlaylistObject | NotModified> {
    const { ifNoneMatch, signal } = opts;
    signal?.throwIfAborted();
    const cached = cache?.get(key);
    if (cached && clock() < cached.freshUntil) {
      counters.hits++;
      return answer(cached, ifNoneMatch);
    }
    let flight = inflight.get(key);
    if (flight) {
      counters.joined++;
    } else {
      if (!cached) counters.misses++;
      flight = fetchEntry(key, cached).finally(() => inflight.delete(key));
      // Every waiter may have gone (aborted): the rejection must not surface as unhandled.
      flight.catch(() => {});
      inflight.set(key, flight);
    }
    const entry = await untilAborted(flight, signal);
    return answer(entry, ifNoneMatch);
  }

  return {
    get,
    ping: () => inner.ping(),
    stats: () => ({ ...counters, bytes: cache?.calculatedSize ?? 0, entries: cache?.size ?? 0 }),
    clear: () => cache?.clear(),
  };
}
