// Playlist bytes from S3 (or any S3-compatible store): GetObject with ETag revalidation, a hard
// deadline that a hung store cannot outlast, a size cap, and errors mapped to what the routes answer
// (404 / 502 / 504) with messages safe to show to viewers. Caching and single-flight sit above this.
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { ServiceConfig } from '../config.js';
import type { PlaylistFacts } from '../core/hls/facts.js';

export type SourceErrorCode = 'NotFound' | 'Denied' | 'Upstream' | 'Timeout' | 'TooLarge';

const STATUS: Record<SourceErrorCode, 404 | 502 | 504> = { NotFound: 404, Denied: 502, Upstream: 502, Timeout: 504, TooLarge: 502 };

/**
 * A storage failure. `message` is safe to show to users (no key, bucket, policy, credentials or
 * stack); `key` is for logs; `status` is the HTTP status the service answers with.
 */
export class SourceError extends Error {
  override name = 'SourceError';
  readonly code: SourceErrorCode;
  readonly status: 404 | 502 | 504;
  readonly key: string;
  constructor(code: SourceErrorCode, key: string, message: string) {
    super(message);
    this.code = code;
    this.status = STATUS[code];
    this.key = key;
  }
}

export interface PlaylistObject {
  key: string;
  body: Uint8Array;
  /** As S3 sends it (quoted), ready for a later `ifNoneMatch`. */
  etag?: string;
  lastModified?: Date;
  notModified?: false;
  /**
   * What the body's tags say (kind, target duration, imports), when the source already scanned it
   * (the caching source does, once per fetched body). Absent: call playlistFacts(body).
   */
  facts?: PlaylistFacts;
}

export interface NotModified {
  key: string;
  notModified: true;
  etag?: string;
}

export interface PlaylistSource {
  /**
   * Fetches a playlist. With `ifNoneMatch` (an ETag from an earlier answer) an unchanged object
   * yields `NotModified`. Rejects with SourceError; if the caller's `signal` aborts first, rejects
   * with the signal's reason instead (nobody is waiting for a SourceError then).
   */
  get(key: string, o?: { ifNoneMatch?: string; signal?: AbortSignal }): Promise<PlaylistObject | NotModified>;
  /** HeadBucket: resolves when the bucket answers and is readable (for /readyz). */
  ping(): Promise<void>;
}

/**
 * An S3 client for playlist reads: few retries (a viewer is waiting) and socket-level timeouts as a
 * second line behind the per-request deadline. Credentials: given, or the standard AWS chain.
 */
export function createS3Client(s3: ServiceConfig['s3'], credentials?: { accessKeyId: string; secretAccessKey: string }): S3Client {
  return new S3Client({
    region: s3.region,
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    forcePathStyle: s3.forcePathStyle,
    maxAttempts: 2,
    // NodeHttpHandler options (the SDK builds the handler from them). Without throwOnRequestTimeout
    // the SDK only prints a warning when requestTimeout passes and keeps waiting.
    requestHandler: { connectionTimeout: s3.timeoutMs, requestTimeout: s3.timeoutMs, throwOnRequestTimeout: true },
    ...(credentials ? { credentials } : {}),
  });
}

export interface S3PlaylistSourceOptions {
  client: S3Client;
  bucket: string;
  /** Deadline for a whole get (headers and body) or ping. */
  timeoutMs: number;
  /** Largest playlist accepted, in bytes. */
  maxBytes: number;
  /** Called for every SourceError with the key and a short cause (error names/codes only, never credentials). */
  onError?: (info: { key: string; code: SourceErrorCode; cause: string }) => void;
}

interface SdkError {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function statusOf(err: unknown): number | undefined {
  return (err as SdkError | null)?.$metadata?.httpStatusCode;
}

const DENIED = new Set(['AccessDenied', 'Forbidden', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'AllAccessDisabled', 'AccountProblem']);
/**
 * Codes of a real timeout: the SDK's own request timeout (`ETIMEDOUT`), the OS giving up on a
 * connection, S3's `RequestTimeout`. Anything else with a code (a reset, a refusal, a DNS failure)
 * is storage failing, not storage being slow, whatever the error's name.
 */
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'RequestTimeout', 'TimeoutError']);

/** A short, credential-free description: error name, code and HTTP status. */
function causeOf(err: unknown): string {
  if (!(err instanceof Error) && (typeof err !== 'object' || err === null)) return String(err).slice(0, 100);
  const e = err as SdkError;
  const parts: string[] = [];
  const name = typeof e.name === 'string' ? e.name : 'Error';
  parts.push(name);
  for (const c of [e.Code, e.code]) {
    if (typeof c === 'string' && c !== name && /^[A-Za-z0-9_.-]{1,64}$/.test(c) && !parts.includes(c)) parts.push(c);
  }
  const status = statusOf(err);
  if (status !== undefined) parts.push(`(HTTP ${status})`);
  return parts.join(' ');
}

/**
 * What a failure of the SDK means for the viewer. The code decides before the name: the SDK renames
 * a connection reset (`ECONNRESET`, `EPIPE`) to `TimeoutError` so that it is retried, but a reset is
 * storage failing (502), not storage too slow (504). Only an error without a code (the SDK's
 * connection or socket timeout) is judged by its name.
 */
