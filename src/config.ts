// Environment -> typed, validated configuration. One clear, one-line error per bad variable.
//
// With none of the AWS-side variables set (S3_BUCKET, CDN_BASE_URL, CLOUDFRONT_KEY_PAIR_ID,
// CLOUDFRONT_PRIVATE_KEY, CLOUDFRONT_PRIVATE_KEY_FILE) the service runs the embedded local stack;
// with some of them set, all the required ones must be. A variable set to the empty string counts
// as unset (as docker-compose and .env files often produce).
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { domainMatches } from './core/scope.js';
import { normalizeCdnBase } from './core/cdn-url.js';
import { loadSigningKey, normalizeCidr, SignerError } from './core/cloudfront/signer.js';
import { checkJwksUrl, DEFAULT_CLOCK_SKEW_SECONDS, publicKeyAlgorithm, secretBytes, ViewerAuthConfigError, type ViewerAuthConfig } from './adapters/viewer-tokens.js';

/** A configuration problem. `message` is one line, naming the variable(s) and what is wrong. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  /** One entry per bad variable, each `VARIABLE: what is wrong`. */
  readonly problems: string[];
  constructor(problems: string | string[]) {
    const list = (Array.isArray(problems) ? problems : [problems]).map(oneLine);
    super(list.join('; '));
    this.problems = list;
  }
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ServiceConfig {
  port: number;
  host: string;
  s3: { bucket: string; region: string; endpoint?: string; forcePathStyle: boolean; timeoutMs: number; maxPlaylistBytes: number };
  /** Normalized: http(s), no trailing slash; maps to the bucket root. */
  cdnBaseUrl: string;
  signing: {
    keyPairId: string;
    privateKeyPem: string;
    hash: 'SHA1' | 'SHA256';
    mode: SigningMode;
    ttlSeconds: number;
    expiryMarginSeconds: number;
    /** Expiries are rounded up to a multiple of this (SIGNATURE_WINDOW_SECONDS); absent: DEFAULTS. */
    windowSeconds?: number;
  };
  /** In-memory caches (issue 5); absent: DEFAULTS. */
  cache?: { playlistMaxBytes: number; renderMaxBytes: number; vodRevalidateSeconds: number };
  databaseUrl: string;
  adminToken?: string;
  logLevel: LogLevel;
  /** Express 'trust proxy' value (addresses, CIDRs, loopback/linklocal/uniquelocal), or false. */
  trustProxy: string | false;
  /** Who may watch (VIEWER_AUTH...); absent = anyone. */
  viewerAuth?: ViewerAuthConfig;
  /** SIGNING_MODE=cookies: the CloudFront cookies' Domain (CDN_COOKIE_DOMAIN); absent = the app's host only. */
  cdnCookieDomain?: string;
  /** SIGNED_URL_BIND_IP: signatures only work from the viewer's address. */
  bindIp?: boolean;
  /** RATE_LIMIT_PER_MINUTE: playlist requests per client and minute (0 = unlimited). */
  rateLimitPerMinute?: number;
}

/** wildcard / url: signed URLs in the playlists; cookies: CloudFront signed cookies and plain URLs. */
export type SigningMode = 'wildcard' | 'url' | 'cookies';

export type LoadedConfig =
  | { kind: 'aws'; config: ServiceConfig }
  | {
      kind: 'embedded';
      port: number;
      host: string;
      databaseUrl: string;
      adminToken?: string;
      logLevel: ServiceConfig['logLevel'];
      signingMode: SigningMode;
      ttlSeconds: number;
      expiryMarginSeconds: number;
      dataDir: string;
      edgePort: number;
      s3Port: number;
      viewerAuth: ViewerAuthConfig;
      bindIp: boolean;
      rateLimitPerMinute: number;
    };

