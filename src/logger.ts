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
  /**
   * Where lines go. Default: stdout through an asynchronous buffered destination (pino's
   * `destination({ sync: false })`): lines are gathered and written in batches, off the request
   * path; `flushLogger` (graceful shutdown) and the process's `exit` (fatal errors, `process.exit`)
   * write what is still buffered.
   */
  destination?: DestinationStream;
}

/** Buffered bytes that trigger a write to stdout (below it, lines wait for the next batch or a flush). */
const LOG_BUFFER_BYTES = 8 * 1024;
/** A quiet server's lines still appear within this long (a timer flushes what is buffered). */
const LOG_FLUSH_INTERVAL_MS = 1000;

export function createLogger(o: LoggerOptions = {}): Logger {
  let destination = o.destination;
  if (destination === undefined && o.level !== 'silent') {
    const buffered = pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES });
    // Whatever the way out (process.exit after a graceful close, an uncaught exception, a fatal
    // error), the buffered lines are written synchronously before the process ends.
    process.once('exit', () => {
      try {
        buffered.flushSync();
      } catch {
        // stdout gone (EPIPE): nothing left to write to.
      }
    });
    // Under load the buffer fills in milliseconds; a quiet server (`npm start` on a laptop) would
    // otherwise hold its lines until 8 KB gathered. unref: the timer never keeps a process alive.
    setInterval(() => {
      try {
        buffered.flush();
      } catch {
        // destroyed or stdout gone: the exit handler has the last word.
      }
    }, LOG_FLUSH_INTERVAL_MS).unref();
    destination = buffered;
  }
  return pino(
    {
      level: o.level ?? 'info',
      base: { service: 'hlsgate' },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      // The net under every message, error cause and stack: whatever quotes a signed URI or a token.
      hooks: { streamWrite: redactLine },
    },
    destination,
  );
}

/** Writes every buffered line out (resolves once written; at once for synchronous destinations). */
export function flushLogger(logger: Pick<Logger, 'flush'>): Promise<void> {
  return new Promise((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      resolve();
    }
  });
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
  fields: Record<string, unknown> | undefined;
  child: Logger | undefined;
  base: Logger;
  started: number;
  path: string;
  logged: boolean;
  line: AccessLine;
}

const STATE = Symbol('hlsgate.requestLog');
type Tagged = IncomingMessage & { [STATE]?: RequestLogState };
type TaggedResponse = ServerResponse & { [STATE]?: RequestLogState; req?: IncomingMessage };

/** The request's id (set by the request logger), or undefined outside it. */
export function requestIdOf(req: IncomingMessage): string | undefined {
  return (req as Tagged)[STATE]?.id;
}

/** Adds fields (e.g. the viewer) to the request's log line. */
export function addLogFields(req: IncomingMessage, fields: Record<string, unknown>): void {
  const state = (req as Tagged)[STATE];
  if (state) state.fields = state.fields ? Object.assign(state.fields, fields) : { ...fields };
}

/** A logger bound to the request's id, created only when something is logged for it. */
export function requestLog(req: IncomingMessage, fallback: Logger): Logger {
  const state = (req as Tagged)[STATE];
  if (!state) return fallback;
  state.child ??= state.base.child({ reqId: state.id });
  return state.child;
}

const SECRET_FIELD = new Set(SECRET_NAMES);

/**
 * How the access line reaches the log: written as text straight to the logger's destination, in
 * the shape pino would give it (level, time, the logger's bindings, fields, req, res,
 * responseTime, bytes, msg), through `redactLine` like every pino line. A logger that is not a
 * plain pino logger (a multistream wanting levels, a stand-in) gets the line through its methods.
 */
interface AccessLine {
  stream: { write(line: string): unknown } | undefined;
  bindings: string;
  levels: Record<string, number>;
}

