// The next signature window prepared ahead (playback-cache.ts `prepare`, load-signed-playlist.ts
// `nextWindowJob`): with an injected clock and hand-driven timers, a playlist requested in the
// current window has its next window's signatures (and shared response) made before the boundary,
// so the first request after it signs nothing; signatures are checked with the public key.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SourceError, type PlaylistSource } from '../../src/adapters/s3-playlist-source.js';
import { loadSigningKey } from '../../src/core/cloudfront/signer.js';
import { loadSignedPlaylist, type PlaybackDeps } from '../../src/playback/load-signed-playlist.js';
import { createPlaybackCache, type PlaybackCache, type PrepTimers } from '../../src/playback/playback-cache.js';
import { verifiedUrlPolicy } from '../helpers/cloudfront.js';
import { rsaKeyPair } from '../helpers/keys.js';

const CDN = 'https://cdn.example';
const WINDOW = 300;
/** A multiple of WINDOW: the boundary the tests cross. */
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const VIDEO = { id: 'v1', playlistKey: 'videos/v1/master.m3u8', rootPrefix: 'videos/v1/' };
const REL = '720p/index.m3u8';

function media(segments: number): string {
  const lines = ['#EXTM3U', '#EXT-X-TARGETDURATION:6', '#EXT-X-PLAYLIST-TYPE:VOD'];
  for (let i = 0; i < segments; i++) lines.push('#EXTINF:6.0,', `seg_${i}.ts`);
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

function source(objects: Record<string, string>): PlaylistSource {
  return {
    get(key) {
      const text = objects[key];
      if (text === undefined) return Promise.reject(new SourceError('NotFound', key, 'playlist not found in storage'));
      const body = Buffer.from(text, 'utf8');
      return Promise.resolve({ key, body, etag: `"${createHash('md5').update(body).digest('hex')}"` });
    },
    ping: () => Promise.resolve(),
  };
}

/** Timers driven by the test: intervals recorded (never fire by themselves), immediates run at once in order. */
function manualTimers(): PrepTimers & { intervals: Set<number>; immediates: Set<number> } {
  let n = 0;
  const intervals = new Set<number>();
  const immediates = new Set<number>();
  return {
    intervals,
    immediates,
    setInterval: () => {
      intervals.add(++n);
      return n;
    },
    clearInterval: (h) => intervals.delete(h as number),
    setImmediate: (fn) => {
      const id = ++n;
      immediates.add(id);
      queueMicrotask(() => {
        if (immediates.delete(id)) fn();
      });
      return id;
    },
    clearImmediate: (h) => immediates.delete(h as number),
  };
}

function setup(mode: 'url' | 'wildcard', o: { prepare?: boolean } = {}) {
  const clock = { now: T0 - 120_000 };
  const timers = manualTimers();
  const pair = rsaKeyPair();
  const cache: PlaybackCache = createPlaybackCache({ maxBytes: 64 << 20, compress: false, ...(o.prepare === false ? {} : { prepare: { clock: () => clock.now, timers } }) });
  const deps: PlaybackDeps = {
    source: source({ [VIDEO.playlistKey]: `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000000\n${REL}\n`, [`${VIDEO.rootPrefix}${REL}`]: media(40) }),
    signingKey: loadSigningKey({ keyPairId: 'KTEST', privateKeyPem: pair.privateKeyPem }),
    clock: () => clock.now,
    config: {
      cdnBaseUrl: CDN,
      signing: { mode, ttlSeconds: 3600, expiryMarginSeconds: 300, windowSeconds: WINDOW, maxTtlSeconds: 604_800 },
      s3: { maxPlaylistBytes: 1 << 20 },
      foreignUris: 'pass',
      responseMaxBytes: 16 << 20,
    },
    playbackCache: cache,
  };
  const call = (clientIp?: string) => loadSignedPlaylist({ video: VIDEO, relPath: REL, deps, ...(clientIp ? { clientIp } : {}) });
  return { clock, timers, cache, deps, pair, call };
}

function firstSegmentUrl(body: string): string {
  const line = body.split('\n').find((l) => l.startsWith('https://'));
  if (!line) throw new Error('no segment URL in the body');
  return line;
}

describe('next signature window prepared ahead', () => {
  it('when a url-mode playlist was requested in the window, then the first request after the rollover signs nothing and gets the prepared shared response', async () => {
    const { clock, cache, pair, call } = setup('url');
    const before = await call();
    expect(before.expires).toBe(T0 / 1000 + 3600);
    // Within the lead (half the window, at most 30 s) of the boundary: the check prepares.
    clock.now = T0 - 10_000;
    await cache.prepareDue();
    const prepared = cache.stats();
    expect(prepared.signatureMisses).toBe(80); // 40 for the first window, 40 prepared for the next
    clock.now = T0 + 1000;
    const after = await call();
    const stats = cache.stats();
    expect(after.expires).toBe(T0 / 1000 + 3600 + WINDOW);
    expect(stats.signatureMisses - prepared.signatureMisses).toBe(0);
    expect(stats.renderedMisses - prepared.renderedMisses).toBe(0);
    expect(after.shared).toBe(true);
    // The prepared signatures are valid ones, for the new expiry.
    const policy = verifiedUrlPolicy(firstSegmentUrl(after.body), pair.publicKey);
    expect(policy.dateLessThan).toBe(after.expires);
  });

  it('when the window has not come close to its end, then nothing is prepared yet; without the check the first request after the rollover pays every signature', async () => {
    const { clock, cache, call } = setup('url');
    await call();
    clock.now = T0 - 60_000; // 60 s before the boundary: outside the 30 s lead
    await cache.prepareDue();
    expect(cache.stats().signatureMisses).toBe(40);
    clock.now = T0 + 1000;
    await call();
    expect(cache.stats().signatureMisses).toBe(80);
  });

  it('when IP-bound (wildcard), then each address requested in the window has its next policy signed ahead', async () => {
    const { clock, cache, call } = setup('wildcard');
    await call('203.0.113.1');
    await call('203.0.113.2');
    expect(cache.stats().signatureMisses).toBe(2);
    clock.now = T0 - 5_000;
    await cache.prepareDue();
    expect(cache.stats().signatureMisses).toBe(4);
    clock.now = T0 + 1000;
    const a = await call('203.0.113.1');
    const b = await call('203.0.113.2');
    expect(cache.stats().signatureMisses).toBe(4);
    expect(a.body).toContain('Policy=');
    expect(a.body).not.toBe(b.body);
    // A third address, never seen before, signs for itself.
    await call('203.0.113.3');
    expect(cache.stats().signatureMisses).toBe(5);
  });

  it('when a playlist was not requested in the current window, then it is no longer prepared', async () => {
    const { clock, cache, call } = setup('wildcard');
    await call();
    clock.now = T0 - 5_000;
    await cache.prepareDue();
    expect(cache.stats().signatureMisses).toBe(2);
    // Nobody asks during the next window: its successor is not prepared.
    clock.now = T0 + WINDOW * 1000 - 5_000;
    await cache.prepareDue();
    expect(cache.stats().signatureMisses).toBe(2);
  });

  it('when closed, then its timers are cleared and nothing more is prepared', async () => {
    const { clock, cache, timers, call } = setup('url');
    await call();
    expect(timers.intervals.size).toBe(1);
    cache.close();
    expect(timers.intervals.size).toBe(0);
    clock.now = T0 - 10_000;
    await cache.prepareDue();
    expect(cache.stats().signatureMisses).toBe(40);
    expect(timers.immediates.size).toBe(0);
  });

  it('when the cache has no prepare options, then no timer is created', async () => {
    const { cache, timers, call } = setup('url', { prepare: false });
    await call();
    expect(timers.intervals.size).toBe(0);
    await cache.prepareDue();
    expect(cache.stats().signatureMisses).toBe(40);
  });
});
