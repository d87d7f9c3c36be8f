// Delivery through createApp: CloudFront signed cookies (SIGNING_MODE=cookies), IP
// binding with the client address from X-Forwarded-For only via trusted proxies, the per-client
// rate limit on playlists, and the security headers on every response.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createApp } from '../../src/http/app.js';
import type { SigningMode } from '../../src/config.js';
import { clientKey } from '../../src/http/rate-limit.js';
import { createPlaybackCache, type PlaybackCache } from '../../src/playback/playback-cache.js';
import { loadSigningKey } from '../../src/core/cloudfront/signer.js';
import { setCookies, startPlaybackFixture, testApp, testConfig, type PlaybackFixture } from '../helpers/app.js';
import { decodePolicy, policyVerifies, signedCookiePolicy, verifiedUrlPolicy, type PolicyStatement } from '../helpers/cloudfront.js';
import { ecKeyPair, rsaKeyPair } from '../helpers/keys.js';

const NOW_MS = Date.UTC(2030, 0, 1, 12, 0, 0);
const NOW = NOW_MS / 1000;
const MEDIA = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-KEY:METHOD=AES-128,URI="../keys/k.key"\n#EXTINF:4.0,\nseg_0.ts\n#EXTINF:4.0,\nseg_1.ts\n#EXT-X-ENDLIST\n';
const MASTER = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=200000\n360p/index.m3u8\n';

const { privateKeyPem } = rsaKeyPair();
const signingKey = loadSigningKey({ keyPairId: 'KDELIVERY', privateKeyPem, hash: 'SHA256' });

let fx: PlaybackFixture;

beforeAll(async () => {
  fx = await startPlaybackFixture({
    objects: { 'videos/v1/master.m3u8': MASTER, 'videos/v1/360p/index.m3u8': MEDIA },
    videos: [{ id: 'v1', playlistKey: 'videos/v1/master.m3u8', title: 'One' }],
  });
});

afterAll(async () => {
  await fx?.close();
});

interface Options {
  cdn?: string;
  mode?: SigningMode;
  cdnCookieDomain?: string;
  bindIp?: boolean;
  trustProxy?: string | false;
  rateLimitPerMinute?: number;
  clock?: () => number;
}

function app(o: Options = {}): ReturnType<typeof createApp> {
  return testApp({
    catalog: fx.catalog,
    source: fx.source,
    signingKey,
    clock: o.clock ?? (() => NOW_MS),
    config: testConfig({
      cdnBaseUrl: o.cdn ?? 'https://media.example.com',
      signing: { keyPairId: 'KDELIVERY', privateKeyPem, hash: 'SHA256', mode: o.mode ?? 'wildcard' },
      trustProxy: o.trustProxy ?? false,
      viewerAuth: { mode: 'none', warn: false },
      ...(o.cdnCookieDomain ? { cdnCookieDomain: o.cdnCookieDomain } : {}),
      ...(o.bindIp ? { bindIp: true } : {}),
      ...(o.rateLimitPerMinute === undefined ? {} : { rateLimitPerMinute: o.rateLimitPerMinute }),
    }),
  });
}

function cookiesOf(res: request.Response): Map<string, { value: string; attrs: string[] }> {
  const out = new Map<string, { value: string; attrs: string[] }>();
  for (const c of setCookies(res)) {
    const [pair = '', ...attrs] = c.split(/;\s*/);
    const eq = pair.indexOf('=');
    out.set(pair.slice(0, eq), { value: pair.slice(eq + 1), attrs });
  }
  return out;
}

/** The policy statement of the first signed URL in a wildcard-mode playlist, its signature verified. */
function urlStatement(text: string): PolicyStatement {
  const line = text.split('\n').find((l) => l.includes('Policy='))!;
  return verifiedUrlPolicy(line.replace(/^.*URI="([^"]+)".*$/, '$1'), rsaKeyPair().publicKey).statement;
}

