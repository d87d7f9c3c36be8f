// Browser end-to-end: the player page's recovery when it cannot work. A fresh playlist cures
// expired signatures; it cannot cure a CDN whose clock is off, a key removed from the key group, or
// a proxy that strips queries. Then every attempt must end (refused, or no progress before its
// deadline), at most 3 attempts without progress, then a message that says what happened and what
// to do, and no request after it. In both signing modes, and when only the key or the init segment
// is refused. The successful recovery (the issue's numbers: paused at 3 s, seek to 65 s) is checked
// here in cookies mode; test/e2e/expiry-recovery.test.ts covers it in URL mode.
//
// "The CDN's clock is off": the stacks' edges run on the stack's clock plus `edgeSkewMs` (startEdge
// is wrapped below; the service keeps the stack's clock), so with the skew at two hours even the
// signatures in a fresh playlist are expired at the edge.
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { hasChromium, launchBrowser, newTestPage, startMutedPlayback } from '../helpers/browser.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import type * as EdgeModule from '../../src/edge/index.js';
import { addLongVideos, describeRequests, logRequests, playerCall, refetches, waitForQuiet, waitForState, type LoggedRequest, type PlayerState } from './player-page.js';

const time = vi.hoisted(() => ({ offsetMs: 0, edgeSkewMs: 0 }));

vi.mock('../../src/edge/index.js', async (importOriginal) => {
  const edge = await importOriginal<typeof EdgeModule>();
  return {
    ...edge,
    startEdge: (o: Parameters<typeof edge.startEdge>[0]) => {
      const base = o.clock ?? Date.now;
      return edge.startEdge({ ...o, clock: () => base() + time.edgeSkewMs });
    },
  };
});

const ADMIN_TOKEN = 'recovery-limits-admin-token';
const TWO_HOURS_MS = 2 * 3600_000;
/** What the issue asks for: the message within 40 s of the first refusal. */
const MESSAGE_WITHIN_MS = 40_000;
/** How long the page must stay silent after the message. */
const QUIET_MS = 3_000;
const GIVE_UP = /^Playback stopped: the video server refused this video's files \(403 AccessDenied\), 3 times in a row\. Reload the page to try again\. If it keeps happening, contact the site that sent you here and mention AccessDenied\.$/;

const clock = (): number => Date.now() + time.offsetMs;

/** The requests the browser started around the message, relative to it. */
function afterText(started: Opened['started'], noticeAt: number): string {
  return started
    .filter((r) => r.at > noticeAt - 3_000)
    .map((r) => `${r.at - noticeAt} ms: ${r.url.split('?')[0]}${/[?&]r=/.test(r.url) ? ' (refetch)' : ''}`)
    .join('\n  ');
}

interface Opened {
  page: Page;
  /** Every request the browser started, with its own start time (CDP requestWillBeSent). */
  started: { at: number; url: string }[];
  /** Where the edge's log stood when the page was opened. */
  edgeFrom: number;
  requests: LoggedRequest[];
  diagnostics: () => string;
  close: () => Promise<void>;
}

