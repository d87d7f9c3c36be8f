// startServer (real listen, deps built from a ServiceConfig), graceful close, request logging, and
// the 500 path of the error middleware.
import { createServer as createNetServer, type Socket, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startServer } from '../../src/server.js';
import { openCatalog, type Catalog } from '../../src/adapters/catalog.js';
import type { PlaylistSource } from '../../src/adapters/s3-playlist-source.js';
import { loadSigningKey } from '../../src/core/cloudfront/signer.js';
import { testApp, testConfig, type TestAppDeps } from '../helpers/app.js';
import { ecKeyPair } from '../helpers/keys.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';

const { privateKeyPem } = ecKeyPair();
const ADMIN_TOKEN = 'server-test-admin-token-0123456789';
/** The config carries the parsed key (loadConfig parses it once); startServer signs with it as is. */
const SERVER_KEY = loadSigningKey({ keyPairId: 'KSERVERTEST', privateKeyPem, hash: 'SHA256' });

let s3: TestS3;

function config(o: { endpoint: string; bucket: string; timeoutMs?: number }): ServiceConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    s3: { bucket: o.bucket, region: 'us-east-1', endpoint: o.endpoint, forcePathStyle: true, timeoutMs: o.timeoutMs ?? 3000, maxPlaylistBytes: 1 << 20 },
    cdnBaseUrl: 'https://cdn.example.com',
    signing: { key: SERVER_KEY, mode: 'wildcard', ttlSeconds: 300, expiryMarginSeconds: 60, windowSeconds: 0, maxTtlSeconds: 604_800 },
    foreignUris: 'pass',
    responseMaxBytes: 16 << 20,
    playerOrigins: [],
    cache: { playlistMaxBytes: 1 << 20, renderMaxBytes: 1 << 20, vodRevalidateSeconds: 30 },
    databaseUrl: 'sqlite::memory:',
    databasePoolMax: 10,
    adminToken: ADMIN_TOKEN,
    logLevel: 'silent',
    trustProxy: false,
    viewerAuth: { mode: 'none', warn: false },
    bindIp: false,
    rateLimitPerMinute: 0,
  };
}

/** A pino destination that keeps the parsed lines. */
function capture(): { stream: Writable; lines: Record<string, unknown>[]; text: () => string } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    stream,
    get lines() {
      return raw.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => raw.join(''),
  };
}

beforeAll(async () => {
  s3 = await startTestS3({ objects: { 'v/s/index.m3u8': '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg 0.ts\n#EXT-X-ENDLIST\n' } });
});

afterAll(async () => {
  await s3?.stop();
});

describe('startServer', () => {
  it('when started from a config, then it listens on a free port and serves the whole chain until closed', async () => {
    const server = await startServer({ config: config({ endpoint: s3.s3.endpoint, bucket: s3.bucket }), credentials: s3.s3.credentials });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      await request(server.url).get('/healthz').expect(200);
      await request(server.url).get('/readyz').expect(200);
      await request(server.url)
        .put('/api/videos/s')
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
        .send({ playlistKey: 'v/s/index.m3u8', title: 'Served' })
        .expect(201);
      const res = await request(server.url).get('/videos/s/playlist.m3u8').expect(200);
      expect(res.text).toMatch(/^https:\/\/cdn\.example\.com\/v\/s\/seg%200\.ts\?Policy=/m);
      // Signed with the config's key: its id and its hash.
      expect(res.text).toMatch(/&Key-Pair-Id=KSERVERTEST&Hash-Algorithm=SHA256$/m);
    } finally {
      await server.close();
    }
    await expect(request(server.url).get('/healthz')).rejects.toThrow();
    // close() is idempotent.
    await server.close();
  });

  it('when closed with a request in flight, then that request still gets its answer', async () => {
    const sockets = new Set<Socket>();
    const hung = createNetServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
    const catalog = openCatalog('sqlite::memory:', { clock: Date.now });
    await catalog.upsert({ id: 's', playlistKey: 'v/s/index.m3u8' });
    const server = await startServer({ config: config({ endpoint, bucket: 'b', timeoutMs: 300 }), catalog, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    try {
      const inFlight = request(server.url).get('/videos/s/playlist.m3u8').then((r) => r);
      await new Promise((r) => setTimeout(r, 100));
      const closed = server.close();
      const res = await inFlight;
      expect(res.status).toBe(504);
      await closed;
      // A catalog passed in stays open: its owner closes it.
      await expect(catalog.ping()).resolves.toBeUndefined();
    } finally {
      await catalog.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => hung.close(r));
    }
  });
});

