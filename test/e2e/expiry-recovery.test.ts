// Browser end-to-end: playback that survives expiry. The stack runs on a clock the test moves (the
// service and the edge share it), so "pause for two hours" takes no time: the edge then sees every
// signature in the player's playlists as expired and answers 403 to the next segment. The page must
// fetch a fresh playlist and resume where the viewer was, with no visible error; and when the viewer
// is no longer entitled (the viewing token expired too), say so instead of looping.
//
// The video is four 3-second sample segments repeated twenty times (4 minutes, one discontinuity
// per loop): longer than the player's forward buffer, so playing on after the pause needs new
// segments from the edge.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintViewerToken } from '../../src/adapters/viewer-tokens.js';
import { hasChromium, launchBrowser, newTestPage, startMutedPlayback } from '../helpers/browser.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

const SECRET = 'expiry-recovery-e2e-secret-32byte';
const ADMIN_TOKEN = 'expiry-recovery-admin-token';
const LOOPS = 20;
const TWO_HOURS_MS = 2 * 3600_000;

function longMediaPlaylist(): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:3', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD'];
  lines.push('#EXT-X-KEY:METHOD=AES-128,URI="../keys/360p.key",IV=0x000102030405060708090a0b0c0d0e0f');
  for (let loop = 0; loop < LOOPS; loop++) {
    if (loop > 0) lines.push('#EXT-X-DISCONTINUITY');
    for (let i = 0; i < 4; i++) lines.push('#EXTINF:3.000000,', `seg_00${i}.ts`);
  }
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}

const MASTER = [
  '#EXTM3U',
  '#EXT-X-VERSION:6',
  '#EXT-X-STREAM-INF:BANDWIDTH=290816,RESOLUTION=640x360,CODECS="avc1.4d401e,mp4a.40.2"',
  '360p/long.m3u8',
  '',
].join('\n');

interface PageState {
  t: number;
  paused: boolean;
  error: unknown;
  errors: unknown[];
  recoveries: { reason: string; at: number; play: boolean }[];
  notice: string | null;
  noticeVisible: boolean;
  errorClass: boolean;
}

async function state(page: Page): Promise<PageState> {
  return page.evaluate(() => {
    const w = window as unknown as {
      __hlsgatePlayer: { currentTime(): number; paused(): boolean; error(): unknown; hasClass(c: string): boolean };
      __hlsgateErrors: unknown[];
      __hlsgateRecoveries: PageState['recoveries'];
    };
    const notice = document.getElementById('player-notice');
    return {
      t: w.__hlsgatePlayer.currentTime(),
      paused: w.__hlsgatePlayer.paused(),
      error: w.__hlsgatePlayer.error(),
      errors: [...(w.__hlsgateErrors ?? [])],
      recoveries: [...(w.__hlsgateRecoveries ?? [])],
      notice: notice && !notice.hidden ? notice.textContent : null,
      noticeVisible: Boolean(notice && !notice.hidden && notice.getBoundingClientRect().height > 0),
      errorClass: w.__hlsgatePlayer.hasClass('vjs-error'),
    };
  });
}

