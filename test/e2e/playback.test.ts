// Browser end-to-end: the embedded stack (s3rver + samples, dev key pair, local edge, service) and
// headless Chromium playing the sample videos through signed URLs, plus the edge's refusals for
// URLs that CloudFront would refuse.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { loadSigningKey, signUrl } from '../../src/core/cloudfront/signer.js';
import { browserDiagnostics, hasChromium, launchBrowser, newTestPage, recordRequests } from '../helpers/browser.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

const SCREENSHOT_DIR = resolve('test-results/screenshots');
/** Object types that must come from the edge, signed. */
const MEDIA = /\.(ts|m4s|mp4|m4a|aac|key|vtt)$/i;

interface PlayerState {
  currentTime: number;
  error: unknown;
  pageErrors: unknown[];
  readyState: number;
}

async function playerState(page: Page): Promise<PlayerState> {
  return page.evaluate(() => {
    const w = window as unknown as {
      videojs?: { getPlayer(id: string): { currentTime(): number; error(): unknown } | undefined };
      __hlsgateErrors?: unknown[];
    };
    const player = w.videojs?.getPlayer('player');
    const video = document.querySelector('video');
    return {
      currentTime: player ? player.currentTime() : (video?.currentTime ?? 0),
      error: player ? player.error() : null,
      pageErrors: [...(w.__hlsgateErrors ?? [])],
      readyState: video?.readyState ?? -1,
    };
  });
}

