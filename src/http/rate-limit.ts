// A per-client token bucket for the playlist routes: `perMinute` requests a minute on average, bursts
// up to `perMinute` at once. Clients are told apart by their address (`req.ip`: X-Forwarded-For
// counts only from the trusted proxies of TRUST_PROXY); an IPv6 client is its /64, since one
// subscriber usually holds a whole /64. Over the limit: 429 with Retry-After. Memory is bounded (least recently seen clients
// are forgotten first), and the state is per process.
//
// The same client keys count failed admin authentications (`FailureThrottle`, below).
import { isIP } from 'node:net';
import { LRUCache } from 'lru-cache';
import { HttpError } from '../errors.js';

export interface RateLimitOptions {
  /** Average requests per minute per client; 0 turns the limit off. */
  perMinute: number;
  /** Epoch milliseconds. */
  clock: () => number;
  /** Clients tracked at once (default 100 000). */
  maxClients?: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last computed, epoch ms. */
  at: number;
}

const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i; // 1: the IPv4 address

/** An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, how a dual-stack socket reports IPv4 peers) as IPv4; others as is. */
export function unmapIPv4(address: string): string {
  return IPV4_MAPPED.exec(address)?.[1] ?? address;
}

/** The rate-limit key for an address: IPv4 as is, IPv6 by its /64, IPv4-mapped IPv6 as IPv4. */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  address = unmapIPv4(address);
  if (isIP(address) !== 6) return address;
  // Expand `::` and keep the first four groups.
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const h = head ? head.split(':') : [];
  const t = address.includes('::') && tail ? tail.split(':') : [];
  const zeros = new Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0');
  const groups = address.includes('::') ? [...h, ...zeros, ...t] : h;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * The limiter: call it with the client's address (req.ip) once per request; it throws the 429
 * HttpError when that client is over the limit. Framework-free (the playlist handler has no Express).
 */
export function createRateLimiter(o: RateLimitOptions): (address: string | undefined) => void {
  const perMinute = o.perMinute;
  if (!(perMinute > 0)) return () => {};
  const capacity = perMinute;
  const perMs = perMinute / 60_000;
  const buckets = new LRUCache<string, Bucket>({ max: o.maxClients ?? 100_000 });
  return (address) => {
    const now = o.clock();
    const key = clientKey(address);
    let b = buckets.get(key);
    if (!b) {
      b = { tokens: capacity, at: now };
      buckets.set(key, b);
    } else {
      b.tokens = Math.min(capacity, b.tokens + Math.max(0, now - b.at) * perMs);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return;
    }
    const retryAfter = Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
    throw new HttpError(429, `too many playlist requests from your address; try again in ${retryAfter} s`, {
      code: 'rate_limited',
      headers: { 'Retry-After': String(retryAfter) },
    });
  };
}

/**
 * Failed attempts (e.g. wrong admin tokens) per client, as a small interface so that a shared
 * implementation (Redis) can replace this per-process one. Keys are `clientKey(address)`.
 */
export interface FailureThrottle {
  /** Seconds `key` must wait before its next attempt is even looked at, or undefined when it may try now. */
  check(key: string): Promise<number | undefined>;
  /** Records one failed attempt by `key`. */
  fail(key: string): Promise<void>;
}

export interface FailureThrottleOptions {
  /** Failures a client may make at once before it must wait. */
  burst: number;
  /** One more failure is allowed every `refillMs` milliseconds (up to `burst`). */
  refillMs: number;
  /** Epoch milliseconds. */
  clock: () => number;
  /** Clients tracked at once; the least recently failing are forgotten first. */
  maxClients: number;
}

/** Admin authentication: 10 failures at once, then one every 10 s (6 a minute); 10 000 clients tracked. */
export const ADMIN_AUTH_THROTTLE = { burst: 10, refillMs: 10_000, maxClients: 10_000 } as const;

/**
 * A per-process FailureThrottle: a token bucket per client that only failures drain. Memory is
 * bounded by `maxClients` entries of two numbers each (least recently failing forgotten first); a
 * client whose bucket has refilled completely is forgotten at once.
 */
export function createFailureThrottle(o: FailureThrottleOptions): FailureThrottle {
  const { burst, refillMs, clock } = o;
  if (!(burst >= 1) || !(refillMs > 0)) throw new RangeError('a failure throttle needs burst >= 1 and refillMs > 0');
  const buckets = new LRUCache<string, Bucket>({ max: o.maxClients });
  /** The key's bucket refilled up to now; undefined when it is full (nothing to remember). */
  function current(key: string, now: number): Bucket | undefined {
    const b = buckets.peek(key);
    if (!b) return undefined;
    const tokens = Math.min(burst, b.tokens + Math.max(0, now - b.at) / refillMs);
    if (tokens >= burst) {
      buckets.delete(key);
      return undefined;
    }
    b.tokens = tokens;
    b.at = now;
    return b;
  }
  return {
    check(key) {
      const b = current(key, clock());
      if (!b || b.tokens >= 1) return Promise.resolve(undefined);
      return Promise.resolve(Math.max(1, Math.ceil(((1 - b.tokens) * refillMs) / 1000)));
    },
    fail(key) {
      const now = clock();
      const b = current(key, now);
      if (b) {
        b.tokens = Math.max(0, b.tokens - 1);
        buckets.get(key); // most recently failing
      } else buckets.set(key, { tokens: burst - 1, at: now });
      return Promise.resolve();
    },
  };
}
