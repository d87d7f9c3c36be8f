// Every configuration variable, once: its schema, its default, one line of documentation, whether
// its value is secret, and which way of running reads it. The loader (load.ts), the embedded demo
// (through loadConfig), `.env.example` and the README's configuration table all follow this table
// (test/config.test.ts checks the two documents against it).
import * as s from './schemas.js';
import type { VariableSchema } from './schemas.js';

/** Who reads a variable: the service on AWS (or an S3-compatible store), the embedded demo stack, or both. */
export type Applies = 'aws' | 'embedded' | 'both';

export interface Variable<T, HasDefault extends boolean = boolean> {
  readonly schema: VariableSchema<T>;
  /** The value when the variable is unset (or empty); undefined: none (see `doc` for derived ones). */
  readonly default: HasDefault extends true ? T : undefined;
  readonly doc: string;
  /** Its value never appears in messages (only its length). */
  readonly secret: boolean;
  readonly applies: Applies;
}

interface Spec {
  doc: string;
  applies: Applies;
  secret?: boolean;
}

function withDefault<T>(schema: VariableSchema<T>, value: T, spec: Spec): Variable<T, true> {
  return { schema, default: value, doc: spec.doc, secret: spec.secret ?? false, applies: spec.applies };
}

function noDefault<T>(schema: VariableSchema<T>, spec: Spec): Variable<T, false> {
  return { schema, default: undefined, doc: spec.doc, secret: spec.secret ?? false, applies: spec.applies };
}

const MiB = 1024 * 1024;

