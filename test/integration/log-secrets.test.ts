// Logs never carry signature values or tokens. The service runs its scenarios at LOG_LEVEL=debug
// (startServer from an environment, as `hlsgate serve` does, its own logger writing into memory):
// playlists in the wildcard, url, url+IP and cookies modes; a playlist holding an already-signed URL
// (refused); viewer tokens in the query, the header and the cookie; bad admin tokens; S3 missing,
// resetting and hanging; and a host's `authorize` failing with the request URL in its message.
// Every Signature/Policy/Key-Pair-Id value and token the responses carried or the requests sent is
// collected; no log line may contain any of them.
import { randomBytes } from 'node:crypto';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Environment } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { setCookies, testApp, testCatalog, testConfig } from '../helpers/app.js';
import { ecKeyPair } from '../helpers/keys.js';
import { startTestS3, testPlaylistSource, type TestS3 } from '../helpers/s3.js';
import { loadSigningKey } from '../../src/core/cloudfront/signer.js';

const { privateKeyPem } = ecKeyPair();
const KEY_PAIR_ID = 'KLOGSECRETS0001';
const JWT_SECRET = randomBytes(32).toString('hex');
const ADMIN_TOKEN = randomBytes(32).toString('hex');
const WRONG_ADMIN_TOKEN = randomBytes(32).toString('hex');
// What an operator's playlist may hold: a URL signed elsewhere, and a key server's own token.
const STORED_SIGNATURE = `Stored~Sig-${randomBytes(24).toString('base64url')}`;
const STORED_POLICY = `eyJTdG9yZWQi${randomBytes(24).toString('base64url')}`;
const FOREIGN_TOKEN = `keysrv-${randomBytes(12).toString('hex')}`;

const MEDIA = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-KEY:METHOD=AES-128,URI="key.bin"\n#EXTINF:4.0,\nseg_0.ts\n#EXTINF:4.0,\nseg_1.ts\n#EXT-X-ENDLIST\n';
const MASTER = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=200000\n360p/index.m3u8\n';
const OBJECTS: Record<string, string> = {
  'videos/v1/master.m3u8': MASTER,
  'videos/v1/360p/index.m3u8': MEDIA,
  'videos/signed/index.m3u8': `#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg0.ts?Policy=${STORED_POLICY}&Signature=${STORED_SIGNATURE}&Key-Pair-Id=K2JCJMDEHXQW5F\n#EXT-X-ENDLIST\n`,
  'videos/foreign/index.m3u8': `#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example.com/k?id=7&token=${FOREIGN_TOKEN}"\n#EXTINF:4.0,\nseg_0.ts\n#EXT-X-ENDLIST\n`,
};
const VIDEOS = [
  { id: 'v1', playlistKey: 'videos/v1/master.m3u8' },
  { id: 'signed', playlistKey: 'videos/signed/index.m3u8' },
  { id: 'foreign', playlistKey: 'videos/foreign/index.m3u8' },
  { id: 'missing', playlistKey: 'videos/missing/index.m3u8' },
];

/** Every line the service logged, and every secret the scenarios saw. */
const logged: string[] = [];
const secrets = new Set<string>();
const destination = new Writable({
  write(chunk: Buffer, _enc, done) {
    logged.push(chunk.toString('utf8'));
    done();
  },
});
const logger = createLogger({ level: 'debug', destination });

/** Values seen in responses, duplicates included (modes may sign the same policy). */
let signingValuesSeen = 0;

function keep(...values: (string | undefined)[]): void {
  // The key pair id is an identifier the startup line names on purpose (`signing.keyPairId`); in
  // URIs and cookies its values are redacted all the same (the last assertion checks that).
  for (const v of values) if (v && v !== '[redacted]' && v !== KEY_PAIR_ID) secrets.add(v);
}

