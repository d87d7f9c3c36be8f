// The origin cache (src/adapters/playlist-cache.ts): hits, conditional revalidation, live expiry at
// half the target duration, facts handed out with each body, single flight, errors never cached,
// stale-if-error, the byte bound, and the real 304 path against an S3-compatible store. Time is an
// injected clock; no sleeps.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCachingPlaylistSource, playlistFreshness } from '../../src/adapters/playlist-cache.js';
import { createS3PlaylistSource, SourceError, type NotModified, type PlaylistObject, type PlaylistSource } from '../../src/adapters/s3-playlist-source.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';

const T0 = Date.UTC(2030, 0, 1);

function vod(segments: number, tag = ''): string {
  const lines = ['#EXTM3U', '#EXT-X-TARGETDURATION:6', '#EXT-X-PLAYLIST-TYPE:VOD'];
  for (let i = 0; i < segments; i++) lines.push('#EXTINF:6.0,', `seg_${i}${tag}.ts`);
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}

function live(first: number, targetDuration = 6): string {
  const lines = ['#EXTM3U', `#EXT-X-TARGETDURATION:${targetDuration}`, `#EXT-X-MEDIA-SEQUENCE:${first}`];
  for (let i = first; i < first + 3; i++) lines.push(`#EXTINF:${targetDuration}.0,`, `seg_${i}.ts`);
  return `${lines.join('\n')}\n`;
}

const MASTER = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000000\n720p/index.m3u8\n';

interface Call {
  key: string;
  ifNoneMatch?: string;
}

/** An in-memory store with S3's conditional GET, counting calls; `gate` holds answers back. */
function fakeStore() {
  const objects = new Map<string, { body: Uint8Array; etag: string }>();
  const calls: Call[] = [];
  const state: { fail?: SourceError | Error; gate?: Promise<void> } = {};
  const source: PlaylistSource = {
    async get(key, o = {}): Promise<PlaylistObject | NotModified> {
      calls.push({ key, ...(o.ifNoneMatch === undefined ? {} : { ifNoneMatch: o.ifNoneMatch }) });
      if (state.gate) await state.gate;
      if (state.fail) throw state.fail;
      const obj = objects.get(key);
      if (!obj) throw new SourceError('NotFound', key, 'playlist not found in storage');
      if (o.ifNoneMatch !== undefined && o.ifNoneMatch === obj.etag) return { key, notModified: true, etag: obj.etag };
      return { key, body: obj.body, etag: obj.etag };
    },
    async ping() {},
  };
  return {
    source,
    calls,
    state,
    put(key: string, text: string) {
      const body = Buffer.from(text, 'utf8');
      objects.set(key, { body, etag: `"${createHash('md5').update(body).digest('hex')}"` });
    },
    remove(key: string) {
      objects.delete(key);
    },
  };
}

function clock(start = T0) {
  const c = { now: start, fn: () => c.now };
  return c;
}

function text(o: PlaylistObject | NotModified): string {
  if (o.notModified) throw new Error('unexpected 304');
  return Buffer.from(o.body).toString('utf8');
}

describe('playlistFreshness', () => {
  it.each([
    [vod(2), 'finished', 6],
    ['#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n', 'finished', 4],
    ['#EXTM3U\r\n#EXT-X-PLAYLIST-TYPE:VOD\r\n#EXT-X-TARGETDURATION:10\r\n#EXTINF:4,\r\na.ts\r\n', 'finished', 10],
    [live(0), 'live', 6],
    ['#EXTM3U\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.ts\n', 'live', 2],
    [MASTER, 'multivariant', undefined],
    ['not a playlist', 'other', undefined],
  ])('classifies %#', (body, kind, targetDuration) => {
    const f = playlistFreshness(Buffer.from(body));
    expect(f.kind).toBe(kind);
    expect(f.targetDuration).toBe(targetDuration);
  });
});

