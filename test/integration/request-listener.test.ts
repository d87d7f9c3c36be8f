// createRequestListener (what `hlsgate serve` listens with) against createApp (what the other tests
// drive): playlist requests go to the plain node:http handler without entering Express, every
// other request to the Express app, and both entry points answer every request the same way.
import { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, createRequestListener, type AppDeps, type Authorize } from '../../src/http/app.js';
import type { SigningMode } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createPlaybackCache } from '../../src/playback/playback-cache.js';
import { loadSigningKey } from '../../src/core/cloudfront/signer.js';
import { startPlaybackFixture, testAppDeps, testConfig, type PlaybackFixture } from '../helpers/app.js';
import { rsaKeyPair } from '../helpers/keys.js';

const NOW_MS = Date.UTC(2030, 0, 1, 12, 0, 0);
const MEDIA = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:4.0,\nseg_0.ts\n#EXTINF:4.0,\nseg_1.ts\n#EXT-X-ENDLIST\n';
const MASTER = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=200000\n360p/index.m3u8\n';

const { privateKeyPem } = rsaKeyPair();
const signingKey = loadSigningKey({ keyPairId: 'KLISTEN', privateKeyPem });

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
  mode?: SigningMode;
  authorize?: Authorize;
  trustProxy?: string | false;
  rateLimitPerMinute?: number;
  logger?: AppDeps['logger'];
}

function deps(o: Options = {}): AppDeps {
  return testAppDeps({
    catalog: fx.catalog,
    source: fx.source,
    signingKey,
    clock: () => NOW_MS,
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.authorize ? { authorize: o.authorize } : {}),
    playbackCache: createPlaybackCache({ maxBytes: 1 << 20 }),
    config: testConfig({
      signing: { keyPairId: 'KLISTEN', privateKeyPem, mode: o.mode ?? 'wildcard', windowSeconds: 60 },
      trustProxy: o.trustProxy ?? false,
      viewerAuth: { mode: 'none', warn: false },
      ...(o.rateLimitPerMinute === undefined ? {} : { rateLimitPerMinute: o.rateLimitPerMinute }),
    }),
  });
}

/** Status, body and headers, without those that differ between any two responses (date, request id, cookie expiry). */
function comparable(res: request.Response): Record<string, unknown> {
  const { date: _date, 'x-request-id': _id, ...headers } = res.headers as Record<string, unknown>;
  const cookies = headers['set-cookie'] as string[] | undefined;
  if (cookies) headers['set-cookie'] = cookies.map((c) => c.replace(/; Expires=[^;]*/, ''));
  return { status: res.status, body: res.text ?? res.body, headers };
}

type Call = (agent: ReturnType<typeof request>) => request.Test;

const CALLS: Record<string, Call> = {
  'top playlist': (a) => a.get('/videos/v1/playlist.m3u8'),
  'nested playlist': (a) => a.get('/videos/v1/media/360p/index.m3u8?x=1'),
  'HEAD playlist': (a) => a.head('/videos/v1/playlist.m3u8'),
  'trailing slash, other case': (a) => a.get('/VIDEOS/v1/Playlist.M3U8/'),
  'gzip when accepted': (a) => a.get('/videos/v1/media/360p/index.m3u8').set('Accept-Encoding', 'gzip'),
  'unknown video': (a) => a.get('/videos/nope/playlist.m3u8'),
  'invalid id': (a) => a.get('/videos/..%2F/playlist.m3u8'),
  'malformed percent-encoding': (a) => a.get('/videos/%E0%A4%A/playlist.m3u8'),
  'malformed nested path': (a) => a.get('/videos/v1/media/%zz.m3u8'),
  'nested path escaping the folder': (a) => a.get('/videos/v1/media/..%2Fother.m3u8'),
  'not a playlist': (a) => a.get('/videos/v1/media/360p/seg_0.ts'),
  'OPTIONS': (a) => a.options('/videos/v1/playlist.m3u8'),
  'POST (not a playlist route)': (a) => a.post('/videos/v1/playlist.m3u8'),
  'list page': (a) => a.get('/videos'),
  'player page': (a) => a.get('/videos/v1'),
  'nothing here': (a) => a.get('/nothing').set('Accept', 'application/json'),
  'health': (a) => a.get('/healthz'),
};

