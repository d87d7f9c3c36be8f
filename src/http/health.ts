// Liveness (/healthz: the process answers) and readiness (/readyz: the catalog and the storage
// answer, plus any checks the embedding code adds). The signing key is not a check: it is parsed
// and validated at startup, and a parsed key cannot stop working.
import express from 'express';
import type { AppDeps } from './deps.js';
import { requestLog } from '../logger.js';
import { HEALTH_PATH, READY_PATH } from '../routes.js';
import { SourceError } from '../adapters/s3-playlist-source.js';

/** How long one readiness check may take before it counts as failed. */
export const READY_CHECK_TIMEOUT_MS = 5_000;

/** 'ok', or a short reason. */
type CheckResult = string;

async function check(run: () => Promise<unknown>, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve(`timed out after ${timeoutMs} ms`), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([
      (async () => {
        await run();
        return 'ok';
      })(),
      timeout,
    ]);
  } catch (err) {
    // A short reason, without endpoints or credentials.
    if (err instanceof SourceError) return `failed (${err.code})`;
    return 'failed';
  } finally {
    clearTimeout(timer);
  }
}

export function healthRouter(deps: AppDeps, o: { timeoutMs?: number } = {}): express.Router {
  const router = express.Router();
  const timeoutMs = o.timeoutMs ?? READY_CHECK_TIMEOUT_MS;
  const noStore = { 'Cache-Control': 'no-store' };

  router.get(HEALTH_PATH, (_req, res) => {
    res.set(noStore).json({ status: 'ok' });
  });

  router.get(READY_PATH, async (req, res) => {
    const entries: [string, () => Promise<unknown>][] = [
      ['catalog', () => deps.catalog.ping()],
      ['storage', () => deps.source.ping()],
    ];
    const ready = deps.ready;
    if (ready) entries.push(['extra', () => ready()]);
    const results = await Promise.all(entries.map(async ([name, run]) => [name, await check(run, timeoutMs)] as const));
    const checks = Object.fromEntries(results);
    const failed = results.filter(([, r]) => r !== 'ok').map(([name]) => name);
    if (failed.length > 0) requestLog(req, deps.logger).warn({ checks }, 'not ready');
    res
      .status(failed.length === 0 ? 200 : 503)
      .set(noStore)
      .json(failed.length === 0 ? { status: 'ok', checks } : { status: 'unavailable', failed, checks });
  });

  return router;
}
