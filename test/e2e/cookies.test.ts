// Browser end-to-end, SIGNING_MODE=cookies: the playlists carry plain CDN URLs and the playlist
// responses set CloudFront-* cookies for host 127.0.0.1 (no Domain). The app (127.0.0.1:APP) and
// the local edge (127.0.0.1:EDGE) share the host, and cookies are per host, not per port, so the
// browser sends them to the edge; the player sends credentials (withCredentials) and the edge's CORS
// allows them. Without the cookies the edge refuses like CloudFront: 403 MissingKey.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserDiagnostics, hasChromium, launchBrowser, newTestPage, recordRequests, startMutedPlayback } from '../helpers/browser.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

const MEDIA = /\.(ts|m4s|mp4|key)$/i;

describe.skipIf(!hasChromium())('browser playback with CloudFront signed cookies (SIGNING_MODE=cookies)', () => {
  let stack: TestStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startTestStack({ signingMode: 'cookies' });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('plays the demo with every segment and key authorized by cookies, none by query', async () => {
    const { context, page, consoleLines } = await newTestPage(browser);
    const seen = recordRequests(page);
    const diagnostics = (): string =>
      browserDiagnostics(
        consoleLines,
        seen.map((s) => `${s.url.split('?')[0]} -> ${s.status ?? 'pending'} cookie=${s.cookie ? 'yes' : 'no'}`),
        stack.edgeLines,
      );
    try {
      await page.goto(`${stack.appUrl}/videos/demo`, { waitUntil: 'load' });
      expect(await page.getAttribute('#player', 'data-signing-mode')).toBe('cookies');
      await startMutedPlayback(page);
      await page
        .waitForFunction(
          () => {
            const w = window as unknown as { __hlsgatePlayer: { currentTime(): number; error(): unknown } };
            return w.__hlsgatePlayer.currentTime() > 3 || w.__hlsgatePlayer.error() !== null;
          },
          undefined,
          { timeout: 30_000 },
        )
        .catch(() => undefined);
      const state = await page.evaluate(() => {
        const w = window as unknown as { __hlsgatePlayer: { currentTime(): number; error(): unknown }; __hlsgateErrors: unknown[] };
        return { t: w.__hlsgatePlayer.currentTime(), error: w.__hlsgatePlayer.error(), errors: w.__hlsgateErrors };
      });
      expect(state.error, diagnostics()).toBeNull();
      expect(state.errors).toEqual([]);
      expect(state.t, diagnostics()).toBeGreaterThan(3);

      // The browser holds the CloudFront cookies for host 127.0.0.1, scoped to the video's prefix.
      const cookies = await context.cookies(`${stack.edgeUrl}/demo/`);
      const names = cookies.map((c) => c.name).sort();
      expect(names).toEqual(expect.arrayContaining(['CloudFront-Key-Pair-Id', 'CloudFront-Policy', 'CloudFront-Signature']));
      for (const c of cookies.filter((x) => x.name.startsWith('CloudFront-'))) {
        expect(c.path).toBe('/demo/');
        expect(c.httpOnly).toBe(true);
        expect(c.secure).toBe(false);
        expect(c.sameSite).toBe('Lax');
      }

      const edgeOrigin = new URL(stack.edgeUrl).origin;
      const media = seen.filter((s) => MEDIA.test(new URL(s.url).pathname));
      expect(media.length, diagnostics()).toBeGreaterThan(0);
      for (const s of media) {
        const u = new URL(s.url);
        expect(u.origin).toBe(edgeOrigin);
        expect(u.search, `${u.pathname} carried a query`).toBe('');
        expect(s.url).not.toContain('Signature=');
      }
      // The browser attached the cookies (a request answered from its cache may show no headers).
      expect(media.filter((s) => /CloudFront-Signature=/.test(s.cookie ?? '')).length, diagnostics()).toBeGreaterThan(0);
      expect(media.map((s) => new URL(s.url).pathname)).toContain('/demo/keys/360p.key');
      // The edge accepted every request under the video: with no signing query, only the cookies can
      // have authorized them (the edge never mixes the two sources).
      const demoLines = stack.edgeLines.filter((l) => String(l.path).startsWith('/demo/') && l.method !== 'OPTIONS');
      expect(demoLines.length).toBeGreaterThan(0);
      expect(demoLines.filter((l) => l.verdict !== 'OK'), diagnostics()).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('the same segment without the cookies is refused 403 MissingKey, with them it is served', async () => {
    const res = await fetch(`${stack.appUrl}/videos/demo/media/360p/index.m3u8`);
    expect(res.status).toBe(200);
    const body = await res.text();
    const segment = body.split('\n').find((l) => l.startsWith('http'))!;
    expect(segment).toBe(`${stack.edgeUrl}/demo/360p/seg_000.ts`);
    const bare = await fetch(segment);
    expect(bare.status).toBe(403);
    expect(await bare.text()).toContain('<Code>MissingKey</Code>');
    const cookieHeader = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    expect(cookieHeader).toMatch(/CloudFront-Policy=/);
    const withCookies = await fetch(segment, { headers: { cookie: cookieHeader } });
    expect(withCookies.status).toBe(200);
    // Another video's objects are outside the policy's resource.
    const other = await fetch(`${stack.edgeUrl}/demo-fmp4/v0/init.mp4`, { headers: { cookie: cookieHeader } });
    expect(other.status).toBe(403);
  });
});
