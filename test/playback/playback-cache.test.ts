// The amortized playback path: expiry rounding, signatures shared within a window and
// renewed after it, IP-bound responses never shared across addresses, compile once per ETag,
// shared responses with gzip/brotli forms, cookies mode. Signatures are checked with the local
// CloudFront verifier (cf-verify.ts) and, independently of it and of the signer, with the public key
// by test/helpers/cloudfront.ts; never by comparing strings.
import { createHash } from 'node:crypto';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { openCatalog } from '../../src/adapters/catalog.js';
import { verifySignedRequest } from '../../src/edge/cf-verify.js';
import type { CompiledPlaylist } from '../../src/core/hls/manifest.js';
import { loadSignedPlaylist, roundUpToWindow, signatureExpiry, type PlaybackDeps } from '../../src/playback/load-signed-playlist.js';
import { createCachingPlaylistSource } from '../../src/adapters/playlist-cache.js';
import { SourceError, type PlaylistSource } from '../../src/adapters/s3-playlist-source.js';
import { createPlaybackCache, encodedBody, negotiateEncoding } from '../../src/playback/playback-cache.js';
import { createWorkBudget } from '../../src/playback/work-budget.js';
import { loadSigningKey, type SigningKey } from '../../src/core/cloudfront/signer.js';
import { verifiedCookiePolicy } from '../helpers/cloudfront.js';
import { testConfig } from '../helpers/app.js';
import { verifiedUrlPolicy } from '../helpers/cloudfront.js';
import { ecKeyPair, rsaKeyPair, type TestKeyPair } from '../helpers/keys.js';

const CDN = 'https://cdn.example';
const TTL = 3600;
const MARGIN = 300;
const WINDOW = 300;
const MAX_TTL = 604_800;
/** A multiple of WINDOW (and of every window used below). */
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
/** One second past a window boundary: the first instant of a window (with whole-window TTLs). */
const T1 = T0 + 1000;
const VIDEO = { id: 'v1', playlistKey: 'videos/v1/master.m3u8', rootPrefix: 'videos/v1/' };

