// Viewer authorization through createApp: the built-in JWT check (header, `?token=` on the page,
// the per-video entitlement cookie), every refusal as a page, JSON or plain text, a pluggable
// `authorize`, and a JWKS key source served over local http.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { exportJWK, SignJWT } from 'jose';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps, Authorize, createApp } from '../../src/http/app.js';
import { loadSigningKey } from '../../src/core/cloudfront/signer.js';
import type { ViewerAuthConfig } from '../../src/adapters/viewer-tokens.js';
import { setCookies, startPlaybackFixture, testApp, testConfig, type PlaybackFixture } from '../helpers/app.js';
import { ecKeyPair, rsaKeyPair, testKeyPair } from '../helpers/keys.js';

const CDN = 'https://d111111abcdef8.cloudfront.net';
const NOW_MS = Date.UTC(2030, 0, 1, 12, 0, 0);
const NOW = NOW_MS / 1000;
const SECRET = 'integration-test-secret-32-bytes';
const KEY = new TextEncoder().encode(SECRET);
const rsa = rsaKeyPair();
const RSA_PUBLIC_PEM = rsa.publicKeyPem;

const MEDIA = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:4.0,\nseg_0.ts\n#EXT-X-ENDLIST\n';
const MASTER = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=200000\n360p/index.m3u8\n';

const { privateKeyPem } = ecKeyPair();
const signingKey = loadSigningKey({ keyPairId: 'KAUTHTEST', privateKeyPem });

let fx: PlaybackFixture;

beforeAll(async () => {
  fx = await startPlaybackFixture({
    objects: { 'videos/v1/master.m3u8': MASTER, 'videos/v1/360p/index.m3u8': MEDIA, 'videos/v2/index.m3u8': MEDIA },
    videos: [
      { id: 'v1', playlistKey: 'videos/v1/master.m3u8', title: 'Secret board meeting' },
      { id: 'v2', playlistKey: 'videos/v2/index.m3u8', title: 'Other video' },
    ],
  });
});

afterAll(async () => {
  await fx?.close();
});

interface AppOptions {
  viewerAuth?: ViewerAuthConfig;
  authorize?: Authorize;
  clock?: () => number;
  trustProxy?: string | false;
  logger?: AppDeps['logger'];
}

function app(o: AppOptions = {}): ReturnType<typeof createApp> {
  return testApp({
    catalog: fx.catalog,
    source: fx.source,
    signingKey,
    clock: o.clock ?? (() => NOW_MS),
    logger: o.logger,
    config: testConfig({
      cdnBaseUrl: CDN,
      signing: { keyPairId: 'KAUTHTEST', privateKeyPem },
      trustProxy: o.trustProxy ?? false,
      ...(o.viewerAuth ? { viewerAuth: o.viewerAuth } : {}),
    }),
    ...(o.authorize ? { authorize: o.authorize } : {}),
  });
}

const JWT: ViewerAuthConfig = { mode: 'jwt', key: { kind: 'secret', secret: SECRET }, clockSkewSeconds: 30 };