describe.skipIf(!hasChromium()).each(['wildcard', 'url'] as const)('browser playback through the local edge (SIGNING_MODE=%s)', (mode) => {
  let stack: TestStack;
  let browser: Browser;
  let stackStartMs = 0;

  beforeAll(async () => {
    const t0 = Date.now();
    stack = await startTestStack({ signingMode: mode });
    stackStartMs = Date.now() - t0;
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('prints the URL to open and the edge URL', () => {
    expect(stack.logLines).toContain(`hlsgate demo running: open ${stack.appUrl}/videos/demo`);
    expect(stack.logLines.join('\n')).toContain(stack.edgeUrl);
    expect(stackStartMs).toBeLessThan(30_000);
  });

  for (const id of ['demo', 'demo-fmp4'] as const) {
    it(`plays ${id} in Chromium with every media request signed and served by the edge`, async () => {
      const { context, page, consoleLines } = await newTestPage(browser);
      const seen = recordRequests(page);
      const diagnostics = (): string =>
        browserDiagnostics(
          consoleLines,
          seen.map((s) => `${s.method} ${s.url.split('?')[0]} -> ${s.status ?? s.failure ?? 'pending'}`),
          stack.edgeLines,
        );

      try {
        const t0 = Date.now();
        const res = await page.goto(`${stack.appUrl}/videos/${id}`, { waitUntil: 'load' });
        expect(res?.status()).toBe(200);
        await page.waitForFunction(() => {
          const w = window as unknown as { videojs?: { getPlayer(id: string): unknown } };
          return Boolean(w.videojs?.getPlayer('player'));
        }, undefined, { timeout: 15_000 });
        await page.evaluate(() => {
          const w = window as unknown as { videojs: { getPlayer(id: string): { muted(m: boolean): void; play(): Promise<void> | undefined } } };
          const player = w.videojs.getPlayer('player');
          player.muted(true);
          void player.play()?.catch(() => undefined);
        });

        let firstFrameMs: number | undefined;
        const deadline = Date.now() + 30_000;
        let state = await playerState(page);
        while (Date.now() < deadline && state.currentTime <= 3 && state.error === null && state.pageErrors.length === 0) {
          await page.waitForTimeout(100);
          state = await playerState(page);
          if (firstFrameMs === undefined && state.currentTime > 0) firstFrameMs = Date.now() - t0;
        }
        const playingMs = Date.now() - t0;
        if (state.currentTime <= 3 || state.error !== null || state.pageErrors.length) {
          throw new Error(`${id} did not play past 3 s (state ${JSON.stringify(state)})\n${diagnostics()}`);
        }
        expect(state.error).toBeNull();
        expect(state.pageErrors).toEqual([]);

        mkdirSync(SCREENSHOT_DIR, { recursive: true });
        await page.screenshot({ path: resolve(SCREENSHOT_DIR, mode === 'wildcard' ? `${id}.png` : `${id}-${mode}.png`) });
        console.log(`[e2e] ${id} (${mode}): stack started in ${stackStartMs} ms; first frame ${firstFrameMs ?? '?'} ms, currentTime > 3 s after ${playingMs} ms from navigation`);

        // Every media object (segments, keys, init segments) came from the edge, signed, and was served.
        const edgeOrigin = new URL(stack.edgeUrl).origin;
        const media = seen.filter((s) => MEDIA.test(new URL(s.url).pathname));
        expect(media.length, diagnostics()).toBeGreaterThan(0);
        for (const s of media) {
          const u = new URL(s.url);
          expect(u.origin, `${s.url} was not requested from the edge`).toBe(edgeOrigin);
          const signedByQuery = u.searchParams.has('Signature') && u.searchParams.has('Key-Pair-Id');
          const signedByCookie = /CloudFront-Signature=/.test(s.cookie ?? '') && /CloudFront-Key-Pair-Id=/.test(s.cookie ?? '');
          expect(signedByQuery || signedByCookie, `${u.pathname} carried no CloudFront signature`).toBe(true);
          if (s.status !== undefined || s.failure === undefined) expect([200, 206], `${u.pathname} -> ${s.status ?? s.failure}`).toContain(s.status);
        }
        // Playlists come from the service, never from the edge.
        const playlists = seen.filter((s) => /\.m3u8$/.test(new URL(s.url).pathname));
        expect(playlists.length).toBeGreaterThan(0);
        for (const s of playlists) expect(new URL(s.url).origin).toBe(new URL(stack.appUrl).origin);
        // The edge's own log agrees: nothing under this video was refused (304 = the browser
        // revalidating a cached object, e.g. the AES key fetched once per segment).
        const refused = stack.edgeLines.filter((l) => String(l.path).startsWith(`/${id}/`) && Number(l.status) >= 400);
        expect(refused, diagnostics()).toEqual([]);

        const paths = media.map((s) => new URL(s.url).pathname);
        if (id === 'demo') {
          expect(paths.some((p) => /^\/demo\/(180p|360p)\/seg_\d+\.ts$/.test(p)), paths.join(', ')).toBe(true);
          expect(paths, 'the AES-128 key of the 360p rendition was never fetched').toContain('/demo/keys/360p.key');
        } else {
          expect(paths).toContain('/demo-fmp4/v0/init.mp4');
          expect(paths.some((p) => /^\/demo-fmp4\/v0\/seg_\d+\.m4s$/.test(p))).toBe(true);
        }
      } finally {
        await context.close();
      }
    }, 60_000);
  }
});

describe('the edge refuses what CloudFront would refuse', () => {
  let stack: TestStack;
  let signedSegment: URL;

  beforeAll(async () => {
    stack = await startTestStack();
    const res = await fetch(`${stack.appUrl}/videos/demo/media/360p/index.m3u8`);
    expect(res.status).toBe(200);
    const first = (await res.text()).split('\n').find((l) => l.startsWith('http'));
    if (!first) throw new Error('the rewritten 360p playlist holds no absolute segment URL');
    signedSegment = new URL(first);
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  async function get(url: string | URL): Promise<{ status: number; body: string }> {
    const res = await fetch(url);
    return { status: res.status, body: await res.text() };
  }

  const bare = (): string => `${signedSegment.origin}${signedSegment.pathname}`;

  it('serves the URL exactly as the service signed it', async () => {
    expect(signedSegment.origin).toBe(new URL(stack.edgeUrl).origin);
    expect(signedSegment.pathname).toBe('/demo/360p/seg_000.ts');
    const res = await fetch(signedSegment);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
  });

  it('no signature: 403 MissingKey', async () => {
    const r = await get(bare());
    expect(r.status).toBe(403);
    expect(r.body).toContain('<Code>MissingKey</Code>');
  });

  it('expired: 403 AccessDenied', async () => {
    const key = loadSigningKey({ keyPairId: stack.keyPairId, privateKeyPem: stack.privateKeyPem });
    const expired = signUrl(bare(), key, { expires: Math.floor(Date.now() / 1000) - 60 });
    const r = await get(expired);
    expect(r.status).toBe(403);
    expect(r.body).toContain('<Code>AccessDenied</Code>');
    // The same key and URL with a future expiry is accepted (so the refusal above is the expiry).
    expect((await get(signUrl(bare(), key, { expires: Math.floor(Date.now() / 1000) + 600 }))).status).toBe(200);
  });

  it('one flipped character in the signature: 403 AccessDenied', async () => {
    const u = new URL(signedSegment);
    const sig = u.searchParams.get('Signature')!;
    const i = Math.floor(sig.length / 2);
    const flipped = sig.slice(0, i) + (sig[i] === 'A' ? 'B' : 'A') + sig.slice(i + 1);
    u.searchParams.set('Signature', flipped);
    const r = await get(u);
    expect(r.status).toBe(403);
    expect(r.body).toContain('<Code>AccessDenied</Code>');
  });

  it("another video's object with demo's wildcard signature: 403 AccessDenied", async () => {
    const other = `${signedSegment.origin}/demo-fmp4/v0/seg_000.m4s${signedSegment.search}`;
    const r = await get(other);
    expect(r.status).toBe(403);
    expect(r.body).toContain('<Code>AccessDenied</Code>');
  });

  it('`hlsgate verify` agrees with the edge on every one of these URLs', async () => {
    const key = loadSigningKey({ keyPairId: stack.keyPairId, privateKeyPem: stack.privateKeyPem });
    const now = Math.floor(Date.now() / 1000);
    const flipped = new URL(signedSegment);
    const sig = flipped.searchParams.get('Signature') ?? '';
    // Change one character (the old `(sig[5] === 'A' ? 'B' : 'A') + sig.slice(1)` replaced the
    // first one by a letter it could already be, leaving the signature valid now and then).
    flipped.searchParams.set('Signature', sig.slice(0, 5) + (sig[5] === 'A' ? 'B' : 'A') + sig.slice(6));
    const unknown = new URL(signedSegment);
    unknown.searchParams.set('Key-Pair-Id', 'KUNKNOWNKEY0000');
    const cases: [string, string][] = [
      ['OK', signedSegment.href],
      ['MissingKey', bare()],
      ['Expired', signUrl(bare(), key, { expires: now - 60 })],
      ['BadSignature', flipped.href],
      ['ResourceMismatch', `${signedSegment.origin}/demo-fmp4/v0/seg_000.m4s${signedSegment.search}`],
      ['UnknownKey', unknown.href],
    ];
    const publicKeyFile = join(stack.dataDir, 'verify-public.pem');
    writeFileSync(publicKeyFile, stack.publicKeyPem);
    for (const [expected, url] of cases) {
      const before = stack.edgeLines.length;
      const res = await fetch(url);
      const edgeStatus = res.status;
      await res.arrayBuffer();
      // The edge logs its line when the response ends, which may be just after the body arrives.
      const lineFor = () => stack.edgeLines.slice(before).find((l) => l.path === new URL(url).pathname);
      for (let i = 0; i < 50 && !lineFor(); i++) await new Promise((r) => setTimeout(r, 20));
      const edgeVerdict = lineFor()?.verdict;
      const out: string[] = [];
      const code = await main(['verify', url, '--public-key-file', publicKeyFile, '--key-pair-id', stack.keyPairId], {
        stdout: (t) => out.push(t),
        stderr: () => undefined,
        env: {},
        readStdin: () => Promise.resolve(''),
        now: () => Date.now(),
      });
      const cliVerdict = /verdict: (\w+)/.exec(out.join('\n'))?.[1];
      expect({ url: url.split('?')[0], cliVerdict, edgeVerdict }).toEqual({ url: url.split('?')[0], cliVerdict: expected, edgeVerdict: expected });
      expect(code === 0).toBe(edgeStatus === 200);
    }
  });

  it('an unknown key pair id: 403 Unknown Key', async () => {
    const u = new URL(signedSegment);
    u.searchParams.set('Key-Pair-Id', 'KUNKNOWNKEY0000');
    const r = await get(u);
    expect(r.status).toBe(403);
    expect(r.body).toMatch(/<Code>(InvalidKey|AccessDenied)<\/Code>/);
    expect(r.body).toContain('Unknown Key');
  });
});