function media(segments: number, seconds = 6, o: { vod?: boolean; head?: string } = {}): string {
  const lines = ['#EXTM3U', `#EXT-X-TARGETDURATION:${seconds}`];
  if (o.vod !== false) lines.push('#EXT-X-PLAYLIST-TYPE:VOD');
  if (o.head) lines.push(o.head);
  for (let i = 0; i < segments; i++) lines.push(`#EXTINF:${seconds}.0,`, `seg_${i}.ts`);
  if (o.vod !== false) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

const MASTER = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000000\n720p/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=500000\n360p/index.m3u8\n';

function memoryStore(): { source: PlaylistSource; gets: string[]; put(key: string, text: string): void } {
  const objects = new Map<string, { body: Uint8Array; etag: string }>();
  const gets: string[] = [];
  return {
    gets,
    put(key, text) {
      const body = Buffer.from(text, 'utf8');
      objects.set(key, { body, etag: `"${createHash('md5').update(body).digest('hex')}"` });
    },
    source: {
      async get(key, o = {}) {
        gets.push(key);
        const obj = objects.get(key);
        if (!obj) throw new SourceError('NotFound', key, 'playlist not found in storage');
        if (o.ifNoneMatch === obj.etag) return { key, notModified: true, etag: obj.etag };
        return { key, body: obj.body, etag: obj.etag };
      },
      async ping() {},
    },
  };
}

interface Setup {
  deps: PlaybackDeps;
  store: ReturnType<typeof memoryStore>;
  key: SigningKey;
  pair: TestKeyPair;
  clock: { now: number };
  /** The use case's time when a test moves it alone (the origin cache keeps `clock`). */
  useCaseNow: { value: number | undefined };
}

function setup(mode: 'wildcard' | 'url' | 'cookies', o: { pair?: TestKeyPair; segments?: number; cache?: boolean } = {}): Setup {
  const pair = o.pair ?? ecKeyPair();
  const key = loadSigningKey({ keyPairId: 'KTEST', privateKeyPem: pair.privateKeyPem, hash: 'SHA256' });
  const store = memoryStore();
  store.put('videos/v1/master.m3u8', MASTER);
  store.put('videos/v1/720p/index.m3u8', media(o.segments ?? 20));
  store.put('videos/v1/360p/index.m3u8', media(o.segments ?? 20));
  const clock = { now: T1 };
  const useCaseNow: { value: number | undefined } = { value: undefined };
  const deps: PlaybackDeps = {
    source: createCachingPlaylistSource(store.source, { maxBytes: 1 << 24, vodRevalidateMs: 30_000, clock: () => clock.now }),
    signingKey: key,
    clock: () => useCaseNow.value ?? clock.now,
    config: { cdnBaseUrl: CDN, signing: { mode, ttlSeconds: TTL, expiryMarginSeconds: MARGIN, windowSeconds: WINDOW, maxTtlSeconds: MAX_TTL }, s3: { maxPlaylistBytes: 1 << 22 }, foreignUris: 'pass', responseMaxBytes: 16 << 20 },
    ...(o.cache === false ? {} : { playbackCache: createPlaybackCache({ maxBytes: 16 << 20 }) }),
  };
  return { deps, store, key, pair, clock, useCaseNow };
}

async function load(s: Setup, o: { relPath?: string; clientIp?: string; now?: number; query?: URLSearchParams } = {}) {
  s.useCaseNow.value = o.now;
  try {
    return await loadSignedPlaylist({
      video: VIDEO,
      deps: s.deps,
      ...(o.relPath === undefined ? { relPath: '720p/index.m3u8' } : o.relPath === '' ? {} : { relPath: o.relPath }),
      ...(o.clientIp === undefined ? {} : { clientIp: o.clientIp }),
      ...(o.query === undefined ? {} : { query: o.query }),
    });
  } finally {
    s.useCaseNow.value = undefined;
  }
}

function segmentUrls(body: string): string[] {
  return body.split('\n').filter((l) => l.startsWith('https://'));
}

/** The verifier's verdict; whatever it is, the signature itself must verify with the public key (helper). */
function verify(s: Setup, url: string, now: number, clientIp?: string) {
  expect(verifiedUrlPolicy(url, s.pair.publicKey).keyPairId).toBe('KTEST');
  return verifySignedRequest({ url, publicKeys: new Map([['KTEST', s.pair.publicKey]]), now, ...(clientIp === undefined ? {} : { clientIp }) });
}

function stats(s: Setup) {
  return s.deps.playbackCache!.stats();
}

describe('expiry rounding', () => {
  it('rounds up to the window and only ever extends (property table)', () => {
    let seed = 42;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const durations = [0, 12, 3599.5, 3600, 7200, 86_400];
    for (const windowSeconds of [60, 300, 3600, 7]) {
      for (const ttlSeconds of [60, 300, 3600]) {
        for (const duration of durations) {
          for (const finished of [true, false]) {
            const compiled: Pick<CompiledPlaylist, 'totalDuration' | 'endList' | 'playlistType'> = { totalDuration: duration, endList: finished };
            for (let i = 0; i < 50; i++) {
              const nowMs = T0 + rand(10_000_000) * 7 + rand(1000);
              const now = Math.floor(nowMs / 1000);
              const signing = { mode: 'wildcard' as const, ttlSeconds, expiryMarginSeconds: MARGIN, windowSeconds, maxTtlSeconds: MAX_TTL };
              const unrounded = signatureExpiry(compiled, nowMs, { ...signing, windowSeconds: 0 });
              const expires = signatureExpiry(compiled, nowMs, signing);
              expect(expires).toBeGreaterThanOrEqual(now + ttlSeconds);
              if (finished) expect(expires).toBeGreaterThanOrEqual(now + Math.ceil(duration) + MARGIN);
              expect(expires).toBeGreaterThanOrEqual(unrounded);
              expect(expires).toBeLessThan(unrounded + windowSeconds);
              expect(expires % windowSeconds).toBe(0);
            }
          }
        }
      }
    }
  });

  // Issue 9, hole 2: a VOD claiming 3,000,000,000 s got signatures valid until 2121.
  it.each([
    ['a VOD claiming 3e9 s', 3e9, 300],
    ['a VOD of 8 days', 8 * 86_400, 300],
    ['a VOD of 8 days, no window', 8 * 86_400, 0],
    ['a VOD claiming 3e9 s, a 7 s window', 3e9, 7],
  ])('caps %s at SIGNED_URL_MAX_TTL, after the stretch, on the window', (_what, duration, windowSeconds) => {
    const nowMs = T1;
    const now = Math.floor(nowMs / 1000);
    const signing = { mode: 'url' as const, ttlSeconds: TTL, expiryMarginSeconds: MARGIN, windowSeconds, maxTtlSeconds: MAX_TTL };
    const expires = signatureExpiry({ totalDuration: duration, endList: true }, nowMs, signing);
    expect(expires).toBeLessThanOrEqual(now + MAX_TTL);
    expect(expires).toBeGreaterThan(now + MAX_TTL - Math.max(windowSeconds, 1));
    if (windowSeconds > 1) expect(expires % windowSeconds).toBe(0);
    // A shorter VOD is not capped.
    expect(signatureExpiry({ totalDuration: 7200, endList: true }, nowMs, signing)).toBeGreaterThanOrEqual(now + 7200 + MARGIN);
  });

  it('leaves expiries alone without a window', () => {
    for (const w of [undefined, 0, 1]) expect(roundUpToWindow(1_900_000_123, w)).toBe(1_900_000_123);
    expect(roundUpToWindow(1_900_000_200, 300)).toBe(1_900_000_200);
    expect(roundUpToWindow(1_900_000_201, 300)).toBe(1_900_000_500);
  });
});

describe('amortized signatures', () => {
  it('wildcard: one signature per video per window, the same bytes for every viewer of the window, renewed after it', async () => {
    const s = setup('wildcard', { pair: rsaKeyPair() });
    const a = await load(s);
    const b = await load(s, { now: T0 + 300_000 }); // the last instant of the same window
    expect(b.bytes).toBe(a.bytes);
    expect(b.expires).toBe(a.expires);
    expect(b.shared).toBe(true);
    expect(stats(s)).toMatchObject({ signatureMisses: 1, renderedHits: 1, renderedMisses: 1 });
    // The other rendition of the same video shares the same policy.
    await load(s, { relPath: '360p/index.m3u8' });
    expect(stats(s).signatureMisses).toBe(1);
    for (const url of segmentUrls(a.body)) expect(verify(s, url, T0 / 1000)).toMatchObject({ ok: true });
    // 20 segments x 6 s = 120 s < TTL: expiry = now + TTL, rounded up to the window.
    expect(a.expires).toBe(T0 / 1000 + TTL + WINDOW);
    // One second past the boundary: a new window, a new signature, a later expiry.
    const c = await load(s, { now: T0 + 300_000 + 1000 });
    expect(c.expires).toBe(a.expires + WINDOW);
    expect(c.body).not.toBe(a.body);
    expect(stats(s).signatureMisses).toBe(2);
    for (const url of segmentUrls(c.body)) expect(verify(s, url, T0 / 1000 + 301)).toMatchObject({ ok: true });
  });

  it('url: at most one signature per URI per window, never per request', async () => {
    const s = setup('url', { segments: 30 });
    const first = await load(s);
    expect(stats(s).signatureMisses).toBe(30);
    for (let i = 0; i < 5; i++) await load(s, { now: T1 + i * 10_000 });
    // Even an unshared (IP-bound) render would reuse them; here the whole response is shared.
    expect(stats(s).signatureMisses).toBe(30);
    for (const url of segmentUrls(first.body)) expect(verify(s, url, T0 / 1000)).toMatchObject({ ok: true });
    await load(s, { now: T0 + 301_000 });
    expect(stats(s).signatureMisses).toBe(60);
  });

  it('IP binding: signatures and responses are never shared across addresses', async () => {
    for (const mode of ['wildcard', 'url'] as const) {
      const s = setup(mode, { segments: 10 });
      const a1 = await load(s, { clientIp: '203.0.113.7' });
      const missesAfterA = stats(s).signatureMisses;
      const a2 = await load(s, { clientIp: '203.0.113.7' });
      expect(stats(s).signatureMisses, `${mode}: same address, same window: signatures reused`).toBe(missesAfterA);
      expect(a2.body).toBe(a1.body);
      const b = await load(s, { clientIp: '198.51.100.9' });
      const open = await load(s);
      expect(a1.shared).toBeUndefined();
      expect(b.shared).toBeUndefined();
      expect(stats(s).renderedHits, `${mode}: IP-bound responses never come from the shared cache`).toBe(0);
      expect(stats(s).signatureMisses).toBe(missesAfterA * 3);
      for (const url of segmentUrls(a1.body)) {
        expect(verify(s, url, T0 / 1000, '203.0.113.7')).toMatchObject({ ok: true });
        expect(verify(s, url, T0 / 1000, '198.51.100.9')).toMatchObject({ ok: false, reason: 'IpMismatch' });
      }
      for (const url of segmentUrls(b.body)) expect(verify(s, url, T0 / 1000, '203.0.113.7')).toMatchObject({ ok: false, reason: 'IpMismatch' });
      // The unbound response carries no address condition, and A's bound one is not it.
      for (const url of segmentUrls(open.body)) expect(verify(s, url, T0 / 1000, '192.0.2.1')).toMatchObject({ ok: true });
      expect(open.body).not.toBe(a1.body);
    }
  });

  it('cached and uncached paths render the same bytes (deterministic RSA signatures)', async () => {
    for (const mode of ['wildcard', 'url'] as const) {
      const cached = setup(mode, { pair: rsaKeyPair(), segments: 5 });
      const plain = setup(mode, { pair: rsaKeyPair(), segments: 5, cache: false });
      for (const relPath of ['', '720p/index.m3u8']) {
        const a = await load(cached, { relPath });
        const b = await load(plain, { relPath });
        expect(a.body).toBe(b.body);
        expect(a.expires).toBe(b.expires);
      }
    }
  });
});

describe('compile once per (key, ETag)', () => {
  it('compiles a version once, and a changed object after the revalidation interval', async () => {
    const s = setup('wildcard', { segments: 10 });
    for (let i = 0; i < 5; i++) await load(s, { clientIp: `203.0.113.${i}` }); // unshared: each render compiles or hits
    expect(stats(s)).toMatchObject({ compiledMisses: 1, compiledHits: 4 });
    expect(s.store.gets).toEqual(['videos/v1/720p/index.m3u8']);
    s.store.put('videos/v1/720p/index.m3u8', media(11));
    s.clock.now = T1 + 29_000;
    expect(segmentUrls((await load(s)).body)).toHaveLength(10);
    s.clock.now = T1 + 30_000;
    expect(segmentUrls((await load(s)).body)).toHaveLength(11);
    expect(stats(s).compiledMisses).toBe(2);
  });

  it('caches a playlist compiled from the request query (EXT-X-DEFINE:QUERYPARAM) per distinct value', async () => {
    const s = setup('wildcard');
    s.store.put('videos/v1/q/index.m3u8', media(2, 6, { head: '#EXT-X-DEFINE:QUERYPARAM="token"' }).replace('seg_0.ts', 'seg_0.ts?t={$token}'));
    const q = (v: string) => ({ relPath: 'q/index.m3u8', query: new URLSearchParams(`token=${v}&other=${Math.random()}`) });
    const a = await load(s, q('abc'));
    const b = await load(s, q('xyz'));
    const again = await load(s, q('abc'));
    expect(a.body).toContain('seg_0.ts?t=abc&');
    expect(b.body).toContain('seg_0.ts?t=xyz&');
    // Same value of the names the playlist reads (other parameters do not matter): the same bytes.
    expect(again.bytes).toBe(a.bytes);
    expect(again.shared).toBe(true);
    expect(b.bytes).not.toBe(a.bytes);
    expect(stats(s)).toMatchObject({ compiledMisses: 2, compiledHits: 1 });
  });

  // Issue 9, hole 4: distinct QUERYPARAM values in url mode cost a compile and a signature per URI each.
  it('caps the uncached work of new query values with the work budget: 503 with Retry-After, cached values and other playlists unaffected', async () => {
    const s = setup('url');
    const budget = { now: T1 };
    s.deps.variantBudget = createWorkBudget({ perMinute: 50, clock: () => budget.now });
    const segments = media(20, 6, { head: '#EXT-X-DEFINE:QUERYPARAM="token"' }).replace(/(seg_\d+\.ts)/g, '$1?t={$token}');
    s.store.put('videos/v1/q/index.m3u8', segments);
    const q = (v: string) => ({ relPath: 'q/index.m3u8', query: new URLSearchParams(`token=${v}`) });
    await load(s, q('v1')); // 20 signatures: 30 units left
    await load(s, q('v2')); // a compile and 20 signatures: 9 left
    const refused = await load(s, q('v3')).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toMatchObject({ status: 503, headers: { 'Retry-After': expect.stringMatching(/^\d+$/) } });
    expect(Number((refused as { headers: Record<string, string> }).headers['Retry-After'])).toBeGreaterThan(0);
    // What is cached costs nothing; a playlist without QUERYPARAM never draws from the budget.
    expect(segmentUrls((await load(s, q('v1'))).body)).toHaveLength(20);
    expect(segmentUrls((await load(s)).body)).toHaveLength(20);
    budget.now += 60_000;
    expect(segmentUrls((await load(s, q('v3'))).body)).toHaveLength(20);
  });

  it('renders a nested playlist that imports variables from the top playlist, keyed by their values', async () => {
    const s = setup('wildcard');
    s.store.put('videos/v1/master.m3u8', `#EXTM3U\n#EXT-X-DEFINE:NAME="dir",VALUE="a"\n#EXT-X-STREAM-INF:BANDWIDTH=1\n{$dir}/index.m3u8\n`);
    s.store.put('videos/v1/a/index.m3u8', media(2, 6, { head: '#EXT-X-DEFINE:IMPORT="dir"' }).replace('seg_0.ts', '{$dir}-seg_0.ts'));
    const r = await load(s, { relPath: 'a/index.m3u8' });
    expect(r.body).toContain(`${CDN}/videos/v1/a/a-seg_0.ts?`);
    await load(s, { relPath: 'a/index.m3u8' });
    expect(stats(s).renderedHits).toBe(1);
    // A tag may follow blanks (manifest.ts reads it); the import is still resolved.
    s.store.put('videos/v1/b/index.m3u8', media(1, 6, { head: '  #EXT-X-DEFINE:IMPORT="dir"' }).replace('seg_0.ts', '{$dir}-seg_0.ts'));
    expect((await load(s, { relPath: 'b/index.m3u8' })).body).toContain(`${CDN}/videos/v1/b/a-seg_0.ts?`);
  });
});

describe('shared responses and their compressed forms', () => {
  it('computes gzip and brotli once; they decompress to the plain body', async () => {
    const s = setup('url', { segments: 50 });
    const first = await load(s);
    await s.deps.playbackCache!.idle();
    const again = await load(s);
    expect(again.gzip).toBeDefined();
    expect(again.br).toBeDefined();
    expect(gunzipSync(again.gzip!).equals(first.bytes)).toBe(true);
    expect(brotliDecompressSync(again.br!).equals(first.bytes)).toBe(true);
    expect(again.br!.byteLength).toBeLessThan(first.bytes.byteLength);
    const third = await load(s);
    expect(third.gzip).toBe(again.gzip); // computed once
  });

  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip', 'gzip'],
    ['gzip, deflate, br', 'br'],
    ['br;q=0.5, gzip', 'gzip'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['*', 'br'],
    ['identity', 'identity'],
    ['GZIP;Q=1', 'gzip'],
    ['x-gzip', 'gzip'],
  ])('negotiates Accept-Encoding %j → %s', (header, coding) => {
    expect(negotiateEncoding(header, { br: true, gzip: true })).toBe(coding);
  });

  it('falls back to identity when the compressed form is not ready', () => {
    const bytes = Buffer.from('x');
    expect(encodedBody({ bytes }, 'br, gzip')).toEqual({ coding: 'identity', body: bytes });
    expect(negotiateEncoding('br', { gzip: true })).toBe('identity');
  });
});