describe('createRequestListener answers as createApp does', () => {
  for (const mode of ['wildcard', 'url', 'cookies'] as const) {
    it(`SIGNING_MODE=${mode}: same status, body and headers for playlists, errors and pages`, async () => {
      const app = request(createApp(deps({ mode })));
      const listener = request(createRequestListener(deps({ mode })));
      for (const [name, call] of Object.entries(CALLS)) {
        // Twice: the second request of a window is served from the shared cache (with its compressed forms).
        for (let i = 0; i < 2; i++) {
          const [viaApp, viaListener] = [await call(app), await call(listener)];
          expect(comparable(viaListener), name).toEqual(comparable(viaApp));
        }
      }
    });
  }

  it('playlists carry the playlist headers and the security headers', async () => {
    const res = await request(createRequestListener(deps()))
      .get('/videos/v1/media/360p/index.m3u8')
      .set('Accept-Encoding', 'br')
      .expect(200);
    expect(res.headers).toMatchObject({
      'content-type': 'application/vnd.apple.mpegurl',
      'cache-control': 'private, no-store',
      vary: 'Accept-Encoding',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('createRequestListener: playlists never enter Express', () => {
  it('authorize gets a plain node:http request for playlists, an Express one for the page', async () => {
    const seen: Record<string, boolean> = {};
    const authorize: Authorize = async (req) => {
      seen[req.url ?? ''] = Object.getPrototypeOf(req) === IncomingMessage.prototype;
      return { ok: true };
    };
    const a = request(createRequestListener(deps({ authorize })));
    await a.get('/videos/v1/playlist.m3u8').expect(200);
    await a.get('/videos/v1/media/360p/index.m3u8').expect(200);
    await a.get('/videos/v1').expect(200);
    expect(seen).toEqual({ '/videos/v1/playlist.m3u8': true, '/videos/v1/media/360p/index.m3u8': true, '/videos/v1': false });
  });

  it('refusals of authorize are text with the reason, status and WWW-Authenticate', async () => {
    const authorize: Authorize = async () => ({ ok: false, status: 401, reason: 'sign in first' });
    const res = await request(createRequestListener(deps({ authorize }))).get('/videos/v1/playlist.m3u8').expect(401);
    expect(res.text).toBe('401 sign in first\n');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="hlsgate"');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('one log line per playlist request, without the query string', async () => {
    const raw: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        raw.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination: stream });
    const a = request(createRequestListener(deps({ logger })));
    await a.get('/videos/v1/playlist.m3u8?token=SECRET').set('X-Request-Id', 'req-pl').expect(200);
    await a.get('/videos/nope/playlist.m3u8').expect(404);
    const lines = raw.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { req?: { id: string; method: string; url: string }; res?: { statusCode: number }; level: number });
    const requests = lines.filter((l) => l.req);
    expect(requests.map((l) => [l.req!.method, l.req!.url, l.res!.statusCode])).toEqual([
      ['GET', '/videos/v1/playlist.m3u8', 200],
      ['GET', '/videos/nope/playlist.m3u8', 404],
    ]);
    expect(requests[0]!.req!.id).toBe('req-pl');
    expect(raw.join('')).not.toContain('SECRET');
  });

  it('rate limits per client, the client taken from X-Forwarded-For only through a trusted proxy', async () => {
    const trusted = request(createRequestListener(deps({ rateLimitPerMinute: 1, trustProxy: 'loopback' })));
    await trusted.get('/videos/v1/playlist.m3u8').set('X-Forwarded-For', '203.0.113.1').expect(200);
    const limited = await trusted.get('/videos/v1/playlist.m3u8').set('X-Forwarded-For', '203.0.113.1').expect(429);
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.text).toMatch(/^429 too many playlist requests/);
    await trusted.get('/videos/v1/playlist.m3u8').set('X-Forwarded-For', '203.0.113.2').expect(200);

    const untrusted = request(createRequestListener(deps({ rateLimitPerMinute: 1 })));
    await untrusted.get('/videos/v1/playlist.m3u8').set('X-Forwarded-For', '203.0.113.1').expect(200);
    await untrusted.get('/videos/v1/playlist.m3u8').set('X-Forwarded-For', '203.0.113.2').expect(429);
  });
});
