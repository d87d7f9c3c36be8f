// A process-wide budget for the work a request can make hlsgate do that no cache absorbs.
//
// Playlists with EXT-X-DEFINE:QUERYPARAM are compiled and signed per distinct query value. The
// compiled and rendered forms are cached per value (so repeat viewers cost nothing), but an
// attacker sending a new value on every request would make every request a full compile and, in
// `url` mode, a private-key operation per URI, while staying under the per-client rate limit.
// This budget caps that work: a token bucket of work units (1 unit ~ 1 ms of CPU: one signature,
// or 64 KiB of playlist compiled) refilled per minute. When it is spent, such requests get 503
// with Retry-After instead of CPU; ordinary (cached) requests never draw from it.

export interface WorkBudget {
  /** Takes `units`; false (taking nothing) when the budget holds fewer. */
  take(units: number): boolean;
  /** Seconds until `units` are available again. */
  retryAfterSeconds(units: number): number;
}

export interface WorkBudgetOptions {
  /** Units per minute (also the burst). */
  perMinute: number;
  /** Epoch milliseconds. */
  clock: () => number;
}

/** The service's budget: about 10 s of CPU a minute at most for uncached query variants, whoever asks. */
export const VARIANT_WORK_PER_MINUTE = 10_000;

/** Work units of compiling `bytes` of playlist text. */
export function compileUnits(bytes: number): number {
  return 1 + Math.floor(bytes / 65_536);
}

export function createWorkBudget(o: WorkBudgetOptions): WorkBudget {
  const perMs = o.perMinute / 60_000;
  let tokens = o.perMinute;
  let at = o.clock();
  function refill(): void {
    const now = o.clock();
    tokens = Math.min(o.perMinute, tokens + Math.max(0, now - at) * perMs);
    at = now;
  }
  return {
    take(units) {
      refill();
      if (tokens < units) return false;
      tokens -= units;
      return true;
    },
    retryAfterSeconds(units) {
      refill();
      return Math.max(1, Math.ceil((Math.min(units, o.perMinute) - tokens) / perMs / 1000));
    },
  };
}