export const DEFAULTS = {
  PORT: 3000,
  HOST: '127.0.0.1',
  AWS_REGION: 'us-east-1',
  S3_TIMEOUT_MS: 5000,
  PLAYLIST_MAX_BYTES: 4 * 1024 * 1024,
  CLOUDFRONT_HASH_ALGORITHM: 'SHA1',
  SIGNING_MODE: 'wildcard',
  SIGNED_URL_TTL: 3600,
  SIGNED_URL_MARGIN: 300,
  DATABASE_URL: 'sqlite:./data/hlsgate.db',
  LOG_LEVEL: 'info',
  DATA_DIR: './data',
  EDGE_PORT: 0,
  LOCAL_S3_PORT: 0,
  VIEWER_AUTH: 'none',
  VIEWER_JWT_CLOCK_SKEW: DEFAULT_CLOCK_SKEW_SECONDS,
  RATE_LIMIT_PER_MINUTE: 600,
  PLAYLIST_CACHE_MAX_BYTES: 64 * 1024 * 1024,
  RENDER_CACHE_MAX_BYTES: 64 * 1024 * 1024,
  VOD_REVALIDATE_SECONDS: 30,
  SIGNATURE_WINDOW_SECONDS: 300,
} as const;

/** Variables whose values must never appear in messages. */
const SECRET = new Set(['CLOUDFRONT_PRIVATE_KEY', 'ADMIN_TOKEN', 'VIEWER_JWT_SECRET']);
/** Any of these set => the AWS configuration (else the embedded stack). */
const AWS_TRIGGERS = ['S3_BUCKET', 'CDN_BASE_URL', 'CLOUDFRONT_KEY_PAIR_ID', 'CLOUDFRONT_PRIVATE_KEY', 'CLOUDFRONT_PRIVATE_KEY_FILE'] as const;

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

// ---- per-variable schemas (input: the raw string; output: the typed value) ----

const wholeNumber = (min: number, max: number, what: string) => {
  const error = `expected ${what} between ${min} and ${max}`;
  return z
    .string()
    .trim()
    .regex(/^\d{1,15}$/, { error })
    .transform(Number)
    .pipe(z.number().int().min(min, { error }).max(max, { error }));
};

const oneOf = <T extends string>(values: readonly [T, ...T[]], normalize: (s: string) => string) =>
  z
    .string()
    .trim()
    .transform(normalize)
    .pipe(z.enum(values, { error: `expected one of ${values.join(', ')}` }));

const boolean = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0'], { error: 'expected true, false, 1 or 0' }))
  .transform((s) => s === 'true' || s === '1');

const host = z
  .string()
  .trim()
  .refine((h) => isIP(h) !== 0 || /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(h), {
    error: 'expected an IP address or host name to listen on (e.g. 127.0.0.1, 0.0.0.0, ::)',
  });

const bucket = z
  .string()
  .trim()
  .refine((b) => !/^s3:\/\//i.test(b) && !b.includes('/'), { error: 'expected a bare bucket name, not an s3:// URL or a path' })
  .refine((b) => /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/.test(b), {
    error: 'expected a bucket name (3-63 lowercase letters, digits, dots and hyphens)',
  });

const region = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/, { error: 'expected a region name such as us-east-1' });

