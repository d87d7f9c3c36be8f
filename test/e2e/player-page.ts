// Helpers for the browser tests of the player page's recovery: the page's state as the tests read
// it, waiting on it, a long video for the stack (playing on after a pause needs new segments), and
// a log of every request the page makes.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Page, Request } from 'playwright-core';
import type { TestStack } from '../helpers/stack.js';

export interface Recovery {
  reason: string;
  at: number;
  play: boolean;
  time: number;
  attempt: number;
  outcome: string;
}

export interface PlayerState {
  t: number;
  paused: boolean;
  seeking: boolean;
  readyState: number;
  error: unknown;
  errors: unknown[];
  recoveries: Recovery[];
  /** The notice's message (without its button), when shown. */
  notice: string | null;
  noticeVisible: boolean;
  reloadButton: boolean;
  errorClass: boolean;
}

export async function playerState(page: Page): Promise<PlayerState> {
  return page.evaluate(() => {
    const w = window as unknown as {
      __hlsgatePlayer: { currentTime(): number; paused(): boolean; seeking(): boolean; readyState(): number; error(): unknown; hasClass(c: string): boolean };
      __hlsgateErrors: unknown[];
      __hlsgateRecoveries: Recovery[];
    };
    const notice = document.getElementById('player-notice');
    const shown = Boolean(notice && !notice.hidden);
    const text = notice?.querySelector('.notice-text')?.textContent ?? notice?.textContent ?? null;
    return {
      t: w.__hlsgatePlayer.currentTime(),
      paused: w.__hlsgatePlayer.paused(),
      seeking: w.__hlsgatePlayer.seeking(),
      readyState: w.__hlsgatePlayer.readyState(),
      error: w.__hlsgatePlayer.error(),
      errors: [...(w.__hlsgateErrors ?? [])],
      recoveries: (w.__hlsgateRecoveries ?? []).map((r) => ({ ...r })),
      notice: shown ? text : null,
      noticeVisible: shown && notice!.getBoundingClientRect().height > 0,
      reloadButton: Boolean(notice?.querySelector('button')),
      errorClass: w.__hlsgatePlayer.hasClass('vjs-error'),
    };
  });
}

