// Structured logs: one pino logger per process and one line per HTTP request (pino-http).
// Signed URLs, tokens and keys never reach the log: URLs are logged without their query string and
// anything that looks like a credential is redacted wherever it sits.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';

/** Property names whose values are secrets (CloudFront query parameters and cookies included). */
const SECRET_NAMES = [
  'authorization',
  'cookie',
  'set-cookie',
  'signature',
  'Signature',
  'policy',
  'Policy',
  'token',
  'adminToken',
  'privateKey',
  'privateKeyPem',
  'secretAccessKey',
  'sessionToken',
  'CloudFront-Signature',
  'CloudFront-Policy',
];

/** Redaction paths: each secret name at the top level and up to three levels deep. */
export const REDACT_PATHS: string[] = SECRET_NAMES.flatMap((name) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : `["${name}"]`;
  const dot = key.startsWith('[') ? '' : '.';
  return [key, `*${dot}${key}`, `*.*${dot}${key}`, `*.*.*${dot}${key}`];
});

export interface LoggerOptions {
  /** pino level; `silent` turns logging off (tests). */
  level?: LevelWithSilent | string;
  /** Where lines go (stdout by default). */
  destination?: DestinationStream;
}

export function createLogger(o: LoggerOptions = {}): Logger {
  return pino(
    {
      level: o.level ?? 'info',
      base: { service: 'hlsgate' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    o.destination,
  );
}

/** The URL without its query string (which may carry signatures or tokens). */
export function stripQuery(url: string | undefined): string {
  if (!url) return '';
  const q = url.search(/[?#]/);
  return q === -1 ? url : url.slice(0, q);
}

const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** An incoming `X-Request-Id` when it is a sane token, else a new UUID; echoed on the response. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const header = req.headers['x-request-id'];
  const incoming = Array.isArray(header) ? header[0] : header;
  const id = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

interface SerializedReq {
  id?: unknown;
  method?: string;
  url?: string;
  remoteAddress?: string;
}

function pathOf(req: IncomingMessage): string {
  return stripQuery((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url);
}

/** pino-http middleware: one line per finished request with id, method, path, status, latency. */
export function createHttpLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: requestId,
    quietReqLogger: true,
    customLogLevel: (_req, res, err) => (err !== undefined || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customSuccessMessage: (req, res, ms) => `${req.method ?? '-'} ${pathOf(req)} ${res.statusCode} ${Math.round(ms)}ms`,
    customErrorMessage: (req, res) => `${req.method ?? '-'} ${pathOf(req)} ${res.statusCode}`,
    serializers: {
      req: (r: SerializedReq) => ({ id: r.id, method: r.method, url: stripQuery(r.url), remoteAddress: r.remoteAddress }),
      res: (r: { statusCode?: number }) => ({ statusCode: r.statusCode }),
    },
  });
}