describe('SIGNING_MODE=cookies', () => {
  it('the top playlist sets CloudFront-* cookies for the video root and lists no signatures', async () => {
    const res = await request(app({ mode: 'cookies', cdnCookieDomain: '.example.com' })).get('/videos/v1/playlist.m3u8').set('Host', 'watch.example.com').expect(200);
    const cookies = cookiesOf(res);
    expect([...cookies.keys()].sort()).toEqual(['CloudFront-Hash-Algorithm', 'CloudFront-Key-Pair-Id', 'CloudFront-Policy', 'CloudFront-Signature']);
    for (const { attrs } of cookies.values()) {
      expect(attrs).toContain('Domain=.example.com');
      expect(attrs).toContain('Path=/videos/v1/');
      expect(attrs).toContain('Secure');
      expect(attrs).toContain('HttpOnly');
      expect(attrs).toContain('SameSite=None');
    }
    expect(cookies.get('CloudFront-Key-Pair-Id')!.value).toBe('KDELIVERY');
    expect(cookies.get('CloudFront-Hash-Algorithm')!.value).toBe('SHA256');
    const policyB64 = cookies.get('CloudFront-Policy')!.value;
    const policy = decodePolicy(policyB64);
    expect(policy.Statement[0]!.Resource).toBe('https://media.example.com/videos/v1/*');
    const expires = policy.Statement[0]!.Condition.DateLessThan['AWS:EpochTime'];
    expect(expires).toBeGreaterThanOrEqual(NOW + 300);
    expect(policy.Statement[0]!.Condition.IpAddress).toBeUndefined();
    // The signature verifies the policy bytes with the public key.
    const signed = signedCookiePolicy(new Map([...cookies].map(([name, c]) => [name, c.value])));
    expect(signed).toMatchObject({ kind: 'custom', hash: 'SHA256', keyPairId: 'KDELIVERY', policyText: policyB64 });
    expect(policyVerifies(signed, rsaKeyPair().publicKey)).toBe(true);
    expect(policyVerifies(signed, ecKeyPair().publicKey)).toBe(false);
    // The playlist itself: routes for nested playlists, no CloudFront query anywhere.
    expect(res.text).toContain('/videos/v1/media/360p/index.m3u8');
    expect(res.text).not.toMatch(/Signature=|Policy=|Key-Pair-Id=/);
  });

  it('viewers of one window share one cookie signature (an ECDSA key would sign anew every time)', async () => {
    const ecKey = loadSigningKey({ keyPairId: 'KDELIVERY', privateKeyPem: ecKeyPair().privateKeyPem });
    const build = (cache?: PlaybackCache) =>
      testApp({
        catalog: fx.catalog,
        source: fx.source,
        signingKey: ecKey,
        clock: () => NOW_MS,
        ...(cache ? { playbackCache: cache } : {}),
        config: testConfig({
          cdnBaseUrl: 'https://media.example.com',
          signing: { keyPairId: 'KDELIVERY', privateKeyPem, mode: 'cookies' },
          viewerAuth: { mode: 'none', warn: false },
          cdnCookieDomain: '.example.com',
        }),
      });
    const signatureOf = async (a: ReturnType<typeof createApp>) =>
      cookiesOf(await request(a).get('/videos/v1/playlist.m3u8').set('Host', 'watch.example.com').expect(200)).get('CloudFront-Signature')!.value;
    const cached = build(createPlaybackCache({ maxBytes: 1 << 20 }));
    expect(await signatureOf(cached)).toBe(await signatureOf(cached));
    // Without the cache every request signs again, and ECDSA signatures differ: the check above can fail.
    const uncached = build();
    expect(await signatureOf(uncached)).not.toBe(await signatureOf(uncached));
  });

  it('nested playlists set the cookies too and carry plain CDN URLs', async () => {
    const res = await request(app({ mode: 'cookies', cdnCookieDomain: '.example.com' })).get('/videos/v1/media/360p/index.m3u8').expect(200);
    expect(cookiesOf(res).has('CloudFront-Signature')).toBe(true);
    expect(res.text).toContain('https://media.example.com/videos/v1/360p/seg_0.ts\n');
    expect(res.text).toContain('URI="https://media.example.com/videos/v1/keys/k.key"');
    expect(res.text).not.toMatch(/Signature=|Policy=|Expires=/);
  });

  it('on an http CDN on loopback (the local edge): no Domain, not Secure, SameSite=Lax', async () => {
    const res = await request(app({ mode: 'cookies', cdn: 'http://127.0.0.1:9999' })).get('/videos/v1/playlist.m3u8').expect(200);
    const { attrs } = cookiesOf(res).get('CloudFront-Policy')!;
    expect(attrs.some((a) => a.startsWith('Domain='))).toBe(false);
    expect(attrs).not.toContain('Secure');
    expect(attrs).toContain('SameSite=Lax');
    expect(attrs).toContain('Path=/videos/v1/');
    expect(decodePolicy(cookiesOf(res).get('CloudFront-Policy')!.value).Statement[0]!.Resource).toBe('http://127.0.0.1:9999/videos/v1/*');
  });

  it('the player page tells the player to send credentials', async () => {
    const page = await request(app({ mode: 'cookies', cdnCookieDomain: '.example.com' })).get('/videos/v1').expect(200);
    expect(page.text).toContain('data-signing-mode="cookies"');
    expect(cookiesOf(page).size).toBe(0);
  });

  it('with IP binding, the cookie policy carries the viewer address', async () => {
    const res = await request(app({ mode: 'cookies', cdnCookieDomain: '.example.com', bindIp: true, trustProxy: 'loopback' }))
      .get('/videos/v1/playlist.m3u8')
      .set('X-Forwarded-For', '198.51.100.23')
      .expect(200);
    expect(decodePolicy(cookiesOf(res).get('CloudFront-Policy')!.value).Statement[0]!.Condition.IpAddress).toEqual({ 'AWS:SourceIp': '198.51.100.23/32' });
  });
});