describe('createCachingPlaylistSource', () => {
  it('when a playlist is read twice, then S3 is asked once and the same bytes come back', async () => {
    const store = fakeStore();
    store.put('v/index.m3u8', vod(3));
    const c = clock();
    const cached = createCachingPlaylistSource(store.source, { maxBytes: 1 << 20, vodRevalidateMs: 30_000, clock: c.fn });
    const a = await cached.get('v/index.m3u8');
    const b = await cached.get('v/index.m3u8');
    expect(store.calls).toHaveLength(1);
    expect(b).toBe(a);
    expect(cached.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1 });
    // A caller's own conditional get is answered from memory too.
    const etag = (a as PlaylistObject).etag!;
    expect(await cached.get('v/index.m3u8', { ifNoneMatch: etag })).toEqual({ key: 'v/index.m3u8', notModified: true, etag });
    expect(store.calls).toHaveLength(1);
  });

  it('when a playlist is handed out, then it carries its facts, scanned once per fetched body', async () => {
    const store = fakeStore();
    const media = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-DEFINE:IMPORT="dir"\n#EXTINF:4,\n{$dir}/a.ts\n';
    store.put('v/a/index.m3u8', media);
    store.put('v/index.m3u8', MASTER);
    const c = clock();
    const cached = createCachingPlaylistSource(store.source, { maxBytes: 1 << 20, vodRevalidateMs: 1000, clock: c.fn });
    const first = (await cached.get('v/a/index.m3u8')) as PlaylistObject;
    expect(first.facts).toEqual({ kind: 'live', targetDuration: 4, importsVariables: true });
    expect(((await cached.get('v/index.m3u8')) as PlaylistObject).facts).toEqual({ kind: 'multivariant', importsVariables: false });
    // A hit and a 304 hand out the same object, facts included: nothing is scanned again.
    expect(await cached.get('v/a/index.m3u8')).toBe(first);
    c.now += 2000;
    expect(await cached.get('v/a/index.m3u8')).toBe(first);
    expect(cached.stats().notModified).toBe(1);
    // New bytes: new facts.
    store.put('v/a/index.m3u8', vod(1));
    c.now += 2000;
    const changed = (await cached.get('v/a/index.m3u8')) as PlaylistObject;
    expect(changed.facts).toEqual({ kind: 'finished', targetDuration: 6, importsVariables: false });
    expect(changed.body).not.toBe(first.body);
  });

  it('when the inner source already gives facts, then they are kept, and its objects are not modified', async () => {
    const body = Buffer.from(vod(1));
    const given = { kind: 'finished' as const, targetDuration: 6, importsVariables: false };
    const inner: PlaylistObject = { key: 'v/index.m3u8', body, etag: '"1"', facts: given };
    const plain: PlaylistObject = { key: 'v/plain.m3u8', body, etag: '"2"' };
    const source: PlaylistSource = { get: async (key) => (key === inner.key ? inner : plain), ping: async () => {} };
    const cached = createCachingPlaylistSource(source, { maxBytes: 1 << 20, vodRevalidateMs: 30_000, clock: Date.now });
    expect(((await cached.get(inner.key)) as PlaylistObject).facts).toBe(given);
    const out = (await cached.get(plain.key)) as PlaylistObject;
    expect(out.facts).toEqual(given);
    expect(out.body).toBe(body); // the same bytes: per-body memos downstream still hit
    expect(plain.facts).toBeUndefined();
  });

  it('when a VOD is older than the interval, then it is revalidated with If-None-Match: 304 keeps it, a change replaces it', async () => {
    const store = fakeStore();
    store.put('v/index.m3u8', vod(3));
    const c = clock();
    const cached = createCachingPlaylistSource(store.source, { maxBytes: 1 << 20, vodRevalidateMs: 30_000, clock: c.fn });
    const first = (await cached.get('v/index.m3u8')) as PlaylistObject;
    c.now += 29_999;
    await cached.get('v/index.m3u8');
    expect(store.calls).toHaveLength(1);
    c.now += 1;
    const again = await cached.get('v/index.m3u8');
    expect(store.calls).toEqual([{ key: 'v/index.m3u8' }, { key: 'v/index.m3u8', ifNoneMatch: first.etag }]);
    expect(again).toBe(first); // 304: same cached bytes
    expect(cached.stats()).toMatchObject({ revalidations: 1, notModified: 1 });

    store.put('v/index.m3u8', vod(4));
    c.now += 10_000;
    expect(text(await cached.get('v/index.m3u8'))).toBe(vod(3)); // within the interval since the last check
    c.now += 20_000;
    expect(text(await cached.get('v/index.m3u8'))).toBe(vod(4));
    expect(store.calls).toHaveLength(3);
  });

  it('when the object changes at arbitrary times, then no read is staler than the interval', async () => {
    const store = fakeStore();
    const c = clock();
    const interval = 30_000;
    const cached = createCachingPlaylistSource(store.source, { maxBytes: 1 << 20, vodRevalidateMs: interval, clock: c.fn });
    // history[v] = when version v stopped being current (undefined: still current).
    const replacedAt: (number | undefined)[] = [undefined];
    store.put('v/index.m3u8', vod(1, '_v0'));
    // Pseudo-random steps (deterministic): reads every 0-9 s, a change every ~25 reads.
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let step = 0; step < 400; step++) {
      c.now += rand(10_000);
      if (rand(25) === 0) {
        replacedAt[replacedAt.length - 1] = c.now;
        replacedAt.push(undefined);
        store.put('v/index.m3u8', vod(1, `_v${replacedAt.length - 1}`));
      }
      const got = text(await cached.get('v/index.m3u8'));
      const v = Number(/seg_0_v(\d+)\.ts/.exec(got)?.[1]);
      // Served version v was current at some moment of the last `interval` ms.
      const until = replacedAt[v];
      expect(until === undefined || c.now - until < interval, `version ${v} served ${until === undefined ? '' : c.now - until} ms after it was replaced`).toBe(true);
    }
    expect(replacedAt.length).toBeGreaterThan(5);
    expect(cached.stats().notModified).toBeGreaterThan(0);
  });

  it('when a live playlist is cached, then it is kept no longer than half its target duration', async () => {
    const store = fakeStore();
    store.put('live/index.m3u8', live(0, 6));
    const c = clock();
    const cached = createCachingPlaylistSource(store.source, { maxBytes: 1 << 20, vodRevalidateMs: 30_000, clock: c.fn });
    expect(text(await cached.get('live/index.m3u8'))).toBe(live(0, 6));
    store.put('live/index.m3u8', live(1, 6));
    c.now += 2_999;
    expect(text(await cached.get('live/index.m3u8'))).toBe(live(0, 6));
    expect(store.calls).toHaveLength(1);
    c.now += 1; // 3 s = 6 s / 2
    expect(text(await cached.get('live/index.m3u8'))).toBe(live(1, 6));
    expect(store.calls).toHaveLength(2);
    // Unchanged: a 304 refreshes it for another half target duration.
    c.now += 3_000;
    await cached.get('live/index.m3u8');
    expect(store.calls.at(-1)?.ifNoneMatch).toBeDefined();
    expect(cached.stats().notModified).toBe(1);
  });

  it('when a multivariant playlist is cached, then it follows the VOD interval', async () => {
    const store = fakeStore();
    store.put('v/master.m3u8', MASTER);
    const c = clock();
    const cached = createCachingPlaylistSource(store.source, { maxBytes: 1 << 20, vodRevalidateMs: 10_000, clock: c.fn });
    await cached.get('v/master.m3u8');
    c.now += 9_999;
    await cached.get('v/master.m3u8');
    expect(store.calls).toHaveLength(1);
    c.now += 1;
    await cached.get('v/master.m3u8');
    expect(store.calls).toHaveLength(2);
  });

  it('when many viewers miss the same key at once, then one S3 request serves them all', async () => {
    const store = fakeStore();
    store.put('v/index.m3u8', vod(3));
    let open!: () => void;
    store.state.gate = new Promise<void>((r) => (open = r));
    const cached = createCachingPlaylistSource(store.source, { maxBytes: 1 << 20, vodRevalidateMs: 30_000, clock: Date.now });
    const waiting = Array.from({ length: 50 }, () => cached.get('v/index.m3u8'));
    await Promise.resolve();
    open();
    const results = await Promise.all(waiting);
    expect(store.calls).toHaveLength(1);
    for (const r of results) expect(r).toBe(results[0]);
    expect(cached.stats()).toMatchObject({ misses: 1, joined: 49 });
  });

  it('when revalidations of a stale entry coincide, then they are one conditional request', async () => {
    const store = fakeStore();
    store.put('v/index.m3u8', vod(3));
    const c = clock();
    const cached = createCachingPlaylistSource(store.source, { maxBytes: 1 << 20, vodRevalidateMs: 1000, clock: c.fn });
    await cached.get('v/index.m3u8');
    c.now += 1000;
    await Promise.all(Array.from({ length: 20 }, () => cached.get('v/index.m3u8')));
    expect(store.calls).toHaveLength(2);
  });

  it('when one waiting viewer goes away, then only that viewer stops waiting', async () => {
    const store = fakeStore();
    store.put('v/index.m3u8', vod(3));
    let open!: () => void;
    store.state.gate = new Promise<void>((r) => (open = r));
    const cached = createCachingPlaylistSource(store.source, { maxBytes: 1 << 20, vodRevalidateMs: 30_000, clock: Date.now });
    const ac = new AbortController();
    const leaving = cached.get('v/index.m3u8', { signal: ac.signal });
    const staying = cached.get('v/index.m3u8');
    ac.abort(new Error('viewer left'));
    await expect(leaving).rejects.toThrow('viewer left');
    open();
    expect(text(await staying)).toBe(vod(3));
    expect(store.calls).toHaveLength(1);
  });

  it('when S3 fails, then the error reaches every waiter and nothing is cached: the next read asks again', async () => {
    const store = fakeStore();
    store.put('v/index.m3u8', vod(3));
    store.state.fail = new SourceError('Upstream', 'v/index.m3u8', 'storage is unavailable');
    const cached = createCachingPlaylistSource(store.source, { maxBytes: 1 << 20, vodRevalidateMs: 30_000, clock: Date.now });
    const results = await Promise.allSettled([cached.get('v/index.m3u8'), cached.get('v/index.m3u8')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(store.calls).toHaveLength(1);
    expect(cached.stats()).toMatchObject({ errors: 1, entries: 0 });
    delete store.state.fail;
    expect(text(await cached.get('v/index.m3u8'))).toBe(vod(3));
    expect(store.calls).toHaveLength(2);
    // A missing object is not remembered as missing either.
    await expect(cached.get('v/absent.m3u8')).rejects.toMatchObject({ code: 'NotFound' });
    store.put('v/absent.m3u8', vod(1));
    expect(text(await cached.get('v/absent.m3u8'))).toBe(vod(1));
  });

  it('when revalidating a VOD fails transiently, then the confirmed copy is served, for a bounded time (stale-if-error)', async () => {
    const store = fakeStore();
    store.put('v/index.m3u8', vod(3));
    const c = clock();
    const cached = createCachingPlaylistSource(store.source, { maxBytes: 1 << 20, vodRevalidateMs: 30_000, clock: c.fn, staleIfErrorMs: 120_000, errorRetryMs: 5_000 });
    await cached.get('v/index.m3u8');
    store.state.fail = new SourceError('Timeout', 'v/index.m3u8', 'storage did not answer');
    c.now += 30_000;
    expect(text(await cached.get('v/index.m3u8'))).toBe(vod(3));
    expect(cached.stats().staleServed).toBe(1);
    // S3 is not asked again before the retry delay.
    c.now += 4_999;
    await cached.get('v/index.m3u8');
    expect(store.calls).toHaveLength(2);
    c.now += 1;
    await cached.get('v/index.m3u8');
    expect(store.calls).toHaveLength(3);
    // Past staleIfErrorMs since the last confirmation: the error surfaces.
    c.now = T0 + 120_001;
    await expect(cached.get('v/index.m3u8')).rejects.toMatchObject({ code: 'Timeout' });
    // S3 back: normal service.
    delete store.state.fail;
    expect(text(await cached.get('v/index.m3u8'))).toBe(vod(3));
  });

  it('when a cached object is deleted or access is denied, then the error is served, not the copy', async () => {
    const store = fakeStore();
    store.put('v/index.m3u8', vod(3));
    store.put('w/index.m3u8', vod(3));
    const c = clock();
    const cached = createCachingPlaylistSource(store.source, { maxBytes: 1 << 20, vodRevalidateMs: 1000, clock: c.fn });
    await cached.get('v/index.m3u8');
    await cached.get('w/index.m3u8');
    store.remove('v/index.m3u8');
    c.now += 1000;
    await expect(cached.get('v/index.m3u8')).rejects.toMatchObject({ code: 'NotFound' });
    store.state.fail = new SourceError('Denied', 'w/index.m3u8', 'storage refused access');
    await expect(cached.get('w/index.m3u8')).rejects.toMatchObject({ code: 'Denied' });
    expect(cached.stats().staleServed).toBe(0);
  });

  it('when revalidating a live playlist fails, then the error is served (no stale live playlists)', async () => {
    const store = fakeStore();
    store.put('live/index.m3u8', live(0, 4));
    const c = clock();
    const cached = createCachingPlaylistSource(store.source, { maxBytes: 1 << 20, vodRevalidateMs: 30_000, clock: c.fn });
    await cached.get('live/index.m3u8');
    store.state.fail = new SourceError('Upstream', 'live/index.m3u8', 'storage is unavailable');
    c.now += 2_000;
    await expect(cached.get('live/index.m3u8')).rejects.toMatchObject({ code: 'Upstream' });
  });

  it('when more playlists than the bound are read, then the least recently used are dropped and the bound holds', async () => {
    const store = fakeStore();
    const body = vod(100); // ~2 KB
    for (let i = 0; i < 50; i++) store.put(`v${i}/index.m3u8`, body);
    const maxBytes = 20 * 1024;
    const cached = createCachingPlaylistSource(store.source, { maxBytes, vodRevalidateMs: 30_000, clock: Date.now });
    for (let i = 0; i < 50; i++) await cached.get(`v${i}/index.m3u8`);
    const stats = cached.stats();
    expect(stats.bytes).toBeLessThanOrEqual(maxBytes);
    expect(stats.entries).toBeGreaterThan(0);
    expect(stats.entries).toBeLessThan(50);
    await cached.get('v49/index.m3u8');
    expect(store.calls).toHaveLength(50); // the most recent one is still there
    await cached.get('v0/index.m3u8');
    expect(store.calls).toHaveLength(51); // the oldest one was dropped
  });

  it('when caching is off (maxBytes 0), then reads still share one S3 request but nothing is kept', async () => {
    const store = fakeStore();
    store.put('v/index.m3u8', vod(3));
    const cached = createCachingPlaylistSource(store.source, { maxBytes: 0, vodRevalidateMs: 30_000, clock: Date.now });
    await Promise.all([cached.get('v/index.m3u8'), cached.get('v/index.m3u8')]);
    await cached.get('v/index.m3u8');
    expect(store.calls).toHaveLength(2);
  });
});