const httpUrl = (example: string) =>
  z
    .string()
    .trim()
    .refine(
      (s) => {
        try {
          const u = new URL(s);
          return (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash && !u.username && !u.password;
        } catch {
          return false;
        }
      },
      { error: `expected an http(s) URL without query, fragment or credentials, such as ${example}` },
    );

const cdnBase = httpUrl('https://d111111abcdef8.cloudfront.net').transform((s) => normalizeCdnBase(s));

const keyPairId = z.string().trim().regex(/^[A-Za-z0-9_-]{1,128}$/, { error: 'expected a CloudFront public key id (letters, digits, - and _), e.g. K2JCJMDEHXQW5F' });

const databaseUrl = z
  .string()
  .trim()
  // Refused here rather than at openCatalog so that startup fails with one line, not a stack.
  .refine((s) => !/^postgres(ql)?:/i.test(s), { error: 'PostgreSQL catalogs are not implemented yet; use sqlite:<path>' })
  .refine((s) => /^sqlite:/i.test(s) || !/^[A-Za-z][A-Za-z0-9+.-]+:/.test(s), { error: 'expected sqlite:<path> (or a bare file path)' })
  .refine((s) => !/^sqlite:(\/\/)?$/i.test(s), { error: 'expected sqlite:<path>, e.g. sqlite:./data/hlsgate.db' });

const adminToken = z
  .string()
  .refine((s) => s.length >= 16, { error: 'must be at least 16 characters (e.g. openssl rand -hex 32)' })
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  .refine((s) => !/[\s\u0000-\u001f\u007f]/.test(s), { error: 'must not contain spaces or control characters' });

const TRUST_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);
const trustProxy = z
  .string()
  .trim()
  .transform((s, ctx): string | false => {
    if (/^(false|0|off|no)$/i.test(s)) return false;
    const error =
      /^(true|on|yes)$/i.test(s) || /^\d+$/.test(s)
        ? 'expected proxy addresses/CIDRs or loopback, linklocal, uniquelocal (trusting any proxy or a hop count lets clients forge X-Forwarded-For)'
        : 'expected false, or a comma-separated list of proxy addresses/CIDRs and loopback, linklocal, uniquelocal';
    const parts = s.split(',').map((p) => p.trim());
    const ok = parts.every((p) => {
      if (TRUST_KEYWORDS.has(p)) return true;
      try {
        normalizeCidr(p);
        return true;
      } catch {
        return false;
      }
    });
    if (!ok) {
      ctx.issues.push({ code: 'custom', message: error, input: s });
      return z.NEVER;
    }
    return parts.join(',');
  });

const cookieDomain = z
  .string()
  .trim()
  .refine((d) => /^\.?(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(d), {
    error: 'expected a domain shared by the app and the CDN, such as .example.com',
  });

const envSchema = z.object({
  PORT: wholeNumber(0, 65535, 'a TCP port number').optional(),
  HOST: host.optional(),
  S3_BUCKET: bucket.optional(),
  AWS_REGION: region.optional(),
  S3_ENDPOINT: httpUrl('http://127.0.0.1:9000').optional(),
  S3_FORCE_PATH_STYLE: boolean.optional(),
  S3_TIMEOUT_MS: wholeNumber(100, 300_000, 'whole milliseconds').optional(),
  PLAYLIST_MAX_BYTES: wholeNumber(1024, 256 * 1024 * 1024, 'a size in bytes').optional(),
  CDN_BASE_URL: cdnBase.optional(),
  CLOUDFRONT_KEY_PAIR_ID: keyPairId.optional(),
  CLOUDFRONT_PRIVATE_KEY_FILE: z.string().optional(),
  CLOUDFRONT_PRIVATE_KEY: z.string().optional(),
  CLOUDFRONT_HASH_ALGORITHM: oneOf(['SHA1', 'SHA256'] as const, (s) => s.toUpperCase().replace('-', '')).optional(),
  SIGNING_MODE: oneOf(['wildcard', 'url', 'cookies'] as const, (s) => s.toLowerCase()).optional(),
  CDN_COOKIE_DOMAIN: cookieDomain.optional(),
  SIGNED_URL_BIND_IP: boolean.optional(),
  VIEWER_AUTH: oneOf(['none', 'jwt'] as const, (s) => s.toLowerCase()).optional(),
  VIEWER_JWT_SECRET: z.string().optional(),
  VIEWER_JWT_PUBLIC_KEY_FILE: z.string().optional(),
  VIEWER_JWKS_URL: z.string().trim().optional(),
  VIEWER_JWT_AUDIENCE: z.string().trim().optional(),
  VIEWER_JWT_ISSUER: z.string().trim().optional(),
  VIEWER_JWT_CLOCK_SKEW: wholeNumber(0, 600, 'whole seconds').optional(),
  RATE_LIMIT_PER_MINUTE: wholeNumber(0, 1_000_000, 'requests per minute (0 = no limit)').optional(),
  SIGNED_URL_TTL: wholeNumber(60, 604_800, 'whole seconds').optional(),
  SIGNED_URL_MARGIN: wholeNumber(0, 86_400, 'whole seconds').optional(),
  DATABASE_URL: databaseUrl.optional(),
  ADMIN_TOKEN: adminToken.optional(),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, (s) => s.toLowerCase()).optional(),
  TRUST_PROXY: trustProxy.optional(),
  DATA_DIR: z.string().optional(),
  EDGE_PORT: wholeNumber(0, 65535, 'a TCP port number').optional(),
  LOCAL_S3_PORT: wholeNumber(0, 65535, 'a TCP port number').optional(),
  PLAYLIST_CACHE_MAX_BYTES: wholeNumber(0, 16 * 1024 ** 3, 'a size in bytes').optional(),
  RENDER_CACHE_MAX_BYTES: wholeNumber(0, 16 * 1024 ** 3, 'a size in bytes').optional(),
  VOD_REVALIDATE_SECONDS: wholeNumber(1, 86_400, 'whole seconds').optional(),
  SIGNATURE_WINDOW_SECONDS: wholeNumber(0, 86_400, 'whole seconds').optional(),
});