describe('cookies mode', () => {
  it('renders plain CDN URLs without any query, shared whatever the address, with the expiry for the cookie', async () => {
    const s = setup('cookies');
    const a = await load(s, { clientIp: '203.0.113.7' });
    const b = await load(s, { clientIp: '198.51.100.9', now: T1 + 400_000 });
    const urls = segmentUrls(a.body);
    expect(urls).toHaveLength(20);
    for (const url of urls) expect(url).toMatch(/^https:\/\/cdn\.example\/videos\/v1\/720p\/seg_\d+\.ts$/);
    expect(b.bytes).toBe(a.bytes);
    expect(a.shared).toBe(true);
    expect(a.expires).toBe(T0 / 1000 + TTL + WINDOW);
    expect(b.expires).toBe(T0 / 1000 + TTL + WINDOW * 2);
    // The use case builds the cookies: one custom policy for the root, bound to the viewer's
    // address, expiring with the playlist, verified here with the public key.
    for (const [r, ip] of [[a, '203.0.113.7'], [b, '198.51.100.9']] as const) {
      const values = Object.fromEntries((r.cookies ?? []).map((c) => [c.name, c.value]));
      const policy = verifiedCookiePolicy(values, s.pair.publicKey);
      expect(policy.statement.Resource).toBe('https://cdn.example/videos/v1/*');
      expect(policy.statement.Condition.IpAddress?.['AWS:SourceIp']).toBe(`${ip}/32`);
      expect(policy.dateLessThan).toBe(r.expires);
      for (const c of r.cookies ?? []) expect(c).toMatchObject({ path: '/videos/v1/', secure: true, httpOnly: true, sameSite: 'none' });
    }
    // One cookie signature per address and window; the body itself needs none.
    expect(stats(s).signatureMisses).toBe(2);
    await load(s, { clientIp: '203.0.113.7' });
    expect(stats(s).signatureMisses).toBe(2);
    const top = await load(s, { relPath: '' });
    expect(top.body).toContain('/videos/v1/media/720p/index.m3u8');
  });

  it('refuses a video whose root holds "*": the cookie policy <root>* would cover other prefixes', async () => {
    const s = setup('cookies');
    s.store.put('videos/a*/index.m3u8', media(2));
    const video = { id: 'star', playlistKey: 'videos/a*/index.m3u8', rootPrefix: 'videos/a*/' };
    await expect(loadSignedPlaylist({ video, deps: s.deps })).rejects.toMatchObject({ status: 500 });
  });
});