describe.skipIf(!hasChromium())('player recovery that cannot work ends with a clear message', () => {
  const stacks: Partial<Record<'wildcard' | 'cookies', TestStack>> = {};
  let browser: Browser;

  beforeAll(async () => {
    const [wildcard, cookies, b] = await Promise.all([
      startTestStack({ clock, adminToken: ADMIN_TOKEN }),
      startTestStack({ clock, adminToken: ADMIN_TOKEN, signingMode: 'cookies' }),
      launchBrowser(),
    ]);
    stacks.wildcard = wildcard;
    stacks.cookies = cookies;
    browser = b;
    await Promise.all([addLongVideos(wildcard, ADMIN_TOKEN), addLongVideos(cookies, ADMIN_TOKEN)]);
  }, 60_000);

  afterEach(() => {
    time.edgeSkewMs = 0;
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([stacks.wildcard?.close(), stacks.cookies?.close()]);
  });

  async function open(stack: TestStack, videoId: string, before?: (page: Page) => Promise<void>): Promise<Opened> {
    const { context, page, consoleLines } = await newTestPage(browser);
    const requests = logRequests(page);
    const edgeFrom = stack.edgeLines.length;
    const diagnostics = (): string =>
      [
        `console:\n  ${consoleLines.join('\n  ')}`,
        `requests:\n  ${describeRequests(requests)}`,
        `edge:\n  ${stack.edgeLines
          .slice(edgeFrom)
          .map((l) => `${String(l.status)} ${String(l.path)} ${String(l.verdict)}`)
          .join('\n  ')}`,
      ].join('\n');
    // The long videos repeat four segment URLs, which real media does not: with the browser's
    // cache on, a seek could be served from it and never reach the edge.
    const cdp = await context.newCDPSession(page);
    const started: Opened['started'] = [];
    cdp.on('Network.requestWillBeSent', (e) => started.push({ at: Math.round(e.wallTime * 1000), url: e.request.url }));
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    if (before) await before(page);
    const res = await page.goto(`${stack.appUrl}/videos/${videoId}`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    return { page, started, edgeFrom, requests, diagnostics, close: () => context.close() };
  }

  async function playPastTwoSeconds(o: Opened, stack: TestStack): Promise<number> {
    await startMutedPlayback(o.page);
    await waitForState(o.page, 'playback past 2 s', (s) => s.t > 2 || s.error !== null, 30_000, o.diagnostics);
    await playerCall(o.page, 'pause');
    const paused = await waitForState(o.page, 'pause', (s) => s.paused, 5_000, o.diagnostics);
    // Let the forward buffer fill (the player buffers about 30 s ahead; 65 s is beyond it), so that
    // no request is under way, or about to start, when the clock moves.
    await o.page.waitForFunction(
      (t) => {
        const p = (window as unknown as { __hlsgatePlayer: { bufferedEnd(): number } }).__hlsgatePlayer;
        return p.bufferedEnd() >= t + 24;
      },
      paused.t,
      { timeout: 30_000, polling: 100 },
    );
    await waitForQuiet(o.page, o.requests, stack.edgeUrl, 1_000, 30_000);
    return paused.t;
  }

  async function seekAndPlay(page: Page, to: number): Promise<void> {
    await playerCall(page, 'currentTime', to);
    await playerCall(page, 'play');
  }

  /** Waits for the message, then checks the page stays silent; returns the state and timings. */
  async function giveUpAndSilence(o: Opened, since: number): Promise<{ s: PlayerState; messageMs: number; after: Opened['started']; noticeAt: number }> {
    const s = await waitForState(o.page, 'the give-up message', (x) => x.notice !== null || x.errorClass, MESSAGE_WITHIN_MS + 5_000, o.diagnostics);
    const noticeAt = await o.page.evaluate(() => (window as unknown as { __hlsgateNoticeAt: number }).__hlsgateNoticeAt);
    await o.page.waitForTimeout(QUIET_MS);
    // Requests the browser started after the message, by its own start times (on a busy machine
    // the test hears of a request well after it started).
    const after = o.started.filter((r) => r.at > noticeAt);
    return { s, messageMs: noticeAt - since, after, noticeAt };
  }

  for (const mode of ['wildcard', 'cookies'] as const) {
    it(`${mode}: an edge whose clock is off refuses even fresh signatures: 3 playlist refetches, then a message and silence`, async () => {
      const stack = stacks[mode]!;
      const o = await open(stack, 'long');
      try {
        await playPastTwoSeconds(o, stack);
        time.edgeSkewMs = TWO_HOURS_MS;
        const from = o.requests.length;
        const edgeFrom = stack.edgeLines.length;
        const since = Date.now();
        await seekAndPlay(o.page, 65);

        const { s, messageMs, after, noticeAt } = await giveUpAndSilence(o, since);
        expect(s.notice, o.diagnostics()).toMatch(GIVE_UP);
        expect(s.noticeVisible).toBe(true);
        expect(s.reloadButton).toBe(true);
        expect(messageMs, 'message within 40 s').toBeLessThan(MESSAGE_WITHIN_MS);
        expect(after.map((r) => r.url), `no request after the message (at ${noticeAt}):\n  ${afterText(o.started, noticeAt)}`).toEqual([]);
        const fetched = refetches(o.requests.slice(from), 'long');
        expect(fetched.length, o.diagnostics()).toBe(3);
        expect(fetched.every((r) => r.status === 200), 'hlsgate served every fresh playlist').toBe(true);
        expect(s.recoveries.map((r) => r.outcome)).toEqual(['failed: cdn-403 AccessDenied', 'failed: cdn-403 AccessDenied', 'failed: cdn-403 AccessDenied']);
        expect(s.recoveries.every((r) => Math.abs(r.at - 65) < 0.5), 'every attempt aimed at the seek target').toBe(true);
        // The edge refused every media request after the skew (the seek and each fresh source at
        // least once), each time because of the expiry, and served nothing.
        const edge = stack.edgeLines.slice(edgeFrom).filter((l) => l.method !== 'OPTIONS');
        expect(edge.length, o.diagnostics()).toBeGreaterThanOrEqual(4);
        expect(edge.every((l) => Number(l.status) === 403 && l.verdict === 'Expired'), o.diagnostics()).toBe(true);
        // The message explains it: no player error display on top of it.
        expect(s.errorClass).toBe(false);
        expect(s.errors).toEqual([]);
        expect(s.paused).toBe(true);
        console.info(`[recovery-limits] ${mode}: clock off: ${fetched.length} refetches, message after ${messageMs} ms, ${after.length} requests in ${QUIET_MS} ms after it`);
      } finally {
        await o.close();
      }
    }, 90_000);
  }

  for (const [what, videoId, pattern] of [
    ['the key', 'long', /\/keys\/360p\.key$/],
    ['the init segment', 'long-fmp4', /\/init\.mp4$/],
  ] as const) {
    it(`cookies: only ${what} refused (the rest is served): 3 refetches, then the message and silence`, async () => {
      const stack = stacks.cookies!;
      let refused = 0;
      const refuse = async (route: Route): Promise<void> => {
        refused++;
        // What the edge answers a refused request (CloudFront's XML, CORS for the app's origin).
        await route.fulfill({
          status: 403,
          contentType: 'text/xml',
          headers: { 'access-control-allow-origin': stack.appUrl, 'access-control-allow-credentials': 'true', vary: 'Origin' },
          body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>',
        });
      };
      const o = await open(stack, videoId, async (page) => {
        await page.route((url) => url.origin === new URL(stack.edgeUrl).origin && pattern.test(url.pathname), refuse);
      });
      try {
        const since = Date.now();
        await startMutedPlayback(o.page);
        const { s, messageMs, after, noticeAt } = await giveUpAndSilence(o, since);
        expect(s.notice, o.diagnostics()).toMatch(GIVE_UP);
        expect(s.noticeVisible).toBe(true);
        expect(after.map((r) => r.url), `no request after the message (at ${noticeAt}):\n  ${afterText(o.started, noticeAt)}`).toEqual([]);
        expect(refetches(o.requests, videoId).length, o.diagnostics()).toBe(3);
        // The first load and each of the 3 attempts were refused there; the edge refused nothing.
        expect(refused).toBeGreaterThanOrEqual(4);
        expect(s.recoveries.map((r) => r.outcome)).toEqual(['failed: cdn-403 AccessDenied', 'failed: cdn-403 AccessDenied', 'failed: cdn-403 AccessDenied']);
        expect(stack.edgeLines.slice(o.edgeFrom).filter((l) => Number(l.status) >= 400)).toEqual([]);
        expect(s.errorClass).toBe(false);
        expect(s.t).toBe(0);
        console.info(`[recovery-limits] cookies, ${what} refused: message after ${messageMs} ms, ${refused} refusals`);
      } finally {
        await o.close();
      }
    }, 60_000);
  }

  it('wildcard: a cold start against an edge whose clock is off, two renditions: the message, and the player does not go on to the other rendition', async () => {
    // Left alone, Video.js would hop between the two renditions every second or so for ever; the
    // page stops the player when it gives up.
    const stack = stacks.wildcard!;
    time.edgeSkewMs = TWO_HOURS_MS;
    const o = await open(stack, 'demo');
    try {
      const since = Date.now();
      await startMutedPlayback(o.page);
      const { s, messageMs, after, noticeAt } = await giveUpAndSilence(o, since);
      expect(s.notice, o.diagnostics()).toMatch(GIVE_UP);
      expect(after.map((r) => r.url), `no request after the message (at ${noticeAt}):\n  ${afterText(o.started, noticeAt)}`).toEqual([]);
      expect(refetches(o.requests, 'demo').length, o.diagnostics()).toBe(3);
      const edge = stack.edgeLines.slice(o.edgeFrom).filter((l) => l.method !== 'OPTIONS');
      expect(edge.every((l) => Number(l.status) === 403 && l.verdict === 'Expired'), o.diagnostics()).toBe(true);
      console.info(`[recovery-limits] wildcard, two renditions, clock off from the start: message after ${messageMs} ms`);
    } finally {
      await o.close();
    }
  }, 60_000);

  it('wildcard: an attempt that gets no answer at all ends at its deadline, and the next one recovers', async () => {
    const stack = stacks.wildcard!;
    const o = await open(stack, 'long');
    try {
      await playPastTwoSeconds(o, stack);
      // From now on, segments of the current source are refused; those of the first fresh source
      // are never answered; those of the second go to the edge (its clock is right: they work).
      await o.page.route(
        (url) => url.origin === new URL(stack.edgeUrl).origin && /\/seg_\d+\.ts$/.test(url.pathname),
        async (route) => {
          const fresh = refetches(o.requests, 'long').length;
          if (fresh === 0) {
            await route.fulfill({ status: 403, contentType: 'text/xml', headers: { 'access-control-allow-origin': stack.appUrl, vary: 'Origin' }, body: '<Error><Code>AccessDenied</Code></Error>' });
          } else if (fresh > 1) {
            await route.continue();
          }
          // fresh === 1: no answer, ever.
        },
      );
      const since = Date.now();
      await seekAndPlay(o.page, 65);
      const s = await waitForState(o.page, 'playback past 66 s', (x) => x.t > 66 || x.notice !== null || x.errorClass, 40_000, o.diagnostics);
      const recoveredMs = Date.now() - since;
      expect(s.notice, o.diagnostics()).toBeNull();
      expect(s.errorClass).toBe(false);
      expect(s.recoveries.map((r) => r.outcome), o.diagnostics()).toEqual(['failed: no progress in 10 s', 'ok']);
      const gap = s.recoveries[1]!.time - s.recoveries[0]!.time;
      // 10 s after its last sign of life (the fresh playlists' answers, a moment after it began);
      // well short of the 30 s cap.
      expect(gap, 'the stalled attempt lasted its deadline').toBeGreaterThanOrEqual(10_000);
      expect(gap).toBeLessThan(16_000);
      expect(s.recoveries[1]!.at).toBeCloseTo(65, 0);
      expect(refetches(o.requests, 'long')).toHaveLength(2);
      console.info(`[recovery-limits] stalled attempt: next attempt after ${gap} ms, playing past 66 s after ${recoveredMs} ms`);
    } finally {
      await o.close();
    }
  }, 90_000);

  it('cookies: signatures expired during a pause at 3 s, seek to 65 s: one refusal, one fresh playlist, playback at 65 s', async () => {
    const stack = stacks.cookies!;
    const o = await open(stack, 'long');
    try {
      await playPastTwoSeconds(o, stack);
      // Two hours pass for everyone (service and edge): the cookies the browser holds are expired.
      time.offsetMs += TWO_HOURS_MS;
      const from = o.requests.length;
      const edgeFrom = stack.edgeLines.length;
      const since = Date.now();
      await seekAndPlay(o.page, 65);
      let resumedAt: number | undefined;
      const s = await waitForState(
        o.page,
        'playback at 65 s',
        (x) => {
          if (resumedAt === undefined && !x.paused && !x.seeking && x.t >= 65 && x.t < 66.5 && x.recoveries.some((r) => r.outcome === 'ok')) resumedAt = Date.now();
          return x.t > 67 || x.notice !== null || x.errorClass;
        },
        30_000,
        o.diagnostics,
      );
      expect(s.notice, o.diagnostics()).toBeNull();
      expect(s.errorClass).toBe(false);
      expect(s.errors).toEqual([]);
      expect(s.recoveries.map((r) => `${r.reason} ${r.outcome}`)).toEqual(['cdn-403 ok']);
      expect(s.recoveries[0]!.at).toBeCloseTo(65, 0);
      expect(refetches(o.requests.slice(from), 'long')).toHaveLength(1);
      const refusals = stack.edgeLines.slice(edgeFrom).filter((l) => Number(l.status) === 403);
      expect(refusals.length, o.diagnostics()).toBeGreaterThan(0);
      expect(refusals.every((l) => l.verdict === 'Expired')).toBe(true);
      expect(resumedAt, 'seen playing between 65 and 66.5 s').toBeDefined();
      const resumeMs = resumedAt! - since;
      // On an idle machine this takes well under a second (CI shares two cores with other suites);
      // a recovery that needed a second attempt would take longer than the 10 s deadline.
      expect(resumeMs).toBeLessThan(10_000);
      console.info(`[recovery-limits] cookies: seek to 65 s to playing at 65 s: ${resumeMs} ms`);
    } finally {
      await o.close();
    }
  }, 60_000);
});
