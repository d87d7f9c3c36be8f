// The buffered access log loses nothing at a graceful stop: `hlsgate serve` (the embedded demo, in
// a real child process, with the default LOG_LEVEL=info and its buffered stdout) gets SIGTERM
// while clients keep requesting playlists; every request that got a response has its line in
// what the process wrote before it exited.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'hlsgate-shutdown-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function waitForStackFile(file: string, exited: () => boolean): Promise<{ appUrl: string; pid: number }> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error('hlsgate exited before it was ready');
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as { appUrl: string; pid: number };
      } catch {
        // being written
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('hlsgate did not start within 60 s');
}

describe('graceful shutdown', () => {
  it('writes the log line of every answered request before exiting on SIGTERM under load', async () => {
    const child = spawn(process.execPath, [join(root, 'bin', 'hlsgate.js'), 'serve'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        DATA_DIR: dataDir,
        PORT: '0',
        RATE_LIMIT_PER_MINUTE: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let exited = false;
    void exit.then(() => (exited = true));

    const { appUrl } = await waitForStackFile(join(dataDir, 'embedded-stack.json'), () => exited);
    const answered: string[] = [];
    let sent = 0;
    let signalled = false;
    const SIGNAL_AFTER = 400;

    /** One client: requests back to back until the server stops answering. */
    async function client(n: number): Promise<void> {
      for (let i = 0; ; i++) {
        const id = `shutdown-${n}-${i}`;
        sent++;
        try {
          const res = await fetch(`${appUrl}/videos/demo/playlist.m3u8`, { headers: { 'X-Request-Id': id } });
          await res.arrayBuffer();
          expect(res.status).toBe(200);
          answered.push(id);
        } catch {
          return; // refused or reset: the server has stopped
        }
        if (!signalled && answered.length >= SIGNAL_AFTER) {
          signalled = true;
          child.kill('SIGTERM');
        }
      }
    }
    await Promise.all(Array.from({ length: 8 }, (_, n) => client(n)));
    const code = await exit;
    expect(signalled).toBe(true);
    expect(answered.length).toBeGreaterThanOrEqual(SIGNAL_AFTER);

    const logged = new Set<string>();
    for (const line of stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { req?: { id?: string }; msg?: string };
      if (entry.req?.id) logged.add(entry.req.id);
    }
    const missing = answered.filter((id) => !logged.has(id));
    expect(missing, `${missing.length} of ${answered.length} answered requests have no log line (${sent} sent)`).toEqual([]);
    expect(code, stderr).toBe(0);
    // The process said it stopped, after the last request line.
    expect(stdout).toContain('"msg":"stopped"');
  }, 120_000);
});
