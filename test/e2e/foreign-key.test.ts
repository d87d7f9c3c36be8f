// Browser end-to-end: a video whose AES-128 key comes from the operator's own key server (another
// port, its own CORS), as real deployments do. The service passes the key URI through untouched
// (FOREIGN_URIS=pass), signs every segment, and the page's CSP lets the player reach the key
// server (PLAYER_ORIGINS). Chromium plays it; the key server sees requests without any CloudFront
// parameter; the edge serves every segment signed.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog } from '../../src/adapters/catalog.js';
import { browserDiagnostics, hasChromium, launchBrowser, newTestPage, recordRequests, startMutedPlayback } from '../helpers/browser.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

const KEY = readFileSync(new URL('../../samples/demo/keys/360p.key', import.meta.url));
const MEDIA = readFileSync(new URL('../../samples/demo/360p/index.m3u8', import.meta.url), 'utf8');

describe.skipIf(!hasChromium())('a key from the operator’s own key server', () => {
  let keyServer: Server;
  let keyOrigin = '';
  const keyRequests: { url: string; origin?: string }[] = [];
  let stack: TestStack;
  let browser: Browser;

  beforeAll(async () => {
    keyServer = createServer((req, res) => {
      keyRequests.push({ url: req.url ?? '', ...(req.headers.origin ? { origin: req.headers.origin } : {}) });
      // Its own CORS: only the app's page may read the key.
      if (req.headers.origin === appOrigin()) res.setHeader('Access-Control-Allow-Origin', appOrigin());
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { 'Access-Control-Allow-Methods': 'GET', 'Access-Control-Allow-Headers': 'Range' }).end();
        return;
      }
      if (!req.url?.startsWith('/keys/7')) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': KEY.length, 'Cache-Control': 'no-store' }).end(KEY);
    });
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    keyOrigin = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;

    stack = await startTestStack({ signingMode: 'wildcard', playerOrigins: [keyOrigin] });
    const s3 = new S3Client({ endpoint: stack.s3Endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const playlist = MEDIA.replace('URI="../keys/360p.key"', `URI="${keyOrigin}/keys/7?kid=360p"`);
    expect(playlist).not.toBe(MEDIA);
    await s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: 'demo/360p/foreign-key.m3u8', Body: playlist, ContentType: 'application/vnd.apple.mpegurl' }));
    s3.destroy();
    const catalog = openCatalog(`sqlite:${stack.dataDir}/hlsgate.db`, { clock: Date.now });
    await catalog.upsert({ id: 'foreign-key', playlistKey: 'demo/360p/foreign-key.m3u8', title: 'Key from another server' });
    await catalog.close();
    browser = await launchBrowser();
  }, 60_000);

  function appOrigin(): string {
    return stack ? new URL(stack.appUrl).origin : '';
  }

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await new Promise((resolve) => keyServer?.close(resolve));
  });

  it('plays, with the segments signed by the edge and the key URI untouched', async () => {
    const res = await fetch(`${stack.appUrl}/videos/foreign-key/playlist.m3u8`);
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(body).toContain(`URI="${keyOrigin}/keys/7?kid=360p"`);
    const csp = (await fetch(`${stack.appUrl}/videos/foreign-key`)).headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(new RegExp(`connect-src 'self' \\S+ ${keyOrigin}`));

    const { context, page, consoleLines } = await newTestPage(browser);
    const seen = recordRequests(page);
    try {
      await page.goto(`${stack.appUrl}/videos/foreign-key`, { waitUntil: 'load' });
      await startMutedPlayback(page);
      const deadline = Date.now() + 30_000;
      let t = 0;
      while (Date.now() < deadline && t <= 3) {
        await page.waitForTimeout(100);
        t = await page.evaluate(() => (window as unknown as { __hlsgatePlayer: { currentTime(): number } }).__hlsgatePlayer.currentTime());
      }
      const diagnostics = (): string => browserDiagnostics(consoleLines, seen.map((s) => `${s.method} ${s.url.split('?')[0]} -> ${s.status ?? s.failure ?? 'pending'}`), stack.edgeLines);
      expect(t, diagnostics()).toBeGreaterThan(3);
      // The key came from the key server, as written, with no CloudFront parameter.
      expect(keyRequests.filter((r) => r.url === '/keys/7?kid=360p').length, diagnostics()).toBeGreaterThan(0);
      for (const r of keyRequests) expect(r.url).not.toMatch(/Signature|Policy|Key-Pair-Id/);
      // Segments came from the edge, signed and served.
      const edge = new URL(stack.edgeUrl).origin;
      const segments = seen.filter((s) => /\/seg_\d+\.ts$/.test(new URL(s.url).pathname));
      expect(segments.length, diagnostics()).toBeGreaterThan(0);
      for (const s of segments) {
        expect(new URL(s.url).origin).toBe(edge);
        expect(new URL(s.url).searchParams.has('Signature')).toBe(true);
      }
      expect(stack.edgeLines.filter((l) => String(l.path).startsWith('/demo/360p/') && Number(l.status) >= 400)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
