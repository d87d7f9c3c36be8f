// Structured logs: one pino logger per process and one line per HTTP request.
// Signed URLs, tokens and keys never reach the log, in two layers: fields named like a secret are
// redacted by path (pino's `redact`), and every serialized line passes `redactLine`, which blanks
// the values of signing parameters, tokens and credentials wherever they sit in the text (a URI
// quoted in an error message, a cause, a stack). Request URLs are logged without their query string.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

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

/**
 * Names whose value is a secret when they appear as `name=value` (or `name%3D` percent-encoded) in
 * any text: CloudFront's query parameters and cookies (`CloudFront-Signature=` ends in one), S3's
 * `X-Amz-Signature` and `X-Amz-Security-Token`, `token=` and any `*_token=`/`*-Token=`, the
 * entitlement cookie. `Expires` and `Hash-Algorithm` are no secret and stay readable (expiry
 * problems are diagnosed from them).
 */
const SECRET_PARAM_NAMES = String.raw`[Ss]ignature|[Pp]olicy|Key-Pair-Id|[Tt]oken|hlsgate_viewer`;

/**
 * One pass over a line: each alternative captures what stays (the name and separator) in its own
 * group; the value after it becomes `[redacted]`. Values end where a query, cookie, header or JSON
 * string would end them (`\` ends them too: in a serialized line a quote inside a string is `\"`).
 */
const SECRET_TEXT = new RegExp(
  [
    String.raw`((?:${SECRET_PARAM_NAMES})(?:=|%3[Dd]))[^&;\s"'\\<>,]+`,
    String.raw`([Aa]uthorization\\?["']?\s*[:=]\s*\\?["']?)[^"'\\\r\n]+`,
    String.raw`((?:Bearer|Basic)\s+)[^\s"'\\,;]+`,
  ].join('|'),
  'g',
);

const REDACTED = '[redacted]';

function keepName(_match: string, param?: string, header?: string, scheme?: string): string {
  return (param ?? header ?? scheme ?? '') + REDACTED;
}

/**
 * A serialized log line with every secret value in its text blanked (see SECRET_TEXT). Every form
 * SECRET_TEXT finds holds `=` or `%` (a parameter), `B` (Bearer, Basic) or `z` (Authorization), and
 * a typical access-log line holds none of them: four one-character scans (memchr-fast) return it
 * as it is, and only the other lines run the regex.
 */
export function redactLine(line: string): string {
  if (!line.includes('=') && !line.includes('%') && !line.includes('B') && !line.includes('z')) return line;
  return line.replace(SECRET_TEXT, keepName);
}

export interface LoggerOptions {
  /** pino level; `silent` turns logging off (tests). */
  level?: LevelWithSilent;
  /** Where lines go (stdout by default). */
  destination?: DestinationStream;
}

export function createLogger(o: LoggerOptions = {}): Logger {
  return pino(
    {
      level: o.level ?? 'info',
      base: { service: 'hlsgate' },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      // The net under every message, error cause and stack: whatever quotes a signed URI or a token.
      hooks: { streamWrite: redactLine },
    },
    o.destination,
  );
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

/** What the request logger keeps on a request: its id, extra fields for its line, a lazy child logger. */
interface RequestLogState {
  id: string;
  fields: Record<string, unknown>;
  child?: Logger;
  base: Logger;
}

const STATE = Symbol('hlsgate.requestLog');
type Tagged = IncomingMessage & { [STATE]?: RequestLogState };

/** The request's id (set by the request logger), or undefined outside it. */
export function requestIdOf(req: IncomingMessage): string | undefined {
  return (req as Tagged)[STATE]?.id;
}

/** Adds fields (e.g. the viewer) to the request's log line. */
export function addLogFields(req: IncomingMessage, fields: Record<string, unknown>): void {
  const state = (req as Tagged)[STATE];
  if (state) Object.assign(state.fields, fields);
}

/** A logger bound to the request's id, created only when something is logged for it. */
export function requestLog(req: IncomingMessage, fallback: Logger): Logger {
  const state = (req as Tagged)[STATE];
  if (!state) return fallback;
  state.child ??= state.base.child({ reqId: state.id });
  return state.child;
}

/**
 * One line per finished request (id, method, path without query, status, latency), written by the
 * base logger when the response ends. Hand-written rather than pino-http: pino-http builds a child
 * logger per request even when nothing is logged, about 15% of the CPU of a cached playlist.
 * `path` is the request's path without its query string (which may carry signatures or tokens).
 */
export function createHttpLogger(logger: Logger): (req: IncomingMessage, res: ServerResponse, path: string) => void {
  return (req, res, path) => {
    const started = performance.now();
    const state: RequestLogState = { id: requestId(req, res), fields: {}, base: logger };
    (req as Tagged)[STATE] = state;
    const done = (): void => {
      res.removeListener('finish', done);
      res.removeListener('close', done);
      const status = res.statusCode;
      const level = !res.writableFinished || status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const responseTime = Math.round(performance.now() - started);
      logger[level](
        {
          ...state.fields,
          req: { id: state.id, method: req.method, url: path, remoteAddress: req.socket.remoteAddress },
          res: { statusCode: status },
          responseTime,
        },
        `${req.method ?? '-'} ${path} ${status}${res.writableFinished ? '' : ' (aborted)'} ${responseTime}ms`,
      );
    };
    res.once('finish', done);
    res.once('close', done);
  };
}