describe('SIGNED_URL_BIND_IP and X-Forwarded-For', () => {
  it('without trusted proxies, a spoofed X-Forwarded-For is ignored: the signature binds the peer address', async () => {
    const res = await request(app({ bindIp: true })).get('/videos/v1/media/360p/index.m3u8').set('X-Forwarded-For', '203.0.113.9').expect(200);
    const ip = urlStatement(res.text).Condition.IpAddress!['AWS:SourceIp'];
    expect(ip).toMatch(/^(127\.0\.0\.1\/32|::1\/128)$/);
  });

  it('from a trusted proxy, the client address in X-Forwarded-For is honoured', async () => {
    const res = await request(app({ bindIp: true, trustProxy: 'loopback' })).get('/videos/v1/media/360p/index.m3u8').set('X-Forwarded-For', '203.0.113.9').expect(200);
    expect(urlStatement(res.text).Condition.IpAddress).toEqual({ 'AWS:SourceIp': '203.0.113.9/32' });
  });

  it('a client prepending a fake hop through a trusted proxy only gets its real address', async () => {
    // The proxy appends the address it saw; only the right-most untrusted entry counts.
    const res = await request(app({ bindIp: true, trustProxy: 'loopback' }))
      .get('/videos/v1/media/360p/index.m3u8')
      .set('X-Forwarded-For', '10.9.9.9, 203.0.113.9')
      .expect(200);
    expect(urlStatement(res.text).Condition.IpAddress).toEqual({ 'AWS:SourceIp': '203.0.113.9/32' });
  });

  it('IPv6 clients are bound to their address', async () => {
    const res = await request(app({ bindIp: true, trustProxy: 'loopback' })).get('/videos/v1/media/360p/index.m3u8').set('X-Forwarded-For', '2001:db8::7').expect(200);
    expect(urlStatement(res.text).Condition.IpAddress).toEqual({ 'AWS:SourceIp': '2001:db8::7/128' });
  });

  it('off by default: no IP condition', async () => {
    const res = await request(app()).get('/videos/v1/media/360p/index.m3u8').expect(200);
    expect(urlStatement(res.text).Condition.IpAddress).toBeUndefined();
  });
});