describe('request logging and unexpected errors', () => {
  let catalog: Catalog;
  beforeAll(() => {
    catalog = openCatalog('sqlite::memory:', { clock: Date.now });
  });
  afterAll(async () => {
    await catalog.close();
  });

  /** The apps of this block: a KLOG key signing single URLs, the admin token optional. */
  function logApp(o: Pick<TestAppDeps, 'catalog' | 'logger' | 'source'> & { adminToken?: string }): ReturnType<typeof testApp> {
    return testApp({
      catalog: o.catalog,
      source: o.source,
      signingKey: loadSigningKey({ keyPairId: 'KLOG', privateKeyPem }),
      logger: o.logger,
      config: testConfig({ signing: { mode: 'url' }, ...(o.adminToken === undefined ? {} : { adminToken: o.adminToken }) }),
    });
  }

  function app(logger: Logger, source?: PlaylistSource) {
    return logApp({ catalog, logger, source, adminToken: ADMIN_TOKEN });
  }

  it('when a request is made, then one line logs id, method, path without query, status and latency, with secrets redacted', async () => {
    const out = capture();
    const a = app(createLogger({ level: 'info', destination: out.stream }));
    const res = await request(a)
      .get('/api/videos?Signature=SIGSECRET&Policy=POLSECRET&token=TOKSECRET')
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
      .set('Cookie', 'CloudFront-Signature=COOKIESECRET')
      .set('X-Request-Id', 'req-123')
      .expect(200);
    expect(res.headers['x-request-id']).toBe('req-123');
    const lines = out.lines.filter((l) => (l.req as { url?: string } | undefined)?.url !== undefined);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line.req).toMatchObject({ id: 'req-123', method: 'GET', url: '/api/videos' });
    expect(line.res).toMatchObject({ statusCode: 200 });
    expect(typeof line.responseTime).toBe('number');
    for (const secret of ['SIGSECRET', 'POLSECRET', 'TOKSECRET', 'COOKIESECRET', ADMIN_TOKEN]) expect(out.text()).not.toContain(secret);

    const generated = await request(a).get('/healthz').set('X-Request-Id', 'bad id\twith spaces').expect(200);
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('when secrets are logged as fields, then they are redacted', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', destination: out.stream });
    logger.info({ signature: 'S1', nested: { policy: 'P1', deeper: { privateKey: 'K1', token: 'T1' } }, headers: { authorization: 'A1' } }, 'x');
    expect(out.text()).not.toMatch(/S1|P1|K1|T1|A1/);
    expect(out.text()).toContain('[redacted]');
  });

  it('when a handler fails unexpectedly, then 500 without a stack trace, and the error is logged', async () => {
    const out = capture();
    const broken = openCatalog('sqlite::memory:', { clock: Date.now });
    broken.list = () => Promise.reject(new Error('database exploded at /secret/path.db'));
    const a = logApp({ catalog: broken, logger: createLogger({ level: 'info', destination: out.stream }) });
    try {
      const html = await request(a).get('/videos').set('Accept', 'text/html').expect(500);
      expect(html.headers['content-type']).toMatch(/^text\/html/);
      expect(html.text).not.toMatch(/exploded|secret|at .*\.(js|ts):\d+/);
      const json = await request(a).get('/videos').set('Accept', 'application/json').expect(500);
      expect(json.body).toMatchObject({ error: expect.any(String), code: 'internal_error' });
      expect(JSON.stringify(json.body)).not.toMatch(/exploded|secret/);
      expect(out.text()).toContain('database exploded');
    } finally {
      await broken.close();
    }
  });
});