export async function waitForState(page: Page, what: string, test: (s: PlayerState) => boolean, timeoutMs: number, diagnostics: () => string): Promise<PlayerState> {
  const deadline = Date.now() + timeoutMs;
  let s = await playerState(page);
  while (!test(s)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; state ${JSON.stringify(s)}\n${diagnostics()}`);
    await page.waitForTimeout(50);
    s = await playerState(page);
  }
  return s;
}

/** Calls a method of the page's player (pause, play, currentTime(t)). */
export async function playerCall(page: Page, method: 'pause' | 'play' | 'currentTime', arg?: number): Promise<void> {
  await page.evaluate(
    ([m, a]) => {
      const p = (window as unknown as { __hlsgatePlayer: Record<string, (x?: number) => unknown> }).__hlsgatePlayer;
      const r = a === null ? p[m]!() : p[m]!(a);
      if (r && typeof (r as Promise<void>).catch === 'function') void (r as Promise<void>).catch(() => undefined);
    },
    [method, arg ?? null] as const,
  );
}

/** One request the page made: when, and its URL. */
export interface LoggedRequest {
  /** When the test heard of it (epoch ms; on a busy machine later than the browser started it). */
  at: number;
  url: string;
  status?: number;
  /** Finished or failed (a response alone may still be streaming its body). */
  done?: boolean;
}

/** Logs every request the page makes from now on, and its status once answered. */
export function logRequests(page: Page): LoggedRequest[] {
  const log: LoggedRequest[] = [];
  const byRequest = new Map<Request, LoggedRequest>();
  page.on('request', (r) => {
    const entry: LoggedRequest = { at: Date.now(), url: r.url() };
    byRequest.set(r, entry);
    log.push(entry);
  });
  page.on('response', (r) => {
    const entry = byRequest.get(r.request());
    if (entry) entry.status = r.status();
  });
  const finish = (r: Request): void => {
    const entry = byRequest.get(r);
    if (entry) entry.done = true;
  };
  page.on('requestfinished', finish);
  page.on('requestfailed', finish);
  return log;
}

/**
 * Waits until the page has had no request to `origin` in flight, and started none, for `quietMs`
 * (e.g. the player has filled its forward buffer after a pause).
 */
export async function waitForQuiet(page: Page, log: readonly LoggedRequest[], origin: string, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mine = log.filter((r) => r.url.startsWith(`${origin}/`));
    const last = mine.reduce((t, r) => Math.max(t, r.at), 0);
    if (mine.every((r) => r.done) && Date.now() - last >= quietMs) return;
    if (Date.now() > deadline) throw new Error(`requests to ${origin} still going after ${timeoutMs} ms:\n  ${describeRequests(mine)}`);
    await page.waitForTimeout(100);
  }
}

export function describeRequests(log: readonly LoggedRequest[], from = 0): string {
  const t0 = log[from]?.at ?? 0;
  return log
    .slice(from)
    .map((r) => `+${r.at - t0}ms ${r.status ?? '...'} ${r.url.split('?')[0]}${/[?&]r=/.test(r.url) ? ' (refetch)' : ''}`)
    .join('\n  ');
}

/** Top-playlist refetches the page made (its `?r=` requests). */
export function refetches(log: readonly LoggedRequest[], videoId: string): LoggedRequest[] {
  return log.filter((r) => new URL(r.url).pathname === `/videos/${videoId}/playlist.m3u8` && /[?&]r=/.test(r.url));
}

const LOOPS = 20;

/** A 4-minute media playlist: the four 3-second sample segments twenty times (one discontinuity per loop). */
function longPlaylist(o: { key?: string; map?: string; segments: string[] }): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:3', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD'];
  if (o.key) lines.push(`#EXT-X-KEY:METHOD=AES-128,URI="${o.key}",IV=0x000102030405060708090a0b0c0d0e0f`);
  if (o.map) lines.push(`#EXT-X-MAP:URI="${o.map}"`);
  for (let loop = 0; loop < LOOPS; loop++) {
    if (loop > 0) lines.push('#EXT-X-DISCONTINUITY');
    for (const s of o.segments) lines.push('#EXTINF:3.000000,', s);
  }
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}

/**
 * Registers `long` (MPEG-TS, AES-128 key, the demo's 360p media) and `long-fmp4` (fMP4 with an
 * init segment, the demo-fmp4 media) in the stack, four minutes each.
 */
export async function addLongVideos(stack: TestStack, adminToken: string): Promise<void> {
  const ts = ['seg_000.ts', 'seg_001.ts', 'seg_002.ts', 'seg_003.ts'];
  const m4s = ['seg_000.m4s', 'seg_001.m4s', 'seg_002.m4s', 'seg_003.m4s'];
  const objects: [string, string][] = [
    ['demo/long-master.m3u8', ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-STREAM-INF:BANDWIDTH=290816,RESOLUTION=640x360,CODECS="avc1.4d401e,mp4a.40.2"', '360p/long.m3u8', ''].join('\n')],
    ['demo/360p/long.m3u8', longPlaylist({ key: '../keys/360p.key', segments: ts })],
    ['demo-fmp4/long-master.m3u8', ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-STREAM-INF:BANDWIDTH=268821,RESOLUTION=640x360,CODECS="avc1.4d401e,mp4a.40.2"', 'v0/long.m3u8', ''].join('\n')],
    ['demo-fmp4/v0/long.m3u8', longPlaylist({ map: 'init.mp4', segments: m4s })],
  ];
  const s3 = new S3Client({ endpoint: stack.s3Endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  try {
    for (const [key, body] of objects) {
      const bytes = Buffer.from(body, 'utf8');
      await s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: bytes, ContentLength: bytes.byteLength }));
    }
  } finally {
    s3.destroy();
  }
  for (const [id, playlistKey] of [
    ['long', 'demo/long-master.m3u8'],
    ['long-fmp4', 'demo-fmp4/long-master.m3u8'],
  ] as const) {
    const res = await fetch(`${stack.appUrl}/api/videos/${id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ playlistKey, title: `Four minutes (${id})` }),
    });
    if (res.status !== 201 && res.status !== 200) throw new Error(`registering ${id}: ${res.status} ${await res.text()}`);
  }
}
