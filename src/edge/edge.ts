// The local CloudFront-compatible edge: verifies signed URLs and signed cookies exactly as
// cf-verify.ts decides (the same function `hlsgate verify` uses), answers refusals
// the way CloudFront does (403 + XML), and streams accepted requests from an S3-compatible store.
// Development and tests only; never in the production path.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { KeyObject } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { cdnPathToKey } from '../core/cdn-url.js';
import { cloudFrontError, errorXml, verifySignedRequest } from './cf-verify.js';
import { contentTypeFor } from './content-type.js';

export interface EdgeOptions {
  s3: S3Client;
  bucket: string;
  /** Trusted public keys by CloudFront key id (the distribution's key group). */
  publicKeys: ReadonlyMap<string, KeyObject>;
  /** Milliseconds since the epoch; Date.now by default. */
  clock?: () => number;
  /** One line per request: { method, path (never the query), status, verdict, ms }. */
  log?: (line: object) => void;
  /** Origins allowed to read responses (echoed with credentials); '*' (default) allows any. */
  corsOrigins?: string[] | '*';
}

export interface EdgeLogLine {
  msg: 'edge';
  method: string;
  /** Path only: the query carries signatures and is never logged. */
  path: string;
  status: number;
  /** The cf-verify reason code, "OK", or "-" when no verification applied (OPTIONS, 405). */
  verdict: string;
  ms: number;
}

const ALLOW = 'GET, HEAD, OPTIONS';

/** Parses a Cookie header; the first occurrence of a name wins; surrounding quotes are removed. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name && !Object.hasOwn(out, name)) out[name] = value;
  }
  return out;
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const meta = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return meta?.httpStatusCode;
}

function nameOf(err: unknown): string {
  return err instanceof Error ? err.name : 'Error';
}

/** A `node:http` request handler implementing the edge. */
export function createEdgeHandler(o: EdgeOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const clock = o.clock ?? Date.now;
  const origins = o.corsOrigins ?? '*';

  function corsHeaders(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    if (!origin || (origins !== '*' && !origins.includes(origin))) return;
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, ETag');
  }

  return (req, res) => {
    const started = clock();
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    // Absolute-form targets (proxies) carry the scheme and host themselves.
    const absolute = /^https?:\/\//i.test(target);
    const host = req.headers.host ?? `${req.socket.localAddress ?? '127.0.0.1'}:${req.socket.localPort ?? 80}`;
    const url = absolute ? target : `http://${host}${target.startsWith('/') ? '' : '/'}${target}`;
    const rawPath = absolute ? target.replace(/^https?:\/\/[^/?#]*/i, '') : target;
    const path = rawPath.replace(/[?#].*$/s, '') || '/';
    let verdict = '-';
    res.once('close', () => {
      o.log?.({ msg: 'edge', method, path, status: res.statusCode, verdict, ms: clock() - started } satisfies EdgeLogLine);
    });

    corsHeaders(req, res);
    const send = (status: number, body: string, contentType = 'text/xml', extra: Record<string, string> = {}): void => {
      res.statusCode = status;
      for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
      res.setHeader('Content-Type', contentType);
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.end(method === 'HEAD' ? undefined : body);
    };

    if (method === 'OPTIONS') {
      res.statusCode = 204;
      res.setHeader('Allow', ALLOW);
      if (res.hasHeader('Access-Control-Allow-Origin')) {
        res.setHeader('Access-Control-Allow-Methods', ALLOW);
        res.setHeader('Access-Control-Allow-Headers', 'Range');
        res.setHeader('Access-Control-Max-Age', '600');
      }
      res.end();
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      send(405, errorXml('MethodNotAllowed', 'The specified method is not allowed against this resource.'), 'text/xml', { Allow: ALLOW });
      return;
    }

    const result = verifySignedRequest({
      url,
      cookies: parseCookies(req.headers.cookie),
      publicKeys: o.publicKeys,
      now: Math.floor(clock() / 1000),
      clientIp: req.socket.remoteAddress,
    });
    if (!result.ok) {
      verdict = result.reason;
      const e = cloudFrontError(result.reason);
      send(e.status, e.xml);
      return;
    }
    verdict = 'OK';

    const key = cdnPathToKey(path);
    if (key === undefined) {
      send(400, errorXml('InvalidURI', 'Could not parse the specified URI.'));
      return;
    }
    void serveObject(req, res, method, key, send);
  };

  async function serveObject(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    key: string,
    send: (status: number, body: string, contentType?: string, extra?: Record<string, string>) => void,
  ): Promise<void> {
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    const range = typeof req.headers.range === 'string' ? req.headers.range : undefined;
    const ifNoneMatch = typeof req.headers['if-none-match'] === 'string' ? req.headers['if-none-match'] : undefined;
    const input = { Bucket: o.bucket, Key: key, Range: range, IfNoneMatch: ifNoneMatch };
    try {
      const out =
        method === 'HEAD'
          ? await o.s3.send(new HeadObjectCommand(input), { abortSignal: abort.signal })
          : await o.s3.send(new GetObjectCommand(input), { abortSignal: abort.signal });
      if (res.destroyed) return;
      res.statusCode = out.ContentRange ? 206 : 200;
      res.setHeader('Content-Type', contentTypeFor(key));
      if (out.ContentLength !== undefined) res.setHeader('Content-Length', out.ContentLength);
      if (out.ContentRange) res.setHeader('Content-Range', out.ContentRange);
      if (out.ETag) res.setHeader('ETag', out.ETag);
      if (out.LastModified) res.setHeader('Last-Modified', out.LastModified.toUTCString());
      res.setHeader('Accept-Ranges', 'bytes');
      const body = 'Body' in out ? out.Body : undefined;
      if (method === 'HEAD' || body === undefined) {
        res.end();
        return;
      }
      const stream = body instanceof Readable ? body : Readable.fromWeb(body.transformToWebStream() as Parameters<typeof Readable.fromWeb>[0]);
      await pipeline(stream, res).catch(() => {
        // Client went away or the store broke mid-body: headers are out, so all we can do is cut.
        res.destroy();
      });
    } catch (err) {
      if (res.destroyed || res.headersSent) {
        res.destroy();
        return;
      }
      const status = statusOf(err);
      const name = nameOf(err);
      if (status === 304 || name === 'NotModified') {
        res.statusCode = 304;
        if (ifNoneMatch) res.setHeader('ETag', ifNoneMatch);
        res.end();
      } else if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
        send(404, errorXml('NoSuchKey', 'The specified key does not exist.'));
      } else if (name === 'InvalidRange' || status === 416) {
        const size = await objectSize(key, abort.signal);
        send(416, errorXml('InvalidRange', 'The requested range is not satisfiable'), 'text/xml', size === undefined ? {} : { 'Content-Range': `bytes */${size}` });
      } else {
        send(502, errorXml('BadGateway', 'The origin store failed to answer.'));
      }
    }
  }

  async function objectSize(key: string, signal: AbortSignal): Promise<number | undefined> {
    try {
      const head = await o.s3.send(new HeadObjectCommand({ Bucket: o.bucket, Key: key }), { abortSignal: signal });
      return head.ContentLength;
    } catch {
      return undefined;
    }
  }
}

export interface RunningEdge {
  /** e.g. http://127.0.0.1:54321 (no trailing slash): use as CDN_BASE_URL. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the edge on loopback (port 0 picks a free port). */
export async function startEdge(o: EdgeOptions & { port?: number; host?: string }): Promise<RunningEdge> {
  const host = o.host ?? '127.0.0.1';
  const server = createServer(createEdgeHandler(o));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