async function token(claims: { exp?: number; nbf?: number; aud?: string; iss?: string; sub?: string; videos?: string[] } = {}, key: Uint8Array = KEY): Promise<string> {
  const { exp = NOW + 600, ...rest } = claims;
  return new SignJWT({ ...rest }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(key);
}

function viewerCookie(res: request.Response): string | undefined {
  return setCookies(res).find((c) => c.startsWith('hlsgate_viewer='));
}

const cookieHeader = (t: string) => `hlsgate_viewer=${t}`;

describe('VIEWER_AUTH=jwt: no token', () => {
  it('the page answers 401 as an HTML page for a person', async () => {
    const res = await request(app({ viewerAuth: JWT })).get('/videos/v1').set('Accept', 'text/html').expect(401);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="hlsgate"');
    expect(res.text).toContain('<h1>Sign-in needed</h1>');
    expect(res.text).toContain('this video needs a viewing token');
    expect(res.text).not.toContain('Secret board meeting');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('the page answers 401 as JSON for a program', async () => {
    const res = await request(app({ viewerAuth: JWT })).get('/videos/v1').set('Accept', 'application/json').expect(401);
    expect(res.body).toEqual({ error: expect.stringContaining('needs a viewing token') as string, code: 'missing_token' });
  });

  it('the top and nested playlists answer 401 in plain text', async () => {
    const a = app({ viewerAuth: JWT });
    for (const path of ['/videos/v1/playlist.m3u8', '/videos/v1/media/360p/index.m3u8']) {
      const res = await request(a).get(path).expect(401);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.text).toMatch(/^401 this video needs a viewing token/);
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('the list page does not list titles (the host application is the catalog)', async () => {
    const res = await request(app({ viewerAuth: JWT })).get('/videos').expect(200);
    expect(res.text).not.toContain('Secret board meeting');
    expect(res.text).toContain('opened through links');
    // Without viewer authorization it lists them, as before.
    expect((await request(app()).get('/videos').expect(200)).text).toContain('Secret board meeting');
  });
});

describe('VIEWER_AUTH=jwt: the token on the page URL', () => {
  it('sets the entitlement cookie and redirects to the same URL without the token', async () => {
    const t = await token({ videos: ['v1'] });
    const res = await request(app({ viewerAuth: JWT })).get(`/videos/v1?t=30&token=${t}&x=1`).expect(303);
    expect(res.headers.location).toBe('/videos/v1?t=30&x=1');
    expect(res.headers['cache-control']).toBe('no-store');
    const cookie = viewerCookie(res)!;
    expect(cookie).toBeDefined();
    const attrs = cookie.split(/;\s*/);
    expect(attrs[0]).toBe(`hlsgate_viewer=${t}`);
    expect(attrs).toContain('Path=/videos/v1');
    expect(attrs).toContain('HttpOnly');
    expect(attrs).toContain('SameSite=Lax');
    expect(attrs).toContain('Max-Age=600');
    // Plain http on loopback (development): not Secure, or the browser would never send it back.
    expect(attrs).not.toContain('Secure');
  });

  it('marks the cookie Secure for any other host, and behind a trusted TLS proxy', async () => {
    const t = await token();
    const public1 = await request(app({ viewerAuth: JWT })).get(`/videos/v1?token=${t}`).set('Host', 'watch.example.com').expect(303);
    expect(viewerCookie(public1)).toMatch(/; Secure/);
    const proxied = await request(app({ viewerAuth: JWT, trustProxy: 'loopback' }))
      .get(`/videos/v1?token=${t}`)
      .set('X-Forwarded-Proto', 'https')
      .expect(303);
    expect(viewerCookie(proxied)).toMatch(/; Secure/);
  });

  it('with the cookie, the page and both playlists play without a token anywhere in their URLs', async () => {
    const a = app({ viewerAuth: JWT });
    const t = await token({ videos: ['v1'] });
    const page = await request(a).get('/videos/v1').set('Cookie', cookieHeader(t)).expect(200);
    expect(page.text).toContain('data-playlist-url="/videos/v1/playlist.m3u8"');
    expect(viewerCookie(page)).toBeUndefined();
    const top = await request(a).get('/videos/v1/playlist.m3u8').set('Cookie', cookieHeader(t)).expect(200);
    expect(top.text).toContain('/videos/v1/media/360p/index.m3u8');
    expect(top.text).not.toContain('token');
    const nested = await request(a).get('/videos/v1/media/360p/index.m3u8').set('Cookie', cookieHeader(t)).expect(200);
    expect(nested.text).toMatch(/^https:\/\/d111111abcdef8\.cloudfront\.net\/videos\/v1\/360p\/seg_0\.ts\?Policy=/m);
  });

  it('drops the token however its name is percent-encoded (no redirect loop, no token left in the address bar)', async () => {
    const t = await token({ videos: ['v1'] });
    const res = await request(app({ viewerAuth: JWT })).get(`/videos/v1?%74oken=${t}&x=1`).expect(303);
    expect(res.headers.location).toBe('/videos/v1?x=1');
    expect(viewerCookie(res)).toBeDefined();
  });

  it('an invalid token on the page URL answers 401 and sets no cookie', async () => {
    const res = await request(app({ viewerAuth: JWT })).get('/videos/v1?token=not.a.token').set('Accept', 'text/html').expect(401);
    expect(viewerCookie(res)).toBeUndefined();
    expect(res.text).toContain('the viewing token is not valid');
  });

  it('playlists never read ?token= (tokens do not belong in playlist URLs)', async () => {
    const t = await token();
    await request(app({ viewerAuth: JWT })).get(`/videos/v1/playlist.m3u8?token=${t}`).expect(401);
  });
});

describe('VIEWER_AUTH=jwt: tokens that expire far in the future', () => {
  // Browsers keep a cookie at most 400 days; a token valid for longer gets a cookie of that life.
  // Before the lifetime was clamped, an `exp` beyond JavaScript's dates (8.64e15 ms) made the
  // cookie's Expires an invalid Date, cookie.serialize threw, and the page answered 500.
  const DAYS_400 = 400 * 86_400;
  it.each<[string, number, number]>([
    ['in 10 minutes', 600, NOW + 600],
    ['in exactly 400 days', DAYS_400, NOW + DAYS_400],
    ['in 401 days', DAYS_400, NOW + DAYS_400 + 86_400],
    ['in the year 2286 (1e10)', DAYS_400, 1e10],
    ['beyond JavaScript dates (1e13)', DAYS_400, 1e13],
    ['the largest safe integer', DAYS_400, Number.MAX_SAFE_INTEGER],
  ])('exp %s: the page answers, with a cookie of Max-Age %i s that opens the playlists', async (_what, maxAge, exp) => {
    const a = app({ viewerAuth: JWT });
    const t = await token({ exp, videos: ['v1'] });
    for (const res of [
      await request(a).get(`/videos/v1?token=${t}`).expect(303),
      await request(a).get('/videos/v1').set('Authorization', `Bearer ${t}`).expect(200),
    ]) {
      const attrs = viewerCookie(res)!.split(/;\s*/);
      expect(attrs[0]).toBe(`hlsgate_viewer=${t}`);
      expect(attrs).toContain(`Max-Age=${maxAge}`);
      expect(attrs).toContain(`Expires=${new Date(NOW_MS + maxAge * 1000).toUTCString()}`);
    }
    await request(a).get('/videos/v1/playlist.m3u8').set('Cookie', cookieHeader(t)).expect(200);
  });
});

describe('VIEWER_AUTH=jwt: Authorization: Bearer', () => {
  it('opens the page directly (no redirect) and sets the cookie for the playlists', async () => {
    const t = await token();
    const res = await request(app({ viewerAuth: JWT })).get('/videos/v1').set('Authorization', `Bearer ${t}`).expect(200);
    expect(viewerCookie(res)).toMatch(new RegExp(`^hlsgate_viewer=${t.replace(/\./g, '\\.')};`));
  });

  it('opens the playlists (native players, API clients)', async () => {
    const t = await token();
    const res = await request(app({ viewerAuth: JWT })).get('/videos/v2/playlist.m3u8').set('Authorization', `Bearer ${t}`).expect(200);
    expect(res.headers['content-type']).toBe('application/vnd.apple.mpegurl');
  });
});

describe('VIEWER_AUTH=jwt: refusals', () => {
  it('expired: 401 token_expired, and the dead cookie is cleared', async () => {
    const t = await token({ exp: NOW - 120 });
    const a = app({ viewerAuth: JWT });
    const res = await request(a).get('/videos/v1/playlist.m3u8').set('Cookie', cookieHeader(t)).expect(401);
    expect(res.text).toMatch(/^401 the viewing token has expired/);
    expect(viewerCookie(res)).toMatch(/^hlsgate_viewer=; Path=\/videos\/v1; Expires=Thu, 01 Jan 1970/);
    const json = await request(a).get('/videos/v1').set('Cookie', cookieHeader(t)).set('Accept', 'application/json').expect(401);
    expect(json.body.code).toBe('token_expired');
  });

  it('expires while watching: the same cookie works until exp (+ skew), then stops', async () => {
    let now = NOW_MS;
    const a = app({ viewerAuth: JWT, clock: () => now });
    const t = await token({ exp: NOW + 60 });
    await request(a).get('/videos/v2/playlist.m3u8').set('Cookie', cookieHeader(t)).expect(200);
    now += 89_000;
    await request(a).get('/videos/v2/playlist.m3u8').set('Cookie', cookieHeader(t)).expect(200);
    now += 2_000;
    await request(a).get('/videos/v2/playlist.m3u8').set('Cookie', cookieHeader(t)).expect(401);
  });

  it('not yet valid: 401 token_not_yet_valid', async () => {
    const res = await request(app({ viewerAuth: JWT })).get('/videos/v1').set('Authorization', `Bearer ${await token({ nbf: NOW + 300 })}`).set('Accept', 'application/json').expect(401);
    expect(res.body.code).toBe('token_not_yet_valid');
  });

  it('wrong audience and wrong issuer: 401', async () => {
    const a = app({ viewerAuth: { ...JWT, audience: 'hlsgate', issuer: 'https://app.example.com' } });
    const ok = await token({ aud: 'hlsgate', iss: 'https://app.example.com' });
    await request(a).get('/videos/v1/playlist.m3u8').set('Authorization', `Bearer ${ok}`).expect(200);
    const aud = await request(a).get('/videos/v1/playlist.m3u8').set('Authorization', `Bearer ${await token({ aud: 'billing', iss: 'https://app.example.com' })}`).expect(401);
    expect(aud.text).toContain('another audience');
    const iss = await request(a).get('/videos/v1/playlist.m3u8').set('Authorization', `Bearer ${await token({ aud: 'hlsgate', iss: 'https://evil.example' })}`).expect(401);
    expect(iss.text).toContain('another issuer');
  });

  it('wrong video: 403 as a page, JSON and plain text', async () => {
    const a = app({ viewerAuth: JWT });
    const t = await token({ videos: ['v2'] });
    const page = await request(a).get(`/videos/v1?token=${t}`).set('Accept', 'text/html').expect(403);
    expect(page.text).toContain('<h1>Not included in your access</h1>');
    expect(page.text).toContain('your viewing token does not open this video');
    expect(page.headers['www-authenticate']).toBeUndefined();
    expect(viewerCookie(page)).toBeUndefined();
    const json = await request(a).get('/videos/v1').set('Authorization', `Bearer ${t}`).set('Accept', 'application/json').expect(403);
    expect(json.body).toEqual({ error: 'your viewing token does not open this video', code: 'not_entitled' });
    const playlist = await request(a).get('/videos/v1/media/360p/index.m3u8').set('Cookie', cookieHeader(t)).expect(403);
    expect(playlist.text).toBe('403 your viewing token does not open this video\n');
  });

  it('tampered payload: 401', async () => {
    const t = await token({ videos: ['v2'] });
    const [h, , s] = t.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ exp: NOW + 600, videos: ['v1'] })).toString('base64url')}.${s}`;
    await request(app({ viewerAuth: JWT })).get('/videos/v1/playlist.m3u8').set('Cookie', cookieHeader(forged)).expect(401);
  });

  it('alg none: 401', async () => {
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ exp: NOW + 600 })).toString('base64url')}.`;
    await request(app({ viewerAuth: JWT })).get('/videos/v1/playlist.m3u8').set('Authorization', `Bearer ${none}`).expect(401);
  });

  it('alg confusion: with an RS256 public key configured, an HS256 token keyed with that public key is refused', async () => {
    const a = app({ viewerAuth: { mode: 'jwt', key: { kind: 'publicKey', pem: RSA_PUBLIC_PEM }, clockSkewSeconds: 30 } });
    const rs = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setExpirationTime(NOW + 600).sign(rsa.privateKey);
    await request(a).get('/videos/v1/playlist.m3u8').set('Authorization', `Bearer ${rs}`).expect(200);
    const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
    const payload = Buffer.from(JSON.stringify({ exp: NOW + 600 })).toString('base64url');
    const sig = createHmac('sha256', RSA_PUBLIC_PEM).update(`${header}.${payload}`).digest('base64url');
    const res = await request(a).get('/videos/v1/playlist.m3u8').set('Authorization', `Bearer ${header}.${payload}.${sig}`).expect(401);
    expect(res.text).toContain('algorithm');
  });

  it('missing cookie after the page was opened: the playlists answer 401', async () => {
    const a = app({ viewerAuth: JWT });
    const t = await token();
    await request(a).get('/videos/v1').set('Cookie', cookieHeader(t)).expect(200);
    await request(a).get('/videos/v1/playlist.m3u8').expect(401);
    // Another cookie name does not count.
    await request(a).get('/videos/v1/playlist.m3u8').set('Cookie', `session=${t}`).expect(401);
  });

  it('unknown videos still answer 404', async () => {
    await request(app({ viewerAuth: JWT })).get('/videos/nope/playlist.m3u8').expect(404);
  });
});

describe('JWKS key source over local http', () => {
  let server: Server;
  let url: string;
  let up = true;

  beforeAll(async () => {
    const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256' };
    server = createServer((_req, res) => {
      if (!up) {
        res.statusCode = 503;
        res.end();
        return;
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('accepts tokens signed by a key in the set and refuses others', async () => {
    const a = app({ viewerAuth: { mode: 'jwt', key: { kind: 'jwks', url }, clockSkewSeconds: 30 } });
    const good = await new SignJWT({ videos: ['v1'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setExpirationTime(NOW + 600).sign(rsa.privateKey);
    await request(a).get('/videos/v1/playlist.m3u8').set('Authorization', `Bearer ${good}`).expect(200);
    await request(a).get('/videos/v2/playlist.m3u8').set('Authorization', `Bearer ${good}`).expect(403);
    const other = testKeyPair('rsa', 1);
    const bad = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setExpirationTime(NOW + 600).sign(other.privateKey);
    await request(a).get('/videos/v1/playlist.m3u8').set('Authorization', `Bearer ${bad}`).expect(401);
  });

  it('answers 503 (not 401) when the key set cannot be fetched', async () => {
    up = false;
    try {
      const a = app({ viewerAuth: { mode: 'jwt', key: { kind: 'jwks', url }, clockSkewSeconds: 30 } });
      const t = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setExpirationTime(NOW + 600).sign(rsa.privateKey);
      const res = await request(a).get('/videos/v1/playlist.m3u8').set('Authorization', `Bearer ${t}`).expect(503);
      expect(res.text).toMatch(/^503 viewer tokens cannot be checked right now/);
    } finally {
      up = true;
    }
  });
});

describe('a pluggable authorize(req, video)', () => {
  const calls: string[] = [];
  const authorize: Authorize = async (req, video) => {
    // A node:http request (playlists are served without Express).
    calls.push(`${req.url?.split('?')[0]} ${video.id}`);
    const user = req.headers['x-user']?.toString();
    if (!user) return { ok: false, status: 401, reason: 'please sign in to example.com first' };
    if (video.id === 'v2' && user !== 'admin') return { ok: false, status: 403, reason: 'this video is for admins', code: 'admins_only' };
    return { ok: true, viewer: user };
  };

  it('is called for the page and every playlist with the catalog video, and decides', async () => {
    calls.length = 0;
    const a = app({ authorize, viewerAuth: JWT });
    await request(a).get('/videos/v1').set('x-user', 'ann').expect(200);
    await request(a).get('/videos/v1/playlist.m3u8').set('x-user', 'ann').expect(200);
    await request(a).get('/videos/v1/media/360p/index.m3u8').set('x-user', 'ann').expect(200);
    expect(calls).toEqual(['/videos/v1 v1', '/videos/v1/playlist.m3u8 v1', '/videos/v1/media/360p/index.m3u8 v1']);
  });

  it('its refusals become 401/403 pages, JSON or text with its reason and code', async () => {
    const a = app({ authorize });
    const page = await request(a).get('/videos/v1').set('Accept', 'text/html').expect(401);
    expect(page.text).toContain('please sign in to example.com first');
    const json = await request(a).get('/videos/v2').set('x-user', 'ann').set('Accept', 'application/json').expect(403);
    expect(json.body).toEqual({ error: 'this video is for admins', code: 'admins_only' });
    const text = await request(a).get('/videos/v2/playlist.m3u8').set('x-user', 'ann').expect(403);
    expect(text.text).toBe('403 this video is for admins\n');
    await request(a).get('/videos/v2/playlist.m3u8').set('x-user', 'admin').expect(200);
    // The JWT machinery stays out of it: no entitlement cookie.
    expect(viewerCookie(await request(a).get('/videos/v1').set('x-user', 'ann'))).toBeUndefined();
  });
});

describe('VIEWER_AUTH=none', () => {
  function capture(): { logger: AppDeps['logger']; text: () => string } {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString('utf8'));
        done();
      },
    });
    return { logger: pino({ level: 'warn' }, stream), text: () => chunks.join('') };
  }

  it('plays without a token, and warns once at startup that anyone can watch', async () => {
    const log = capture();
    const a = app({ logger: log.logger, viewerAuth: { mode: 'none' } });
    await request(a).get('/videos/v1/playlist.m3u8').expect(200);
    expect(log.text()).toContain('VIEWER_AUTH=none: anyone who can reach');
  });

  it('does not warn in the embedded demo (warn: false)', () => {
    const log = capture();
    app({ logger: log.logger, viewerAuth: { mode: 'none', warn: false } });
    expect(log.text()).toBe('');
  });
});
