// The one error type that carries an HTTP status. Services and routes throw it; the single error
// middleware in app.ts turns it (or anything else, as a 500) into a response. Its message is shown
// to the client as is, so it must say what failed in words a user can act on and never carry a
// stack trace, a credential or a signature.

export interface HttpErrorOptions {
  /** Machine-readable code for JSON bodies, e.g. `not_found`, `bad_gateway`. Defaults from the status. */
  code?: string;
  /** The request field at fault (admin API input errors), echoed in JSON bodies. */
  field?: string;
  /** Extra response headers, e.g. `WWW-Authenticate` on a 401. */
  headers?: Record<string, string>;
  /** The underlying error, for the log only (never sent to the client). */
  cause?: unknown;
}

const DEFAULT_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};

/** An error with an HTTP status and a message safe to show to the client. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message: string, o: HttpErrorOptions = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new RangeError(`HTTP error status must be 4xx or 5xx, got ${status}`);
    this.status = status;
    this.code = o.code ?? DEFAULT_CODES[status] ?? (status >= 500 ? 'server_error' : 'client_error');
    this.field = o.field;
    this.headers = o.headers ?? {};
  }
}

/** 404 with a message naming what was not found. */
export function notFound(message = 'not found'): HttpError {
  return new HttpError(404, message);
}

/**
 * Errors from Express and its body parser carry `status`/`statusCode` and `expose`; this gives the
 * client-side ones (4xx) a clear message. Anything else is not ours to explain: undefined (→ 500).
 */
export function fromFrameworkError(err: unknown): HttpError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; expose?: unknown; message?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  switch (e.type) {
    case 'entity.parse.failed':
      return new HttpError(400, 'the request body is not valid JSON', { field: 'body', code: 'invalid_json', cause: err });
    case 'entity.too.large':
      return new HttpError(413, 'the request body is too large', { field: 'body', cause: err });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'the request body encoding is not supported; send UTF-8 JSON', { field: 'body', cause: err });
    default:
      break;
  }
  // A malformed percent-encoding in a route parameter: the router's URIError with status 400 (its
  // message quotes the raw parameter, so it is not shown).
  if (status === 400 && err instanceof URIError) return new HttpError(400, 'the request URL is malformed', { cause: err });
  if (e.expose === true && typeof e.message === 'string') return new HttpError(status, e.message.slice(0, 200), { cause: err });
  return new HttpError(status, DEFAULT_CODES[status]?.replace(/_/g, ' ') ?? 'bad request', { cause: err });
}