type Env = z.output<typeof envSchema>;

/**
 * CLOUDFRONT_PRIVATE_KEY's PEM text: in one env line, literal "\n" escapes stand for newlines;
 * surrounding quotes are dropped.
 */
export function pemFromEnvText(text: string): string {
  return text
    .trim()
    .replace(/^(["'])([\s\S]*)\1$/, '$2')
    .replace(/\\r\\n|\\n/g, '\n');
}

/**
 * The catalog the service uses for this environment: DATABASE_URL, else the AWS default, else (the
 * embedded demo) `sqlite:<DATA_DIR>/hlsgate.db`. The CLI's `videos` commands open the same one.
 */
export function catalogDatabaseUrl(env: Record<string, string | undefined>): string {
  if (env.DATABASE_URL) return env.DATABASE_URL.trim();
  if (AWS_TRIGGERS.some((name) => env[name])) return DEFAULTS.DATABASE_URL;
  return `sqlite:${(env.DATA_DIR || DEFAULTS.DATA_DIR).replace(/\/+$/, '')}/hlsgate.db`;
}

function defaultReadFile(path: string): string {
  return readFileSync(path, 'utf8');
}

function readError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  if (typeof code === 'string') return code;
  return err instanceof Error ? oneLine(err.message).slice(0, 120) : String(err);
}

/**
 * Reads the configuration from an environment. Throws ConfigError (one line) for bad values.
 * `readFile` reads CLOUDFRONT_PRIVATE_KEY_FILE (injectable for tests).
 */
export function loadConfig(env: Record<string, string | undefined>, readFile: (path: string) => string = defaultReadFile): LoadedConfig {
  // '' counts as unset.
  const raw: Record<string, string> = {};
  for (const name of Object.keys(envSchema.shape)) {
    const v = env[name];
    if (v !== undefined && v !== '') raw[name] = v;
  }

  const problems: string[] = [];
  const parsed = envSchema.safeParse(raw);
  let e: Env;
  if (parsed.success) {
    e = parsed.data;
  } else {
    const seen = new Set<string>();
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? 'environment');
      if (seen.has(name)) continue; // one problem per variable
      seen.add(name);
      const value = raw[name];
      const got = value === undefined ? '' : SECRET.has(name) ? ` (got ${value.length} characters)` : `, got ${shown(value)}`;
      problems.push(`${name}: ${issue.message}${got}`);
    }
    throw new ConfigError(problems);
  }

  const ttlSeconds = e.SIGNED_URL_TTL ?? DEFAULTS.SIGNED_URL_TTL;
  const expiryMarginSeconds = e.SIGNED_URL_MARGIN ?? DEFAULTS.SIGNED_URL_MARGIN;
  const common = {
    port: e.PORT ?? DEFAULTS.PORT,
    host: e.HOST ?? DEFAULTS.HOST,
    logLevel: e.LOG_LEVEL ?? DEFAULTS.LOG_LEVEL,
    ...(e.ADMIN_TOKEN !== undefined ? { adminToken: e.ADMIN_TOKEN } : {}),
  };
  const signingMode = e.SIGNING_MODE ?? DEFAULTS.SIGNING_MODE;
  const viewerAuth = viewerAuthFrom(e, raw, readFile, problems);
  const bindIp = e.SIGNED_URL_BIND_IP ?? false;
  const rateLimitPerMinute = e.RATE_LIMIT_PER_MINUTE ?? DEFAULTS.RATE_LIMIT_PER_MINUTE;

  const setTriggers = AWS_TRIGGERS.filter((name) => raw[name] !== undefined);
  if (setTriggers.length === 0) {
    if (raw.S3_ENDPOINT !== undefined) {
      problems.push('S3_BUCKET: required when S3_ENDPOINT is set (or unset S3_ENDPOINT to run the embedded demo)');
    }
    if (problems.length > 0) throw new ConfigError(problems);
    const dataDir = e.DATA_DIR ?? DEFAULTS.DATA_DIR;
    return {
      kind: 'embedded',
      ...common,
      databaseUrl: e.DATABASE_URL ?? catalogDatabaseUrl(raw),
      signingMode,
      ttlSeconds,
      expiryMarginSeconds,
      dataDir,
      edgePort: e.EDGE_PORT ?? DEFAULTS.EDGE_PORT,
      s3Port: e.LOCAL_S3_PORT ?? DEFAULTS.LOCAL_S3_PORT,
      viewerAuth: viewerAuth ?? { mode: 'none', warn: false },
      bindIp,
      rateLimitPerMinute,
    };
  }

  const because = `required when ${setTriggers[0]} is set (or unset all AWS variables to run the embedded demo)`;
  for (const name of ['S3_BUCKET', 'CDN_BASE_URL', 'CLOUDFRONT_KEY_PAIR_ID'] as const) {
    if (raw[name] === undefined) problems.push(`${name}: ${because}`);
  }
  const hasFile = raw.CLOUDFRONT_PRIVATE_KEY_FILE !== undefined;
  const hasPem = raw.CLOUDFRONT_PRIVATE_KEY !== undefined;
  let keyVar: 'CLOUDFRONT_PRIVATE_KEY_FILE' | 'CLOUDFRONT_PRIVATE_KEY' | undefined;
  let privateKeyPem: string | undefined;
  let keyWhere = '';
  if (hasFile && hasPem) {
    problems.push('CLOUDFRONT_PRIVATE_KEY: set either CLOUDFRONT_PRIVATE_KEY or CLOUDFRONT_PRIVATE_KEY_FILE, not both');
  } else if (!hasFile && !hasPem) {
    problems.push(`CLOUDFRONT_PRIVATE_KEY_FILE: ${because.replace('required', 'required (or CLOUDFRONT_PRIVATE_KEY with the PEM text)')}`);
  } else if (hasFile) {
    keyVar = 'CLOUDFRONT_PRIVATE_KEY_FILE';
    const path = raw.CLOUDFRONT_PRIVATE_KEY_FILE!.trim();
    keyWhere = ` (file ${shown(path)})`;
    try {
      privateKeyPem = readFile(path);
    } catch (err) {
      problems.push(`CLOUDFRONT_PRIVATE_KEY_FILE: cannot read ${shown(path)}: ${readError(err)}`);
    }
  } else {
    keyVar = 'CLOUDFRONT_PRIVATE_KEY';
    privateKeyPem = pemFromEnvText(raw.CLOUDFRONT_PRIVATE_KEY!);
  }

  const hash = e.CLOUDFRONT_HASH_ALGORITHM ?? DEFAULTS.CLOUDFRONT_HASH_ALGORITHM;
  if (signingMode === 'cookies' && e.CDN_BASE_URL !== undefined) {
    const cdnHost = new URL(e.CDN_BASE_URL).hostname.replace(/^\[|\]$/g, '');
    const loopback = cdnHost === 'localhost' || cdnHost === '::1' || /^127\./.test(cdnHost);
    if (e.CDN_COOKIE_DOMAIN === undefined) {
      if (!loopback) {
        problems.push(
          `CDN_COOKIE_DOMAIN: required with SIGNING_MODE=cookies: a domain shared by this service and the CDN (${cdnHost}), e.g. .example.com (the CDN needs an alternate domain name under it)`,
        );
      }
    } else if (!domainMatches(cdnHost, e.CDN_COOKIE_DOMAIN)) {
      problems.push(`CDN_COOKIE_DOMAIN: ${shown(e.CDN_COOKIE_DOMAIN)} does not cover the CDN host ${cdnHost} (CDN_BASE_URL): browsers would never send the cookies to it`);
    }
  }
  if (keyVar && privateKeyPem !== undefined && e.CLOUDFRONT_KEY_PAIR_ID !== undefined) {
    try {
      loadSigningKey({ keyPairId: e.CLOUDFRONT_KEY_PAIR_ID, privateKeyPem, hash });
    } catch (err) {
      if (!(err instanceof SignerError)) throw err;
      problems.push(`${keyVar}: ${err.message}${keyWhere}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const endpoint = e.S3_ENDPOINT;
  const config: ServiceConfig = {
    ...common,
    s3: {
      bucket: e.S3_BUCKET!,
      region: e.AWS_REGION ?? DEFAULTS.AWS_REGION,
      ...(endpoint !== undefined ? { endpoint } : {}),
      forcePathStyle: e.S3_FORCE_PATH_STYLE ?? endpoint !== undefined,
      timeoutMs: e.S3_TIMEOUT_MS ?? DEFAULTS.S3_TIMEOUT_MS,
      maxPlaylistBytes: e.PLAYLIST_MAX_BYTES ?? DEFAULTS.PLAYLIST_MAX_BYTES,
    },
    cdnBaseUrl: e.CDN_BASE_URL!,
    signing: {
      keyPairId: e.CLOUDFRONT_KEY_PAIR_ID!,
      privateKeyPem: privateKeyPem!,
      hash,
      mode: signingMode,
      ttlSeconds,
      expiryMarginSeconds,
      windowSeconds: e.SIGNATURE_WINDOW_SECONDS ?? DEFAULTS.SIGNATURE_WINDOW_SECONDS,
    },
    cache: {
      playlistMaxBytes: e.PLAYLIST_CACHE_MAX_BYTES ?? DEFAULTS.PLAYLIST_CACHE_MAX_BYTES,
      renderMaxBytes: e.RENDER_CACHE_MAX_BYTES ?? DEFAULTS.RENDER_CACHE_MAX_BYTES,
      vodRevalidateSeconds: e.VOD_REVALIDATE_SECONDS ?? DEFAULTS.VOD_REVALIDATE_SECONDS,
    },
    databaseUrl: e.DATABASE_URL ?? catalogDatabaseUrl(raw),
    trustProxy: e.TRUST_PROXY ?? false,
    viewerAuth: viewerAuth ?? { mode: 'none' },
    bindIp,
    rateLimitPerMinute,
    ...(signingMode === 'cookies' && e.CDN_COOKIE_DOMAIN !== undefined ? { cdnCookieDomain: e.CDN_COOKIE_DOMAIN } : {}),
  };
  return { kind: 'aws', config };
}

/**
 * VIEWER_AUTH and its VIEWER_JWT_* settings; pushes one problem per bad variable. undefined when
 * there were problems (the caller throws) or VIEWER_AUTH is unset.
 */
function viewerAuthFrom(e: Env, raw: Record<string, string>, readFile: (path: string) => string, problems: string[]): ViewerAuthConfig | undefined {
  const jwtVars = ['VIEWER_JWT_SECRET', 'VIEWER_JWT_PUBLIC_KEY_FILE', 'VIEWER_JWKS_URL'] as const;
  const given = jwtVars.filter((name) => raw[name] !== undefined);
  const mode = e.VIEWER_AUTH ?? DEFAULTS.VIEWER_AUTH;
  if (mode === 'none') {
    if (given.length > 0) problems.push(`VIEWER_AUTH: ${given[0]} is set but VIEWER_AUTH is not jwt; set VIEWER_AUTH=jwt to check viewer tokens (or unset ${given[0]})`);
    return e.VIEWER_AUTH === undefined ? undefined : { mode: 'none' };
  }
  if (given.length !== 1) {
    problems.push(
      given.length === 0
        ? 'VIEWER_AUTH: jwt needs exactly one key: VIEWER_JWT_SECRET (HS256), VIEWER_JWT_PUBLIC_KEY_FILE (RS256/ES256 PEM) or VIEWER_JWKS_URL'
        : `VIEWER_AUTH: set only one of ${given.join(', ')}`,
    );
    return undefined;
  }
  const before = problems.length;
  const which = given[0]!;
  let key: Extract<ViewerAuthConfig, { mode: 'jwt' }>['key'] | undefined;
  try {
    if (which === 'VIEWER_JWT_SECRET') {
      secretBytes(raw.VIEWER_JWT_SECRET!);
      key = { kind: 'secret', secret: raw.VIEWER_JWT_SECRET! };
    } else if (which === 'VIEWER_JWT_PUBLIC_KEY_FILE') {
      const path = raw.VIEWER_JWT_PUBLIC_KEY_FILE!.trim();
      let pem: string;
      try {
        pem = readFile(path);
      } catch (err) {
        problems.push(`VIEWER_JWT_PUBLIC_KEY_FILE: cannot read ${shown(path)}: ${readError(err)}`);
        return undefined;
      }
      publicKeyAlgorithm(pem);
      key = { kind: 'publicKey', pem };
    } else {
      checkJwksUrl(e.VIEWER_JWKS_URL!);
      key = { kind: 'jwks', url: e.VIEWER_JWKS_URL! };
    }
  } catch (err) {
    if (!(err instanceof ViewerAuthConfigError)) throw err;
    problems.push(`${which}: ${err.message}`);
  }
  if (problems.length > before || key === undefined) return undefined;
  return {
    mode: 'jwt',
    key,
    ...(e.VIEWER_JWT_AUDIENCE ? { audience: e.VIEWER_JWT_AUDIENCE } : {}),
    ...(e.VIEWER_JWT_ISSUER ? { issuer: e.VIEWER_JWT_ISSUER } : {}),
    clockSkewSeconds: e.VIEWER_JWT_CLOCK_SKEW ?? DEFAULTS.VIEWER_JWT_CLOCK_SKEW,
  };
}

const REDACTED = '[redacted]';

/** A database URL with any password replaced. */
function redactUrl(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/:@]*:)[^@/]*@/, `$1${REDACTED}@`);
}

/** The configuration for logs: private key, admin token and database password redacted. */
export function describeConfig(c: ServiceConfig): Record<string, unknown> {
  return {
    port: c.port,
    host: c.host,
    s3: { ...c.s3 },
    cdnBaseUrl: c.cdnBaseUrl,
    signing: { ...c.signing, privateKeyPem: REDACTED },
    ...(c.cache === undefined ? {} : { cache: { ...c.cache } }),
    databaseUrl: redactUrl(c.databaseUrl),
    adminToken: c.adminToken === undefined ? undefined : REDACTED,
    logLevel: c.logLevel,
    trustProxy: c.trustProxy,
    viewerAuth: c.viewerAuth === undefined ? { mode: 'none' } : c.viewerAuth.mode === 'jwt' && c.viewerAuth.key.kind === 'secret' ? { ...c.viewerAuth, key: { kind: 'secret', secret: REDACTED } } : c.viewerAuth,
    cdnCookieDomain: c.cdnCookieDomain,
    bindIp: c.bindIp ?? false,
    rateLimitPerMinute: c.rateLimitPerMinute,
  };
}
