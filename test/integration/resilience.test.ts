// Health, readiness and storage failures: S3 going away and coming back, S3 hanging, and the app
// answering everything else meanwhile.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/http/app.js';
import { openCatalog, type Catalog } from '../../src/adapters/catalog.js';
import { createS3Client, createS3PlaylistSource, type PlaylistSource } from '../../src/adapters/s3-playlist-source.js';
import { loadSigningKey, type SigningKey } from '../../src/core/cloudfront/signer.js';
import { testApp, testCatalog, testConfig } from '../helpers/app.js';
import { rsaKeyPair } from '../helpers/keys.js';
import { startTestS3, testPlaylistSource, type TestS3 } from '../helpers/s3.js';

const PLAYLIST = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg_0.ts\n#EXT-X-ENDLIST\n';
const { privateKeyPem } = rsaKeyPair();

let s3: TestS3;
let catalog: Catalog;
let signingKey: SigningKey;
let hung: Server;
let hungEndpoint: string;
const hungSockets = new Set<Socket>();

function makeApp(source: PlaylistSource, extra: Partial<AppDeps> = {}) {
  return testApp({
    catalog,
    source,
    signingKey,
    config: testConfig({ cdnBaseUrl: 'http://127.0.0.1:9', signing: { keyPairId: 'KRESILIENCE', privateKeyPem, hash: 'SHA256', mode: 'url' } }),
    ...extra,
  });
}

beforeAll(async () => {
  const ids = ['a', 'b', 'c'];
  s3 = await startTestS3({ objects: Object.fromEntries(ids.map((id) => [`videos/${id}/index.m3u8`, PLAYLIST])) });
  catalog = await testCatalog(ids.map((id) => ({ id, playlistKey: `videos/${id}/index.m3u8`, title: `Video ${id}` })));
  signingKey = loadSigningKey({ keyPairId: 'KRESILIENCE', privateKeyPem, hash: 'SHA256' });
  // A "storage" that accepts connections and never answers.
  hung = createServer((socket) => {
    hungSockets.add(socket);
    socket.on('close', () => hungSockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  hungEndpoint = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of hungSockets) socket.destroy();
  await new Promise<void>((resolve) => hung?.close(() => resolve()));
  await catalog?.close();
  await s3?.stop();
});

describe('health', () => {
  it('when /healthz is requested, then 200 {status: ok}', async () => {
    const source = testPlaylistSource(s3, 2000);
    const res = await request(makeApp(source)).get('/healthz').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('when every dependency works, then /readyz is 200 and lists the checks', async () => {
    const source = testPlaylistSource(s3, 2000);
    const res = await request(makeApp(source)).get('/readyz').expect(200);
    expect(res.body).toEqual({ status: 'ok', checks: { catalog: 'ok', storage: 'ok' } });
  });

  it('when an extra readiness check fails, then /readyz is 503 naming it', async () => {
    const source = testPlaylistSource(s3, 2000);
    const app = makeApp(source, { ready: () => Promise.reject(new Error('edge is down at http://secret')) });
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body).toMatchObject({ status: 'unavailable', failed: ['extra'], checks: { storage: 'ok', extra: 'failed' } });
    expect(JSON.stringify(res.body)).not.toContain('secret');
  });

  it('when the catalog is closed, then /readyz is 503 naming the catalog', async () => {
    const closed = openCatalog('sqlite::memory:', { clock: Date.now });
    await closed.close();
    const source = testPlaylistSource(s3, 2000);
    const app = makeApp(source, { catalog: closed });
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body.failed).toEqual(['catalog']);
  });
});

describe('storage failures', () => {
  it('when S3 stops mid-run, then playlists are 502 while everything else answers, and it recovers on restart', async () => {
    const source = testPlaylistSource(s3, 3000);
    const app = makeApp(source);
    await request(app).get('/videos/a/playlist.m3u8').expect(200);

    await s3.s3.close();
    try {
      const down = await request(app).get('/videos/b/playlist.m3u8').expect(502);
      expect(down.headers['content-type']).toMatch(/^text\/plain/);
      expect(down.text).toMatch(/storage/);
      expect(down.text).not.toMatch(/127\.0\.0\.1|hlsgate-test|S3RVER|at .*\.(js|ts):\d+/);
      // The rest of the app keeps answering.
      await request(app).get('/healthz').expect(200);
      const list = await request(app).get('/videos').expect(200);
      expect(list.text).toContain('Video c');
      await request(app).get('/videos/c').expect(200);
      const ready = await request(app).get('/readyz').expect(503);
      expect(ready.body.failed).toEqual(['storage']);
    } finally {
      await s3.restart();
    }

    const back = await request(app).get('/videos/b/playlist.m3u8').expect(200);
    expect(back.text).toContain('Signature=');
    await request(app).get('/readyz').expect(200);
  });

  it('when S3 hangs, then playlists are 504 after the timeout and other requests are not held up', async () => {
    const client = createS3Client(
      { bucket: 'hung', region: 'us-east-1', endpoint: hungEndpoint, forcePathStyle: true, timeoutMs: 1500, maxPlaylistBytes: 1 << 20 },
      { accessKeyId: 'x', secretAccessKey: 'y' },
    );
    try {
      const source = createS3PlaylistSource({ client, bucket: 'hung', timeoutMs: 1500, maxBytes: 1 << 20 });
      const app = makeApp(source);
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      try {
        const started = Date.now();
        // supertest sends on then(): start the slow request now, check it later.
        let settled = false;
        const slow = request(server)
          .get('/videos/a/playlist.m3u8')
          .then((r) => r)
          .finally(() => (settled = true));
        for (let i = 0; i < 100 && hungSockets.size === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(hungSockets.size, 'the playlist request is waiting on the hung storage').toBeGreaterThan(0);
        // Meanwhile the list page and health answer, before the storage deadline ends the playlist request.
        await request(server).get('/healthz').expect(200);
        await request(server).get('/videos').expect(200);
        expect(settled, 'the other requests were answered while the playlist request still waited').toBe(false);
        const res = await slow;
        expect(res.status).toBe(504);
        expect(res.text).toMatch(/did not answer in time/);
        expect(Date.now() - started).toBeLessThan(5000);
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
      const ready = await request(app).get('/readyz').expect(503);
      expect(ready.body.failed).toEqual(['storage']);
    } finally {
      client.destroy();
    }
  });
});