export const VARIABLES = {
  // ---- HTTP server
  PORT: withDefault(s.wholeNumber(0, 65535, 'a TCP port number'), 3000, { applies: 'both', doc: 'HTTP port (0 = any free port)' }),
  HOST: withDefault(s.host, '127.0.0.1', { applies: 'both', doc: 'listen address (0.0.0.0 in the Docker image)' }),
  TRUST_PROXY: withDefault<string | false>(s.trustProxy, false, { applies: 'both', doc: "Express 'trust proxy': proxy addresses/CIDRs, loopback, linklocal, uniquelocal, or false" }),
  LOG_LEVEL: withDefault(s.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, (v) => v.toLowerCase()), 'info', {
    applies: 'both',
    doc: 'pino level',
  }),

  // ---- S3
  S3_BUCKET: noDefault(s.bucket, { applies: 'aws', doc: 'bucket holding playlists and media (required in AWS mode)' }),
  AWS_REGION: withDefault(s.region, 'us-east-1', { applies: 'aws', doc: 'bucket region' }),
  S3_ENDPOINT: noDefault(s.httpUrl('http://127.0.0.1:9000'), { applies: 'aws', doc: 'S3-compatible endpoint instead of AWS (MinIO, R2, ...)' }),
  S3_FORCE_PATH_STYLE: noDefault(s.boolean, { applies: 'aws', doc: 'path-style addressing; unset: true when S3_ENDPOINT is set, else false' }),
  S3_TIMEOUT_MS: withDefault(s.wholeNumber(100, 300_000, 'whole milliseconds'), 5000, { applies: 'both', doc: 'S3 answers slower than this give 504' }),
  PLAYLIST_MAX_BYTES: withDefault(s.wholeNumber(1024, 256 * MiB, 'a size in bytes'), 4 * MiB, { applies: 'both', doc: 'larger playlists are refused (502)' }),
  RESPONSE_MAX_BYTES: withDefault(s.wholeNumber(64 * 1024, 1024 * MiB, 'a size in bytes'), 16 * MiB, {
    applies: 'both',
    doc: 'a rewritten playlist larger than this is refused (502): signatures make responses grow',
  }),
  PLAYER_ORIGINS: withDefault(s.originList, [], {
    applies: 'both',
    doc: "other origins the player fetches from (your key server, an ad CDN): allowed by the page's Content-Security-Policy",
  }),
  FOREIGN_URIS: withDefault(s.oneOf(['pass', 'refuse'] as const, (v) => v.toLowerCase()), 'pass', {
    applies: 'both',
    doc: 'URIs on other hosts (key servers, ads): pass through unsigned, or refuse the playlist',
  }),

  // ---- CloudFront
  CDN_BASE_URL: noDefault(s.cdnBase, { applies: 'aws', doc: 'distribution URL mapping to the bucket root' }),
  CLOUDFRONT_KEY_PAIR_ID: noDefault(s.keyPairId, { applies: 'aws', doc: 'id of the CloudFront public key' }),
  CLOUDFRONT_PRIVATE_KEY_FILE: noDefault(s.text, { applies: 'aws', doc: 'PEM file of the matching private key (RSA-2048 or ECDSA P-256)' }),
  CLOUDFRONT_PRIVATE_KEY: noDefault(s.text, { applies: 'aws', secret: true, doc: 'the PEM text itself (\\n escapes allowed); exactly one of the two' }),
  CLOUDFRONT_HASH_ALGORITHM: withDefault(s.oneOf(['SHA1', 'SHA256'] as const, (v) => v.toUpperCase().replace('-', '')), 'SHA1', {
    applies: 'both',
    doc: 'SHA1 or SHA256 (adds Hash-Algorithm=SHA256)',
  }),

  // ---- Signing
  SIGNING_MODE: withDefault(s.oneOf(['wildcard', 'url', 'cookies'] as const, (v) => v.toLowerCase()), 'wildcard', {
    applies: 'both',
    doc: 'wildcard: one custom policy per playlist; url: a canned policy per URI; cookies: CloudFront signed cookies',
  }),
  CDN_COOKIE_DOMAIN: noDefault(s.cookieDomain, { applies: 'aws', doc: 'cookies mode: a domain shared by the app and the CDN, e.g. .example.com' }),
  SIGNED_URL_BIND_IP: withDefault(s.boolean, false, { applies: 'both', doc: "signatures only work from the viewer's address" }),
  SIGNED_URL_TTL: withDefault(s.wholeNumber(60, 604_800, 'whole seconds'), 3600, { applies: 'both', doc: 'seconds a signed URL stays valid' }),
  SIGNED_URL_MAX_TTL: withDefault(s.wholeNumber(60, 604_800, 'whole seconds'), 604_800, {
    applies: 'both',
    doc: "ceiling on any signature's lifetime, after a VOD's duration stretch (7 days)",
  }),
  SIGNED_URL_MARGIN: withDefault(s.wholeNumber(0, 86_400, 'whole seconds'), 300, { applies: 'both', doc: "seconds added to a VOD's total duration for the minimum expiry" }),
  SIGNATURE_WINDOW_SECONDS: withDefault(s.wholeNumber(0, 86_400, 'whole seconds'), 300, { applies: 'both', doc: 'expiries are rounded up to this window (0 or 1: no rounding)' }),

  // ---- Caches
  PLAYLIST_CACHE_MAX_BYTES: withDefault(s.wholeNumber(0, 16 * 1024 ** 3, 'a size in bytes'), 64 * MiB, { applies: 'both', doc: 'in-memory cache of playlists read from S3 (0 = off)' }),
  VOD_REVALIDATE_SECONDS: withDefault(s.wholeNumber(1, 86_400, 'whole seconds'), 30, { applies: 'both', doc: 'a cached VOD playlist is revalidated with S3 at most this often' }),
  RENDER_CACHE_MAX_BYTES: withDefault(s.wholeNumber(0, 16 * 1024 ** 3, 'a size in bytes'), 64 * MiB, {
    applies: 'both',
    doc: 'compiled playlists, signatures and rendered responses (0 = off)',
  }),

  // ---- Viewer authorization and abuse limits
  VIEWER_AUTH: withDefault(s.oneOf(['none', 'jwt'] as const, (v) => v.toLowerCase()), 'none', { applies: 'both', doc: 'jwt: viewers need a token from your application' }),
  VIEWER_JWT_SECRET: noDefault(s.text, { applies: 'both', secret: true, doc: 'jwt: HS256 secret (at least 32 bytes)' }),
  VIEWER_JWT_PUBLIC_KEY_FILE: noDefault(s.text, { applies: 'both', doc: 'jwt: RS256/ES256 public key PEM file' }),
  VIEWER_JWKS_URL: noDefault(s.trimmed, { applies: 'both', doc: 'jwt: a JWKS URL (https, or http on loopback)' }),
  VIEWER_JWT_AUDIENCE: noDefault(s.trimmed, { applies: 'both', doc: 'required aud, if set' }),
  VIEWER_JWT_ISSUER: noDefault(s.trimmed, { applies: 'both', doc: 'required iss, if set' }),
  VIEWER_JWT_CLOCK_SKEW: withDefault(s.wholeNumber(0, 600, 'whole seconds'), 30, { applies: 'both', doc: 'seconds of tolerance for exp / nbf' }),
  RATE_LIMIT_PER_MINUTE: withDefault(s.wholeNumber(0, 1_000_000, 'requests per minute (0 = no limit)'), 600, {
    applies: 'both',
    doc: 'playlist requests per client and minute (0 = off)',
  }),

  // ---- Catalog and admin API
  DATABASE_URL: withDefault(s.databaseUrl, 'sqlite:./data/hlsgate.db', {
    applies: 'both',
    doc: 'the video catalog: sqlite:<path> or postgres://...; embedded demo default: sqlite:<DATA_DIR>/hlsgate.db',
  }),
  DATABASE_POOL_MAX: withDefault(s.wholeNumber(1, 1000, 'a connection count'), 10, { applies: 'both', doc: 'PostgreSQL: connections per instance' }),
  ADMIN_TOKEN: noDefault(s.adminToken, { applies: 'both', secret: true, doc: 'enables the admin API (at least 32 characters, e.g. openssl rand -hex 32)' }),

  // ---- Running more than one instance
  REDIS_URL: noDefault(s.redisUrl, {
    applies: 'both',
    secret: true,
    doc: 'Redis/Valkey: playlist rate limit and admin failed-auth throttle shared by all instances (unset: per process)',
  }),
  METRICS_PORT: noDefault(s.wholeNumber(0, 65535, 'a TCP port number'), { applies: 'both', doc: 'Prometheus /metrics on its own listener (unset: off)' }),

  // ---- Embedded demo stack only
  DATA_DIR: withDefault(s.text, './data', { applies: 'embedded', doc: 'where the local store, dev keys and catalog live' }),
  EDGE_PORT: withDefault(s.wholeNumber(0, 65535, 'a TCP port number'), 0, { applies: 'embedded', doc: 'port of the local edge (0 = any free port)' }),
  LOCAL_S3_PORT: withDefault(s.wholeNumber(0, 65535, 'a TCP port number'), 0, { applies: 'embedded', doc: 'port of the local S3 store (0 = any free port)' }),
} as const;

export type VariableName = keyof typeof VARIABLES;

export const VARIABLE_NAMES = Object.keys(VARIABLES) as VariableName[];

/** The typed value of each variable: its default filled in, or undefined when it has none. */
export type Values = {
  [K in VariableName]: (typeof VARIABLES)[K] extends Variable<infer T, infer D> ? (D extends true ? T : T | undefined) : never;
};

/** Any of these set: the AWS configuration (else the embedded stack). */
export const AWS_TRIGGERS = ['S3_BUCKET', 'CDN_BASE_URL', 'CLOUDFRONT_KEY_PAIR_ID', 'CLOUDFRONT_PRIVATE_KEY', 'CLOUDFRONT_PRIVATE_KEY_FILE'] as const satisfies readonly VariableName[];

/** A default as `.env.example` and the README write it (undefined: the variable has none). */
export function shownDefault(name: VariableName): string | undefined {
  const value: string | number | boolean | string[] | undefined = VARIABLES[name].default;
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.join(',');
  return value === undefined ? undefined : String(value);
}
