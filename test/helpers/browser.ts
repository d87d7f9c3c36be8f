// Headless Chromium for the browser end-to-end tests: Debian's /usr/bin/chromium driven by
// playwright-core (no browser download). One browser per test file, a fresh context per test.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

/** Whether the Chromium binary is present (tests skip with a clear reason when it is not). */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export async function launchBrowser(): Promise<Browser> {
  if (!hasChromium()) throw new Error(`Chromium not found at ${CHROMIUM_PATH}; install it (apt-get install chromium) or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

export interface TestPage {
  context: BrowserContext;
  page: Page;
  /** Browser console lines and page errors, for diagnostics. */
  consoleLines: string[];
}

/** A fresh context (no cookies, no cache) and page; close the context when done. */
export async function newTestPage(browser: Browser): Promise<TestPage> {
  const context = await browser.newContext({ viewport: { width: 1024, height: 720 } });
  const page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  return { context, page, consoleLines };
}

/** One request the page made, as seen so far. */
export interface SeenRequest {
  url: string;
  method: string;
  status?: number;
  failure?: string;
  /** The Cookie header the browser sent, if any. */
  cookie?: string;
}

/** Records every request `page` makes from now on (the array fills in as answers arrive). */
export function recordRequests(page: Page): SeenRequest[] {
  const seen: SeenRequest[] = [];
  const byRequest = new Map<Request, SeenRequest>();
  page.on('request', (req) => {
    const s: SeenRequest = { url: req.url(), method: req.method() };
    byRequest.set(req, s);
    seen.push(s);
    void req
      .allHeaders()
      .then((h) => {
        if (h.cookie) s.cookie = h.cookie;
      })
      .catch(() => undefined);
  });
  page.on('response', (res) => {
    const s = byRequest.get(res.request());
    if (s) s.status = res.status();
  });
  page.on('requestfailed', (req) => {
    const s = byRequest.get(req);
    if (s) s.failure = req.failure()?.errorText ?? 'failed';
  });
  return seen;
}

/** Diagnostics for a failed browser assertion: console lines, one line per request, the edge's log. */
export function browserDiagnostics(consoleLines: readonly string[], requests: readonly string[], edgeLines: readonly Record<string, unknown>[]): string {
  return [`console:\n  ${consoleLines.join('\n  ')}`, `requests:\n  ${requests.join('\n  ')}`, `edge:\n  ${edgeLines.map((l) => JSON.stringify(l)).join('\n  ')}`].join('\n');
}

/** Waits for the page's player (window.__hlsgatePlayer), mutes it and starts playback. */
export async function startMutedPlayback(page: Page): Promise<void> {
  await page.waitForFunction(() => Boolean((window as unknown as { __hlsgatePlayer?: unknown }).__hlsgatePlayer), undefined, { timeout: 15_000 });
  await page.evaluate(() => {
    const p = (window as unknown as { __hlsgatePlayer: { muted(m: boolean): void; play(): Promise<void> | undefined } }).__hlsgatePlayer;
    p.muted(true);
    void p.play()?.catch(() => undefined);
  });
}
