// The per-client limits of http/rate-limit.ts: the client keys and the failure throttle (the admin
// API's failed authentications), on a clock the tests move.
import { describe, expect, it } from 'vitest';
import { ADMIN_AUTH_THROTTLE, clientKey, createFailureThrottle, type FailureThrottle } from '../../src/http/rate-limit.js';

function throttle(o: { burst?: number; refillMs?: number; maxClients?: number } = {}): { t: FailureThrottle; at: { ms: number } } {
  const at = { ms: 1_000_000 };
  const t = createFailureThrottle({ burst: o.burst ?? 3, refillMs: o.refillMs ?? 10_000, maxClients: o.maxClients ?? 100, clock: () => at.ms });
  return { t, at };
}

/** Attempts like the admin API makes them: each checked first, and a failure recorded when allowed. */
async function attempts(t: FailureThrottle, key: string, n: number): Promise<{ allowed: number; refused: number }> {
  let allowed = 0;
  for (let i = 0; i < n; i++) {
    if ((await t.check(key)) !== undefined) continue;
    allowed++;
    await t.fail(key);
  }
  return { allowed, refused: n - allowed };
}

describe('clientKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    [undefined, 'unknown'],
  ])('%s -> %s', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });
});

describe('createFailureThrottle', async () => {
  it('lets a new client fail `burst` times, then tells it how long to wait', async () => {
    const { t } = throttle();
    expect(await t.check('a')).toBeUndefined();
    await t.fail('a');
    await t.fail('a');
    expect(await t.check('a')).toBeUndefined();
    await t.fail('a');
    expect(await t.check('a')).toBe(10);
    // Failing while throttled (a caller that does not check) never goes below empty.
    await t.fail('a');
    expect(await t.check('a')).toBe(10);
  });

  it.each<[number, number | undefined]>([
    [0, 10],
    [1, 10],
    [1_000, 9],
    [9_000, 1],
    [9_999, 1],
    [10_000, undefined],
  ])('after the burst and %i ms, check says %s', async (elapsed, wait) => {
    const { t, at } = throttle();
    await attempts(t, 'a', 3);
    at.ms += elapsed;
    expect(await t.check('a')).toBe(wait);
  });

  it('refills one attempt per interval up to the burst, and no further', async () => {
    const { t, at } = throttle();
    await attempts(t, 'a', 3);
    at.ms += 25_000; // 2.5 attempts back
    expect(await attempts(t, 'a', 10)).toEqual({ allowed: 2, refused: 8 });
    at.ms += 1_000_000; // long idle: the burst, not 100 attempts
    expect(await attempts(t, 'a', 10)).toEqual({ allowed: 3, refused: 7 });
  });

  it('keeps clients apart', async () => {
    const { t } = throttle();
    await attempts(t, 'a', 3);
    expect(await t.check('a')).toBe(10);
    expect(await t.check('b')).toBeUndefined();
  });

  it('with the admin numbers, 16 000 wrong tokens in 5 s (the hole found) get 10 through', async () => {
    const at = { ms: 0 };
    const t = createFailureThrottle({ ...ADMIN_AUTH_THROTTLE, clock: () => at.ms });
    let allowed = 0;
    for (let i = 0; i < 16_000; i++) {
      at.ms = Math.floor((i * 5000) / 16_000);
      allowed += (await attempts(t, '203.0.113.7', 1)).allowed;
    }
    expect(allowed).toBe(ADMIN_AUTH_THROTTLE.burst);
    // Then one every 10 s: a minute later, 6 more.
    at.ms = 5000 + 60_000;
    expect((await attempts(t, '203.0.113.7', 100)).allowed).toBe(6);
  });

  it('bounds memory: past maxClients the least recently failing client is forgotten', async () => {
    const { t } = throttle({ maxClients: 2 });
    for (const key of ['a', 'b']) await attempts(t, key, 3);
    expect([await t.check('a'), await t.check('b')]).toEqual([10, 10]);
    await attempts(t, 'c', 3);
    expect([await t.check('a'), await t.check('b'), await t.check('c')]).toEqual([undefined, 10, 10]);
  });

  it('forgets a client once its attempts have refilled completely (it holds no room then)', async () => {
    const { t, at } = throttle({ maxClients: 2 });
    await attempts(t, 'a', 3);
    await attempts(t, 'b', 1);
    at.ms += 10_000; // b is full again, a has one attempt back
    expect(await t.check('b')).toBeUndefined(); // forgets b
    await attempts(t, 'c', 3); // takes b's room: a is still remembered
    expect(await attempts(t, 'a', 5)).toEqual({ allowed: 1, refused: 4 });
  });

  it.each([
    [{ burst: 0, refillMs: 1000 }],
    [{ burst: 3, refillMs: 0 }],
    [{ burst: Number.NaN, refillMs: 1000 }],
  ])('refuses options that would throttle nothing or everything: %j', (o) => {
    expect(() => createFailureThrottle({ ...o, maxClients: 10, clock: () => 0 })).toThrow(RangeError);
  });
});