/** Collects the Signature and Policy values of every URL in the body, and the Set-Cookie values. */
function collect(res: request.Response): void {
  for (const m of res.text.matchAll(/(?:Signature|Policy|Key-Pair-Id)=([^&\s"]+)/g)) {
    signingValuesSeen++;
    keep(m[1]);
  }
  for (const c of setCookies(res)) {
    const m = /^(CloudFront-[A-Za-z-]+|hlsgate_viewer)=([^;]*)/.exec(c);
    if (m?.[2]) {
      if (m[1] !== 'hlsgate_viewer') signingValuesSeen++;
      keep(m[2]);
    }
  }
}

async function token(claims: { exp?: number; videos?: string[] } = {}): Promise<string> {
  const t = await new SignJWT({ videos: claims.videos ?? ['v1', 'signed', 'foreign', 'missing'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('viewer-ann')
    .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 600)
    .sign(new TextEncoder().encode(JWT_SECRET));
  keep(t);
  return t;
}

let s3: TestS3;
const servers: RunningServer[] = [];
const hostile: { server: NetServer; sockets: Set<Socket> }[] = [];

function env(over: Environment): Environment {
  return {
    LOG_LEVEL: 'debug',
    PORT: '0',
    HOST: '127.0.0.1',
    S3_BUCKET: s3.bucket,
    S3_ENDPOINT: s3.s3.endpoint,
    S3_TIMEOUT_MS: '2000',
    CDN_BASE_URL: 'https://media.example.com',
    CLOUDFRONT_KEY_PAIR_ID: KEY_PAIR_ID,
    CLOUDFRONT_PRIVATE_KEY: privateKeyPem,
    DATABASE_URL: 'sqlite::memory:',
    ADMIN_TOKEN,
    VIEWER_AUTH: 'jwt',
    VIEWER_JWT_SECRET: JWT_SECRET,
    TRUST_PROXY: 'loopback',
    ...over,
  };
}

/** The service as `hlsgate serve` starts it, with the videos added through the admin API. */
async function serve(over: Environment): Promise<string> {
  const loaded = loadConfig(env(over));
  if (loaded.kind !== 'aws') throw new Error('expected the AWS configuration');
  const { config } = loaded;
  expect(config.logLevel).toBe('debug');
  const server = await startServer({ config, logger, credentials: s3.s3.credentials });
  servers.push(server);
  for (const v of VIDEOS) {
    await request(server.url).put(`/api/videos/${v.id}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ playlistKey: v.playlistKey }).expect(201);
  }
  return server.url;
}

/** A loopback "S3" that accepts connections and then resets them, or says nothing at all. */
async function hostileS3(kind: 'reset' | 'hang'): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    if (kind === 'reset') socket.once('data', () => socket.resetAndDestroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hostile.push({ server, sockets });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The player page with the token in the query (then the cookie), the header, and the playlists. */
async function watch(url: string, id: string, expectStatus = 200): Promise<void> {
  const t = await token();
  const viaQuery = await request(url).get(`/videos/${id}?token=${t}&Signature=QUERYSIG${id}`).expect(303);
  collect(viaQuery);
  keep(`QUERYSIG${id}`);
  const cookie = setCookies(viaQuery).find((c) => c.startsWith('hlsgate_viewer='))!.split(';')[0]!;
  collect(await request(url).get(`/videos/${id}`).set('Cookie', cookie).expect(200));
  collect(await request(url).get(`/videos/${id}`).set('Authorization', `Bearer ${t}`).expect(200));
  const top = await request(url).get(`/videos/${id}/playlist.m3u8`).set('Cookie', cookie).set('X-Forwarded-For', '203.0.113.9').expect(expectStatus);
  collect(top);
  if (id === 'v1') {
    const nested = await request(url).get('/videos/v1/media/360p/index.m3u8').set('Authorization', `Bearer ${t}`).set('X-Forwarded-For', '203.0.113.9').expect(200);
    collect(nested);
    expect(nested.text).toMatch(/seg_1\.ts/);
  }
}

beforeAll(async () => {
  s3 = await startTestS3({ objects: OBJECTS });
});

afterAll(async () => {
  for (const s of servers) await s.close();
  for (const h of hostile) {
    for (const s of h.sockets) s.destroy();
    await new Promise((r) => h.server.close(r));
  }
  await s3?.stop();
});

describe('logs never carry signatures or tokens (LOG_LEVEL=debug)', () => {
  it.each([
    ['wildcard', { SIGNING_MODE: 'wildcard' }],
    ['url', { SIGNING_MODE: 'url' }],
    ['url bound to the viewer address', { SIGNING_MODE: 'url', SIGNED_URL_BIND_IP: 'true' }],
    ['cookies', { SIGNING_MODE: 'cookies', CDN_COOKIE_DOMAIN: '.example.com' }],
  ])('plays in %s mode, and refuses an already-signed playlist, tokens from the query, header and cookie', async (_mode, over) => {
    const url = await serve(over);
    const before = signingValuesSeen;
    await watch(url, 'v1');
    await watch(url, 'foreign');
    // A playlist holding a URL signed elsewhere is refused; its stored values are secrets too.
    keep(STORED_SIGNATURE, STORED_POLICY, FOREIGN_TOKEN);
    await watch(url, 'signed', 502);
    // Missing in S3: 404, and a storage warning in the log.
    await watch(url, 'missing', 404);
    // Refused tokens: expired, and one for another video (a token in the cookie is cleared).
    const expired = await token({ exp: Math.floor(Date.now() / 1000) - 3600 });
    await request(url).get('/videos/v1/playlist.m3u8').set('Cookie', `hlsgate_viewer=${expired}`).expect(401);
    const other = await token({ videos: ['other'] });
    await request(url).get(`/videos/v1?token=${other}`).expect(403);
    // Bad admin tokens, until the throttle answers.
    keep(WRONG_ADMIN_TOKEN);
    for (let i = 0; i < 12; i++) {
      await request(url)
        .get(`/api/videos?token=${WRONG_ADMIN_TOKEN}`)
        .set('Authorization', `Bearer ${WRONG_ADMIN_TOKEN}`)
        .set('X-Forwarded-For', '198.51.100.1')
        .expect(i < 10 ? 401 : 429);
    }
    // The responses carried signatures (cookies mode: in Set-Cookie, policy and signature per video).
    expect(signingValuesSeen - before).toBeGreaterThanOrEqual(4);
  });

  it.each([
    ['resets the connection', 'reset', 502],
    ['never answers', 'hang', 504],
  ] as const)('reports S3 that %s without quoting a secret', async (_what, kind, status) => {
    const url = await serve({ SIGNING_MODE: 'url', S3_ENDPOINT: await hostileS3(kind), S3_TIMEOUT_MS: '300' });
    const t = await token();
    await request(url).get(`/videos/v1/playlist.m3u8?Signature=S3ERRSIG${kind}&token=${t}`).set('Authorization', `Bearer ${t}`).expect(status);
    keep(`S3ERRSIG${kind}`);
    expect(logged.join('')).toMatch(kind === 'reset' ? /storage error Upstream/ : /storage error Timeout/);
  });

  it("a host's authorize failing with the request URL in its message: the 500's cause and stack are logged, the URL's secrets are not", async () => {
    const catalog = await testCatalog([{ id: 'v1', playlistKey: 'videos/v1/master.m3u8' }]);
    try {
      const a = testApp({
        catalog,
        source: testPlaylistSource(s3),
        signingKey: loadSigningKey({ keyPairId: KEY_PAIR_ID, privateKeyPem }),
        logger,
        config: testConfig({ signing: { mode: 'url' } }),
        authorize: (req) => Promise.reject(new Error(`session lookup failed for ${req.url} (${req.headers.authorization})`, { cause: new Error(`cookie ${req.headers.cookie}`) })),
      });
      const t = await token();
      keep('HOSTSIG', 'HOSTCOOKIESIG');
      await request(a)
        .get(`/videos/v1/playlist.m3u8?Signature=HOSTSIG&token=${t}`)
        .set('Authorization', `Bearer ${t}`)
        .set('Cookie', 'CloudFront-Signature=HOSTCOOKIESIG')
        .expect(500);
      expect(logged.join('')).toContain('session lookup failed for /videos/v1/playlist.m3u8?Signature=[redacted]&token=[redacted]');
    } finally {
      await catalog.close();
    }
  });

  it('the log of all of the above holds none of the values', () => {
    const text = logged.join('');
    const lines = text.split('\n').filter(Boolean);
    // The scenarios were logged, at debug level, and every line is still JSON.
    expect(lines.length).toBeGreaterThan(100);
    for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
    expect(text).toMatch(/"statusCode":502/);
    expect(text).toMatch(/"statusCode":429/);
    // The refusal of the already-signed playlist is logged, naming the URI without its values.
    expect(text).toContain('seg0.ts?Policy=[redacted]&Signature=[redacted]&Key-Pair-Id=[redacted]');
    expect(text).toMatch(/storage error NotFound/);
    expect(secrets.size).toBeGreaterThan(20);
    const leaked = [...secrets].filter((s) => text.includes(s));
    expect(leaked).toEqual([]);
    // No signing parameter with a value other than the redaction mark.
    expect(text.match(/(?:Signature|Policy|Key-Pair-Id|token)(?:=|%3D)(?!\[redacted\])[^&"\s\\]+/g) ?? []).toEqual([]);
    expect(text).not.toContain(ADMIN_TOKEN);
  });
});