async function until(page: Page, what: string, test: (s: PageState) => boolean, timeoutMs: number, diagnostics: () => string): Promise<PageState> {
  const deadline = Date.now() + timeoutMs;
  let s = await state(page);
  while (!test(s)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; state ${JSON.stringify(s)}\n${diagnostics()}`);
    await page.waitForTimeout(100);
    s = await state(page);
  }
  return s;
}

describe.skipIf(!hasChromium())('playback that survives expiry', () => {
  let stack: TestStack;
  let browser: Browser;
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;

  beforeAll(async () => {
    stack = await startTestStack({
      clock,
      ttlSeconds: 60,
      expiryMarginSeconds: 30,
      adminToken: ADMIN_TOKEN,
      viewerAuth: { mode: 'jwt', key: { kind: 'secret', secret: SECRET }, clockSkewSeconds: 30 },
    });
    const s3 = new S3Client({ endpoint: stack.s3Endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    try {
      for (const [key, body] of [
        ['demo/long-master.m3u8', MASTER],
        ['demo/360p/long.m3u8', longMediaPlaylist()],
      ] as const) {
        const bytes = Buffer.from(body, 'utf8');
        await s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: bytes, ContentLength: bytes.byteLength }));
      }
    } finally {
      s3.destroy();
    }
    const res = await fetch(`${stack.appUrl}/api/videos/long`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ playlistKey: 'demo/long-master.m3u8', title: 'Four minutes' }),
    });
    expect(res.status).toBe(201);
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function openAndPlay(ttlSeconds: number): Promise<{ page: Page; close: () => Promise<void>; diagnostics: () => string; responses: string[] }> {
    const { context, page, consoleLines } = await newTestPage(browser);
    const requests: string[] = [];
    page.on('response', (r) => requests.push(`${r.status()} ${r.url().split('?')[0]}${r.url().includes('?r=') ? ' (refetch)' : ''}`));
    const edgeFrom = stack.edgeLines.length;
    const diagnostics = (): string =>
      [
        `console:\n  ${consoleLines.join('\n  ')}`,
        `responses:\n  ${requests.join('\n  ')}`,
        `edge:\n  ${stack.edgeLines
          .slice(edgeFrom)
          .map((l) => `${String(l.status)} ${String(l.path)} ${String(l.verdict)}`)
          .join('\n  ')}`,
      ].join('\n');
    const token = await mintViewerToken({ secret: SECRET, videos: ['long'], ttlSeconds, nowMs: clock() });
    const res = await page.goto(`${stack.appUrl}/videos/long?token=${token}`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    // The token left the address bar (redirected to the clean URL after the cookie was set).
    expect(page.url()).toBe(`${stack.appUrl}/videos/long`);
    await startMutedPlayback(page);
    await until(page, 'playback past 2 s', (s) => s.t > 2 || s.error !== null, 30_000, diagnostics);
    return { page, close: () => context.close(), diagnostics, responses: requests };
  }

  async function pauseAndAdvance(page: Page, diagnostics: () => string): Promise<number> {
    await page.evaluate(() => (window as unknown as { __hlsgatePlayer: { pause(): void } }).__hlsgatePlayer.pause());
    const paused = await until(page, 'pause', (s) => s.paused, 5_000, diagnostics);
    // Let the forward buffer settle, then "two hours" pass: every signature handed out is now expired.
    await page.waitForTimeout(1_000);
    offsetMs += TWO_HOURS_MS;
    return paused.t;
  }

  async function resume(page: Page): Promise<void> {
    await page.evaluate(() => {
      const p = (window as unknown as { __hlsgatePlayer: { play(): Promise<void> | undefined } }).__hlsgatePlayer;
      void p.play()?.catch(() => undefined);
    });
  }

  it('signatures expire during a pause: on resume the page refetches the playlist and plays on from the same position, with no error shown', async () => {
    const { page, close, diagnostics, responses } = await openAndPlay(24 * 3600);
    try {
      const pausedAt = await pauseAndAdvance(page, diagnostics);
      const edgeBefore = stack.edgeLines.length;
      await resume(page);

      // The edge refuses the next segment (expired) and the page recovers.
      const recovered = await until(page, 'a recovery', (s) => s.recoveries.length > 0 || s.error !== null || s.notice !== null, 30_000, diagnostics);
      expect(recovered.error, diagnostics()).toBeNull();
      expect(recovered.recoveries[0]!.reason).toBe('cdn-403');
      const at = recovered.recoveries[0]!.at;
      expect(at, 'recovered from where the viewer was').toBeGreaterThanOrEqual(pausedAt);
      const refusals = stack.edgeLines.slice(edgeBefore).filter((l) => Number(l.status) === 403);
      expect(refusals.length, diagnostics()).toBeGreaterThan(0);
      expect(refusals.every((l) => l.verdict === 'Expired'), diagnostics()).toBe(true);

      // Playback continues past the old position, on freshly signed segments, with no error shown.
      let minAfter = Infinity;
      const done = await until(
        page,
        'playback 4 s past the recovery point',
        (s) => {
          if (s.recoveries.length === recovered.recoveries.length && s.t > 0) minAfter = Math.min(minAfter, s.t);
          return s.t > at + 4 || s.error !== null || s.notice !== null;
        },
        30_000,
        diagnostics,
      );
      expect(done.error, diagnostics()).toBeNull();
      expect(done.errors).toEqual([]);
      expect(done.errorClass).toBe(false);
      expect(done.notice).toBeNull();
      expect(done.recoveries).toHaveLength(1);
      expect(minAfter, 'resumed at the same position, not from the start').toBeGreaterThan(at - 1.5);
      // The fresh playlist came from hlsgate (top and nested), newly signed.
      expect(responses.filter((r) => r.startsWith('200 ') && r.endsWith('/videos/long/playlist.m3u8 (refetch)')), diagnostics()).toHaveLength(1);
      const servedAfter = stack.edgeLines.slice(edgeBefore).filter((l) => /\/seg_\d+\.ts$/.test(String(l.path)) && Number(l.status) === 200);
      expect(servedAfter.length, diagnostics()).toBeGreaterThan(0);
    } finally {
      await close();
    }
  }, 90_000);

  it('when the viewing token has expired too, the page shows a clear message instead of looping', async () => {
    const { page, close, diagnostics, responses } = await openAndPlay(300);
    try {
      await pauseAndAdvance(page, diagnostics);
      await resume(page);
      const s = await until(page, 'the not-entitled message', (x) => x.notice !== null || x.error !== null, 30_000, diagnostics);
      expect(s.notice, diagnostics()).toMatch(/^The viewing token has expired: open the video again from the site that sent you here\.$/);
      expect(s.noticeVisible).toBe(true);
      expect(s.error).toBeNull();
      expect(s.errorClass).toBe(false);
      // No loop: one recovery attempt, then the message; the player stays paused.
      await page.waitForTimeout(2_000);
      const later = await state(page);
      expect(later.recoveries.length).toBe(1);
      expect(later.paused).toBe(true);
      expect(later.notice).toBe(s.notice);
      expect(responses.filter((r) => r.startsWith('401 ') && r.includes('/videos/long/playlist.m3u8')), diagnostics()).toHaveLength(1);
    } finally {
      await close();
    }
  }, 90_000);
});
