// `hlsgate import` and `hlsgate doctor` against the running embedded demo (found through DATA_DIR,
// as `npm start` + `npx hlsgate import my.mp4 --id mine` would): the shipped sample folder and a
// short mp4 generated with ffmpeg, then doctor passing, then the imported video playing in
// Chromium through the local edge.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../src/cli/index.js';
import { browserDiagnostics, hasChromium, launchBrowser, newTestPage, recordRequests } from '../helpers/browser.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

function hasFfmpeg(): boolean {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function hlsgate(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env, readStdin: () => Promise.resolve(''), now: () => Date.now() };
  return { code: await main(args, io), out, err };
}

describe.skipIf(!hasFfmpeg())('hlsgate import and doctor with the embedded demo', () => {
  let stack: TestStack;
  let work: string;
  let env: Record<string, string>;
  let s3: S3Client;

  beforeAll(async () => {
    stack = await startTestStack();
    work = mkdtempSync(join(tmpdir(), 'hlsgate-import-'));
    env = { DATA_DIR: stack.dataDir };
    s3 = new S3Client({ endpoint: stack.s3Endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    // 4 s of test pattern and a tone, 640x360: one 360p rendition.
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', join(work, 'my.mp4')]);
  }, 60_000);

  afterAll(async () => {
    s3?.destroy();
    await stack?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function keys(prefix: string): Promise<string[]> {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: prefix }));
    return (r.Contents ?? []).map((o) => o.Key ?? '').sort();
  }

  it('says how to start the demo when none runs on DATA_DIR', async () => {
    const r = await hlsgate(['import', 'samples/demo', '--id', 'x'], { DATA_DIR: join(work, 'nothing-here') });
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/no embedded demo running on DATA_DIR=.*start it with npm start/);
  });

  it('refuses a folder whose playlist hlsgate would refuse, before uploading anything', async () => {
    const bad = join(work, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'index.m3u8'), '#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\n../../demo/360p/seg_000.ts\n#EXT-X-ENDLIST\n');
    const r = await hlsgate(['import', bad, '--id', 'bad'], env);
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/resolves outside the video's root prefix: hlsgate would refuse the playlist/);
    expect(r.err.join('\n')).toContain('nothing was uploaded');
    expect(await keys('videos/bad/')).toEqual([]);
  });

  it('imports the shipped sample folder: uploaded, registered, served by the service', async () => {
    const r = await hlsgate(['import', 'samples/demo', '--id', 'sample', '--title', 'Sample'], env);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out.at(-1)).toBe(`${stack.appUrl}/videos/sample`);
    expect(await keys('videos/sample/')).toContain('videos/sample/keys/360p.key');
    const res = await fetch(`${stack.appUrl}/videos/sample/playlist.m3u8`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('/videos/sample/media/360p/index.m3u8');
  });

  it('transcodes an mp4 (fMP4 360p ladder) and imports it', async () => {
    const r = await hlsgate(['import', join(work, 'my.mp4'), '--id', 'mine', '--title', 'Mine'], env);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out).toContain('added mine\tvideos/mine/master.m3u8\tvideos/mine/\tMine');
    expect(r.out.at(-1)).toBe(`${stack.appUrl}/videos/mine`);
    expect(await keys('videos/mine/')).toEqual(expect.arrayContaining(['videos/mine/master.m3u8', 'videos/mine/v0/index.m3u8', 'videos/mine/v0/init.mp4', 'videos/mine/v0/seg_000.m4s']));
    const again = await hlsgate(['import', 'samples/demo', '--id', 'sample', '--title', 'Sample'], env);
    expect(again.out[0]).toMatch(/0 uploaded, 12 unchanged/);
  });

  it('--ts --encrypt: MPEG-TS segments, AES-128 with its key beside them, the key URI signed by the service', async () => {
    const r = await hlsgate(['import', join(work, 'my.mp4'), '--id', 'locked', '--ts', '--encrypt'], env);
    expect(r.code, r.err.join('\n')).toBe(0);
    const stored = await keys('videos/locked/');
    expect(stored).toEqual(expect.arrayContaining(['videos/locked/enc.key', 'videos/locked/v0/index.m3u8', 'videos/locked/v0/seg_000.ts']));
    expect(stored.some((k) => k.includes('keyinfo'))).toBe(false);
    const media = await (await fetch(`${stack.appUrl}/videos/locked/media/v0/index.m3u8`)).text();
    expect(media).toMatch(new RegExp(`#EXT-X-KEY:METHOD=AES-128,URI="${stack.edgeUrl}/videos/locked/enc.key\\?[^"]*Signature=`));
    const keyUrl = /URI="([^"]+)"/.exec(media)![1]!;
    const key = await fetch(keyUrl);
    expect(key.status).toBe(200);
    expect((await key.arrayBuffer()).byteLength).toBe(16);
  });

  it('doctor passes on the demo: control-plane checks do not apply, every video checked, live probe through the edge', async () => {
    const r = await hlsgate(['doctor'], env);
    expect(r.out.filter((l) => l.startsWith('FAIL')), r.out.join('\n')).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('n/a   control-plane: distribution, trusted key group, origin access control, block public access, bucket policy and CORS do not apply to the local edge (embedded demo)');
    for (const id of ['demo', 'demo-fmp4', 'sample', 'mine', 'locked']) expect(r.out.some((l) => l.startsWith(`ok    video ${id}:`)), r.out.join('\n')).toBe(true);
    expect(r.out.find((l) => l.startsWith('ok    video mine:'))).toMatch(/2 playlist\(s\), 4\.0 s, signatures valid \d+ s/);
    expect(r.out.filter((l) => l.startsWith('ok    probe:'))).toHaveLength(2);
    const json = await hlsgate(['doctor', '--json'], env);
    expect((JSON.parse(json.out.join('\n')) as { ok: boolean }).ok).toBe(true);
  });

  it('doctor names a missing playlist', async () => {
    const bad = await hlsgate(['videos', 'add', 'ghost', 'videos/ghost/master.m3u8'], { DATABASE_URL: `sqlite:${join(stack.dataDir, 'hlsgate.db')}` });
    expect(bad.code).toBe(0);
    const r = await hlsgate(['doctor'], env);
    expect(r.code).toBe(1);
    expect(r.out.filter((l) => l.startsWith('FAIL')), r.out.join('\n')).toEqual([expect.stringMatching(/^FAIL {2}video ghost: playlist videos\/ghost\/master.m3u8 not found/)]);
    await hlsgate(['videos', 'rm', 'ghost'], { DATABASE_URL: `sqlite:${join(stack.dataDir, 'hlsgate.db')}` });
  });

  it.skipIf(!hasChromium())('the imported mp4 plays in Chromium through the local edge, every media request signed', async () => {
    const browser: Browser = await launchBrowser();
    try {
      const { context, page, consoleLines } = await newTestPage(browser);
      const seen = recordRequests(page);
      const diagnostics = (): string => browserDiagnostics(consoleLines, seen.map((s) => `${s.method} ${s.url.split('?')[0]} -> ${s.status ?? s.failure ?? 'pending'}`), stack.edgeLines);
      const res = await page.goto(`${stack.appUrl}/videos/mine`, { waitUntil: 'load' });
      expect(res?.status()).toBe(200);
      await page.waitForFunction(() => Boolean((window as unknown as { videojs?: { getPlayer(id: string): unknown } }).videojs?.getPlayer('player')), undefined, { timeout: 15_000 });
      await page.evaluate(() => {
        const player = (window as unknown as { videojs: { getPlayer(id: string): { muted(m: boolean): void; play(): Promise<void> | undefined } } }).videojs.getPlayer('player');
        player.muted(true);
        void player.play()?.catch(() => undefined);
      });
      await page
        .waitForFunction(() => (document.querySelector('video')?.currentTime ?? 0) > 2, undefined, { timeout: 30_000 })
        .catch((err: unknown) => {
          throw new Error(`the imported video did not play past 2 s: ${String(err)}\n${diagnostics()}`);
        });
      const media = seen.filter((s) => /\.(m4s|mp4)$/.test(new URL(s.url).pathname));
      expect(media.map((s) => new URL(s.url).pathname)).toEqual(expect.arrayContaining(['/videos/mine/v0/init.mp4', '/videos/mine/v0/seg_000.m4s']));
      for (const s of media) {
        const u = new URL(s.url);
        expect(u.origin).toBe(new URL(stack.edgeUrl).origin);
        expect(u.searchParams.has('Signature') && u.searchParams.has('Key-Pair-Id')).toBe(true);
      }
      expect(stack.edgeLines.filter((l) => String(l.path).startsWith('/videos/mine/') && Number(l.status) >= 400)).toEqual([]);
      await context.close();
    } finally {
      await browser.close();
    }
  }, 60_000);
});