function accessLineOf(logger: Logger): AccessLine {
  const l = logger as unknown as Record<symbol, unknown>;
  const stream = l[pino.symbols.streamSym] as ({ write?: unknown } & Record<symbol, unknown>) | undefined;
  const bindings = l[pino.symbols.chindingsSym];
  const plain =
    stream !== undefined &&
    typeof stream.write === 'function' &&
    stream[pino.symbols.needsMetadataGsym] !== true &&
    typeof bindings === 'string' &&
    l[pino.symbols.messageKeySym] === 'msg' &&
    l[pino.symbols.mixinSym] === undefined;
  return {
    stream: plain ? (stream as { write(line: string): unknown }) : undefined,
    bindings: typeof bindings === 'string' ? bindings : '',
    levels: logger.levels?.values ?? {},
  };
}

/** `"key":value` pairs of the fields added to a request's line (secret names censored, as `redact` would). */
function fieldsJson(fields: Record<string, unknown>): string {
  let out = '';
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value === undefined || key === 'req' || key === 'res' || key === 'responseTime' || key === 'bytes') continue;
    out += `,${JSON.stringify(key)}:${SECRET_FIELD.has(key) ? `"${REDACTED}"` : (JSON.stringify(value) ?? 'null')}`;
  }
  return out;
}

function responseBytes(res: ServerResponse): number {
  const length = res.getHeader('content-length');
  const n = typeof length === 'number' ? length : typeof length === 'string' ? Number(length) : 0;
  return Number.isFinite(n) ? n : 0;
}

/** The `finish`/`close` listener every response shares (no closure per request): writes the line once. */
function onResponseDone(this: TaggedResponse): void {
  const state = this[STATE];
  if (state === undefined || state.logged) return;
  state.logged = true;
  const req = this.req;
  const status = this.statusCode;
  const finished = this.writableFinished;
  const level = !finished || status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
  const logger = state.base;
  if (!logger.isLevelEnabled(level)) return;
  const responseTime = Math.round(performance.now() - state.started);
  const method = req?.method ?? '-';
  const path = state.path;
  const bytes = responseBytes(this);
  const msg = `${method} ${path} ${status}${finished ? '' : ' (aborted)'} ${responseTime}ms`;
  const remoteAddress = req?.socket.remoteAddress;
  const { stream, bindings, levels } = state.line;
  if (stream === undefined) {
    logger[level]({ ...state.fields, req: { id: state.id, method, url: path, remoteAddress }, res: { statusCode: status }, responseTime, bytes }, msg);
    return;
  }
  const line =
    `{"level":${levels[level] ?? 30},"time":${Date.now()}${bindings}${state.fields ? fieldsJson(state.fields) : ''}` +
    `,"req":{"id":${JSON.stringify(state.id)},"method":${JSON.stringify(method)},"url":${JSON.stringify(path)}` +
    `${remoteAddress === undefined ? '' : `,"remoteAddress":${JSON.stringify(remoteAddress)}`}}` +
    `,"res":{"statusCode":${status}},"responseTime":${responseTime},"bytes":${bytes},"msg":${JSON.stringify(msg)}}\n`;
  stream.write(redactLine(line));
}

/**
 * One line per finished request (id, method, path without query, status, latency, bytes, the
 * viewer when admission named one), written when the response ends. Hand-written rather than
 * pino-http (which builds a child logger per request) and cheaper than a pino call: one state
 * object per request, one shared listener, the line serialized as text (the measured costs were
 * the per-request closures and objects, pino's redaction walk over every line and a synchronous
 * write per line; see README "Performance"). `path` is the request's path without its query
 * string (which may carry signatures or tokens).
 */
export function createHttpLogger(logger: Logger): (req: IncomingMessage, res: ServerResponse, path: string) => void {
  const line = accessLineOf(logger);
  return (req, res, path) => {
    const state: RequestLogState = { id: requestId(req, res), fields: undefined, child: undefined, base: logger, started: performance.now(), path, logged: false, line };
    (req as Tagged)[STATE] = state;
    (res as TaggedResponse)[STATE] = state;
    res.on('finish', onResponseDone);
    res.on('close', onResponseDone);
  };
}
