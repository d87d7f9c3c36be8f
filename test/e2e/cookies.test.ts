// Browser end-to-end, SIGNING_MODE=cookies: the playlists carry plain CDN URLs and the playlist
// responses set CloudFront-* cookies for host 127.0.0.1 (no Domain). The app (127.0.0.1:APP) and
// the local edge (127.0.0.1:EDGE) share the host, and cookies are per host, not per port, so the
// browser sends them to the edge; the player sends credentials (withCredentials) and the edge's CORS
// allows them. Without the cookies the edge refuses like CloudFront: 403 MissingKey.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserDiagnostics, hasChromium, launchBrowser, newTestPage, recordRequests, startMutedPlayback, type SeenRequest } from '../helpers/browser.js';
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

  // Cold starts: the top playlist response sets the cookies, the nested one sets them again, and
  // only the nested playlist names CDN objects, so no CDN request can come first (Chromium stores a
  // response's cookies before the page sees the response). A first segment refused MissingKey was
  // once reported; this guards against it: every cold start (a fresh context: no cookies, no cache)
  // gets its key and first segment from the edge with the cookies, and no 403 anywhere. Two lanes
  // of ten, so twenty page loads fit in about half a minute.
  it('20 cold starts: the key and the first segment are requested with the cookies, never refused', async () => {
    const edgeFrom = stack.edgeLines.length;
    const times: number[] = [];
    const coldStart = async (run: number): Promise<void> => {
      const { context, page, consoleLines } = await newTestPage(browser);
      const seen = recordRequests(page);
      const started = Date.now();
      const diagnostics = (): string =>
        `cold start ${run}\n` +
        browserDiagnostics(
          consoleLines,
          seen.map((s) => `${s.url.split('?')[0]} -> ${s.status ?? 'pending'} cookie=${s.cookie ? 'yes' : 'no'}`),
          [],
        );
      const edgeRequests = (): SeenRequest[] => seen.filter((s) => s.url.startsWith(`${stack.edgeUrl}/`) && s.method !== 'OPTIONS');
      const answered = (re: RegExp): boolean => edgeRequests().some((s) => re.test(new URL(s.url).pathname) && s.status !== undefined);
      try {
        await page.goto(`${stack.appUrl}/videos/demo`, { waitUntil: 'commit' });
        // preload="auto": the player fetches the playlists, the key and the first segment unasked.
        const deadline = Date.now() + 20_000;
        while (!(answered(/\/seg_000\.ts$/) && answered(/\/keys\/\d+p\.key$/)) && !edgeRequests().some((s) => (s.status ?? 0) >= 400)) {
          if (Date.now() > deadline) throw new Error(`no key and first segment from the edge\n${diagnostics()}`);
          await page.waitForTimeout(25);
        }
        times.push(Date.now() - started);
        expect(edgeRequests().filter((s) => s.status !== 200 && s.status !== 206 && s.status !== 304 && s.status !== undefined), diagnostics()).toEqual([]);
        const recoveries = await page.evaluate(() => (window as unknown as { __hlsgateRecoveries?: unknown[] }).__hlsgateRecoveries ?? []);
        expect(recoveries, diagnostics()).toEqual([]);
        // The first segment request went out with the cookies the playlist responses set.
        const seg = seen.find((s) => /\/seg_000\.ts$/.test(new URL(s.url).pathname));
        expect(seg?.cookie ?? '', diagnostics()).toMatch(/CloudFront-Key-Pair-Id=/);
      } finally {
        await context.close();
      }
    };
    const lane = async (first: number): Promise<void> => {
      for (let run = first; run < first + 10; run++) await coldStart(run);
    };
    await Promise.all([lane(0), lane(10)]);
    expect(times).toHaveLength(20);
    // The edge's own account: it refused nothing during the twenty cold starts.
    const refused = stack.edgeLines.slice(edgeFrom).filter((l) => l.method !== 'OPTIONS' && l.verdict !== 'OK');
    expect(refused).toEqual([]);
    console.info(`[cookies] 20 cold starts without a 403; key and first segment answered after ${Math.min(...times)}-${Math.max(...times)} ms`);
  }, 180_000);

  it('a cold start whose first segment is refused MissingKey anyway recovers with one fresh playlist, no error shown', async () => {
    const { context, page, consoleLines } = await newTestPage(browser);
    const seen = recordRequests(page);
    let refused = 0;
    await page.route(
      (url) => url.origin === new URL(stack.edgeUrl).origin && /\/seg_000\.ts$/.test(url.pathname),
      async (route) => {
        if (refused++ > 0) return route.continue();
        // What the edge answers a request without the cookies.
        return route.fulfill({
          status: 403,
          contentType: 'text/xml',
          headers: { 'access-control-allow-origin': stack.appUrl, 'access-control-allow-credentials': 'true', vary: 'Origin' },
          body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>MissingKey</Code><Message>Missing Key-Pair-Id query parameter or cookie value</Message></Error>',
        });
      },
    );
    const diagnostics = (): string => browserDiagnostics(consoleLines, seen.map((s) => `${s.url.split('?')[0]} -> ${s.status ?? 'pending'}`), stack.edgeLines);
    try {
      await page.goto(`${stack.appUrl}/videos/demo`, { waitUntil: 'load' });
      await startMutedPlayback(page);
      await page.waitForFunction(() => (window as unknown as { __hlsgatePlayer: { currentTime(): number } }).__hlsgatePlayer.currentTime() > 2, undefined, { timeout: 30_000 });
      const state = await page.evaluate(() => {
        const w = window as unknown as { __hlsgatePlayer: { error(): unknown }; __hlsgateErrors: unknown[]; __hlsgateRecoveries: { reason: string; outcome: string }[]; __hlsgateNotice?: string };
        return { error: w.__hlsgatePlayer.error(), errors: w.__hlsgateErrors, recoveries: w.__hlsgateRecoveries, notice: w.__hlsgateNotice ?? null };
      });
      expect(refused, diagnostics()).toBeGreaterThanOrEqual(2);
      expect(state.recoveries.map((r) => `${r.reason} ${r.outcome}`), diagnostics()).toEqual(['cdn-403 ok']);
      expect(state.error).toBeNull();
      expect(state.errors).toEqual([]);
      expect(state.notice).toBeNull();
      expect(seen.filter((s) => /\/videos\/demo\/playlist\.m3u8\?r=/.test(s.url))).toHaveLength(1);
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