describe('through the app', () => {
  it('serves the shared response compressed per Accept-Encoding, with Vary', async () => {
    const s = setup('wildcard', { segments: 200 });
    const catalog = openCatalog('sqlite::memory:', { clock: Date.now });
    await catalog.upsert({ id: 'v1', playlistKey: VIDEO.playlistKey, title: 'V1', rootPrefix: VIDEO.rootPrefix });
    const app = createApp({
      catalog,
      source: s.deps.source,
      signingKey: s.key,
      clock: () => s.clock.now,
      logger: pino({ level: 'silent' }),
      config: testConfig({
        cdnBaseUrl: CDN,
        signing: { mode: 'wildcard', ttlSeconds: TTL, expiryMarginSeconds: MARGIN, windowSeconds: WINDOW, maxTtlSeconds: MAX_TTL },
        s3: { maxPlaylistBytes: 1 << 22 },
      }),
      playbackCache: s.deps.playbackCache!,
    });
    try {
      const plain = await request(app).get('/videos/v1/media/720p/index.m3u8').set('Accept-Encoding', 'identity').expect(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers.vary).toMatch(/Accept-Encoding/);
      await s.deps.playbackCache!.idle();
      // Raw bytes: supertest would decode the body itself.
      const server = app.listen(0, '127.0.0.1');
      await new Promise<void>((r) => server.once('listening', () => r()));
      const port = (server.address() as AddressInfo).port;
      const fetchRaw = (acceptEncoding: string) =>
        new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
          httpGet({ host: '127.0.0.1', port, path: '/videos/v1/media/720p/index.m3u8', headers: { 'Accept-Encoding': acceptEncoding } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          }).on('error', reject);
        });
      try {
        const br = await fetchRaw('gzip, br');
        expect(br.headers['content-encoding']).toBe('br');
        expect(br.headers['content-type']).toBe('application/vnd.apple.mpegurl');
        expect(br.headers['cache-control']).toBe('private, no-store');
        expect(br.headers.vary).toMatch(/Accept-Encoding/);
        expect(brotliDecompressSync(br.body).toString('utf8')).toBe(plain.text);
        const gz = await fetchRaw('gzip');
        expect(gz.headers['content-encoding']).toBe('gzip');
        expect(gunzipSync(gz.body).toString('utf8')).toBe(plain.text);
      } finally {
        await new Promise<void>((r) => server.close(() => r()));
      }
    } finally {
      await catalog.close();
    }
  });
});