describe('rate limit on playlist routes', () => {
  it('answers 429 with Retry-After past the per-minute budget, and refills with time', async () => {
    let now = NOW_MS;
    const a = app({ rateLimitPerMinute: 3, clock: () => now });
    for (let i = 0; i < 3; i++) await request(a).get('/videos/v1/playlist.m3u8').expect(200);
    const limited = await request(a).get('/videos/v1/media/360p/index.m3u8').expect(429);
    expect(limited.headers['retry-after']).toBe('20');
    expect(limited.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(limited.text).toMatch(/^429 too many playlist requests/);
    // Pages are not counted.
    await request(a).get('/videos/v1').expect(200);
    now += 20_000;
    await request(a).get('/videos/v1/playlist.m3u8').expect(200);
    await request(a).get('/videos/v1/playlist.m3u8').expect(429);
  });

  it('counts per client: X-Forwarded-For from a trusted proxy separates clients; from anyone else it does not', async () => {
    const trusted = app({ rateLimitPerMinute: 1, trustProxy: 'loopback' });
    await request(trusted).get('/videos/v1/playlist.m3u8').set('X-Forwarded-For', '203.0.113.1').expect(200);
    await request(trusted).get('/videos/v1/playlist.m3u8').set('X-Forwarded-For', '203.0.113.1').expect(429);
    await request(trusted).get('/videos/v1/playlist.m3u8').set('X-Forwarded-For', '203.0.113.2').expect(200);
    const untrusted = app({ rateLimitPerMinute: 1 });
    await request(untrusted).get('/videos/v1/playlist.m3u8').set('X-Forwarded-For', '203.0.113.1').expect(200);
    // A fresh spoofed address does not buy a fresh budget.
    await request(untrusted).get('/videos/v1/playlist.m3u8').set('X-Forwarded-For', '203.0.113.99').expect(429);
  });

  it('0 turns it off', async () => {
    const a = app({ rateLimitPerMinute: 0 });
    for (let i = 0; i < 5; i++) await request(a).get('/videos/v1/playlist.m3u8').expect(200);
  });

  it('keys IPv4 as is, IPv4-mapped IPv6 as IPv4, and IPv6 by /64', () => {
    expect(clientKey('203.0.113.5')).toBe('203.0.113.5');
    expect(clientKey('::ffff:203.0.113.5')).toBe('203.0.113.5');
    expect(clientKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('2001:db8::1')).toBe(clientKey('2001:db8:0:0:ffff::2'));
    expect(clientKey(undefined)).toBe('unknown');
  });
});

describe('security headers', () => {
  it('every response: nosniff, no referrer, no framing, COOP same-origin', async () => {
    const a = app();
    for (const path of ['/videos', '/videos/v1', '/videos/v1/playlist.m3u8', '/healthz', '/static/player.js', '/nope']) {
      const res = await request(a).get(path);
      expect(res.headers['x-content-type-options'], path).toBe('nosniff');
      expect(res.headers['referrer-policy'], path).toBe('no-referrer');
      expect(res.headers['cross-origin-opener-policy'], path).toBe('same-origin');
      expect(res.headers['x-frame-options'], path).toBe('DENY');
      expect(res.headers['content-security-policy'], path).toContain("frame-ancestors 'none'");
    }
  });

  it('pages get the player CSP; other responses a deny-all one', async () => {
    const a = app();
    expect((await request(a).get('/videos/v1')).headers['content-security-policy']).toContain("script-src 'self'");
    expect((await request(a).get('/videos/v1/playlist.m3u8')).headers['content-security-policy']).toMatch(/^default-src 'none'/);
  });

  it('bounds request sizes: an oversized header is refused before any route runs', async () => {
    const res = await request(app()).get('/videos/v1/playlist.m3u8').set('Cookie', `x=${'a'.repeat(20_000)}`).catch((err: unknown) => err as { status?: number });
    expect(res.status).toBe(431);
  });
});