describe('createCachingPlaylistSource over an S3-compatible store', () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await startTestS3();
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('when the object is unchanged, then S3 answers 304; when it changes, the new bytes are served after the interval', async () => {
    await s3.put('videos/c/index.m3u8', vod(10));
    const inner = createS3PlaylistSource({ client: s3.client, bucket: s3.bucket, timeoutMs: 5000, maxBytes: 1 << 20 });
    const answers: string[] = [];
    const counting: PlaylistSource = {
      async get(key, o) {
        const r = await inner.get(key, o);
        answers.push(r.notModified ? '304' : '200');
        return r;
      },
      ping: () => inner.ping(),
    };
    const c = clock(Date.now());
    const cached = createCachingPlaylistSource(counting, { maxBytes: 1 << 20, vodRevalidateMs: 30_000, clock: c.fn });
    for (let i = 0; i < 5; i++) expect(text(await cached.get('videos/c/index.m3u8'))).toBe(vod(10));
    expect(answers).toEqual(['200']);
    c.now += 30_000;
    expect(text(await cached.get('videos/c/index.m3u8'))).toBe(vod(10));
    expect(answers).toEqual(['200', '304']);
    await s3.put('videos/c/index.m3u8', vod(11));
    c.now += 30_000;
    expect(text(await cached.get('videos/c/index.m3u8'))).toBe(vod(11));
    expect(answers).toEqual(['200', '304', '200']);
  });
});