export function classify(err: unknown): SourceErrorCode {
  const e = (err ?? {}) as SdkError;
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.Code === 'string' ? e.Code : typeof e.code === 'string' ? e.code : '';
  const status = statusOf(err);
  if (name === 'NoSuchBucket' || code === 'NoSuchBucket') return 'Upstream'; // a misconfiguration, not a missing video
  if (name === 'NoSuchKey' || code === 'NoSuchKey' || name === 'NotFound' || status === 404) return 'NotFound';
  if (DENIED.has(name) || DENIED.has(code) || status === 403 || status === 401) return 'Denied';
  if (code !== '') return TIMEOUT_CODES.has(code) ? 'Timeout' : 'Upstream';
  if (name === 'TimeoutError' || name === 'RequestTimeout') return 'Timeout';
  return 'Upstream';
}

class Deadline extends Error {}

export function createS3PlaylistSource(o: S3PlaylistSourceOptions): PlaylistSource {
  const { client, bucket, timeoutMs, maxBytes } = o;

  function messageFor(code: SourceErrorCode, what: 'playlist' | 'bucket'): string {
    switch (code) {
      case 'NotFound':
        return what === 'playlist' ? 'playlist not found in storage' : 'storage bucket not found';
      case 'Denied':
        return 'storage refused access';
      case 'Timeout':
        return `storage did not answer within ${timeoutMs} ms`;
      case 'TooLarge':
        return `playlist is larger than the ${maxBytes}-byte limit`;
      default:
        return 'storage is unavailable';
    }
  }

  function fail(key: string, code: SourceErrorCode, cause: string, what: 'playlist' | 'bucket' = 'playlist'): SourceError {
    try {
      o.onError?.({ key, code, cause });
    } catch {
      // a logging hook must not change the answer
    }
    return new SourceError(code, key, messageFor(code, what));
  }

  /**
   * Runs `work` under a deadline and the caller's signal. The returned promise settles when either
   * fires even if `work` ignores the abort (a hung credential provider, a stuck socket).
   */
  async function withDeadline<T>(signal: AbortSignal | undefined, work: (abort: AbortSignal) => Promise<T>): Promise<T> {
    signal?.throwIfAborted();
    const ac = new AbortController();
    let onAbort!: () => void;
    const stopped = new Promise<never>((_, reject) => {
      // The caller's abort reason is passed on as it is; ours is a Deadline.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      onAbort = () => reject(signal?.aborted ? signal.reason : new Deadline());
    });
    stopped.catch(() => {}); // handled by the race below; avoid an unhandled rejection if work wins
    const timer = setTimeout(() => {
      ac.abort(new Deadline());
      onAbort();
    }, timeoutMs);
    const relay = () => {
      ac.abort(signal?.reason);
      onAbort();
    };
    signal?.addEventListener('abort', relay, { once: true });
    try {
      const running = work(ac.signal);
      running.catch(() => {}); // if the deadline wins, a late rejection is expected and ignored
      return await Promise.race([running, stopped]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', relay);
    }
  }

  async function readBody(key: string, body: unknown, abort: AbortSignal): Promise<Uint8Array> {
    if (body === undefined || body === null) return new Uint8Array(0);
    const stream = body as Readable & AsyncIterable<Uint8Array>;
    const destroy = () => stream.destroy?.(new Deadline());
    abort.addEventListener('abort', destroy, { once: true });
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const chunk of stream) {
        total += chunk.byteLength;
        if (total > maxBytes) {
          stream.destroy?.();
          throw fail(key, 'TooLarge', `body exceeded ${maxBytes} bytes while streaming`);
        }
        chunks.push(chunk);
      }
    } finally {
      abort.removeEventListener('abort', destroy);
    }
    return Buffer.concat(chunks, total);
  }

  async function get(key: string, opts: { ifNoneMatch?: string; signal?: AbortSignal } = {}): Promise<PlaylistObject | NotModified> {
    const { ifNoneMatch, signal } = opts;
    try {
      return await withDeadline(signal, async (abort) => {
        let res;
        try {
          res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(ifNoneMatch ? { IfNoneMatch: ifNoneMatch } : {}) }), { abortSignal: abort });
        } catch (err) {
          if (statusOf(err) === 304) return { key, notModified: true as const, ...(ifNoneMatch ? { etag: ifNoneMatch } : {}) };
          throw err;
        }
        if (res.ContentLength !== undefined && res.ContentLength > maxBytes) {
          (res.Body as Readable | undefined)?.destroy?.();
          throw fail(key, 'TooLarge', `ContentLength ${res.ContentLength} > ${maxBytes}`);
        }
        const body = await readBody(key, res.Body, abort);
        const out: PlaylistObject = { key, body };
        if (res.ETag) out.etag = res.ETag;
        if (res.LastModified) out.lastModified = res.LastModified;
        return out;
      });
    } catch (err) {
      throw toSourceError(key, err, signal);
    }
  }

  function toSourceError(key: string, err: unknown, signal: AbortSignal | undefined, what: 'playlist' | 'bucket' = 'playlist'): unknown {
    if (err instanceof SourceError) return err;
    if (signal?.aborted && err === signal.reason) return err;
    if (err instanceof Deadline || (err instanceof Error && err.name === 'AbortError' && !signal?.aborted)) {
      return fail(key, 'Timeout', `no answer within ${timeoutMs} ms`, what);
    }
    return fail(key, classify(err), causeOf(err), what);
  }

  async function ping(): Promise<void> {
    try {
      await withDeadline(undefined, async (abort) => {
        await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: abort });
      });
    } catch (err) {
      // HeadBucket has no body: a 404 here means the bucket itself is missing.
      throw toSourceError('', err, undefined, 'bucket');
    }
  }

  return { get, ping };
}
