// Environment -> typed, validated configuration, following the table in variables.ts. One clear,
// one-line error per bad variable; secrets never shown.
//
// With none of the AWS-side variables set (S3_BUCKET, CDN_BASE_URL, CLOUDFRONT_KEY_PAIR_ID,
// CLOUDFRONT_PRIVATE_KEY, CLOUDFRONT_PRIVATE_KEY_FILE) the service runs the embedded local stack;
// with some of them set, all the required ones must be. A variable set to the empty string counts
// as unset (as docker-compose and .env files often produce).
import { readFileSync } from 'node:fs';
import { domainMatches } from '../core/scope.js';
import { loadSigningKey, SignerError, type SigningKey } from '../core/cloudfront/signer.js';
import { checkJwksUrl, publicKeyAlgorithm, secretBytes, ViewerAuthConfigError, type ViewerAuthConfig } from '../adapters/viewer-tokens.js';
import { AWS_TRIGGERS, VARIABLE_NAMES, VARIABLES, type VariableName, type Values } from './variables.js';
import type { EmbeddedConfig, LoadedConfig, ServiceConfig } from './types.js';

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

/** An environment: variable name -> value (unset or '' = not set). */
export type Environment = Record<string, string | undefined>;

/** Reads a file as text (CLOUDFRONT_PRIVATE_KEY_FILE, VIEWER_JWT_PUBLIC_KEY_FILE); injectable for tests. */
export type ReadFile = (path: string) => string;

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
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

/** The table's variables that are set (non-empty) in env. */
function setVariables(env: Environment): Partial<Record<VariableName, string>> {
  const raw: Partial<Record<VariableName, string>> = {};
  for (const name of VARIABLE_NAMES) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  return raw;
}

/** Parses `names` from raw with the table's schemas, defaults filled; one problem per bad variable. */
function parseVariables<K extends VariableName>(raw: Partial<Record<VariableName, string>>, names: readonly K[], problems: string[]): Pick<Values, K> {
  const values: Record<string, unknown> = {};
  for (const name of names) {
    const variable = VARIABLES[name];
    const value = raw[name];
    if (value === undefined) {
      values[name] = variable.default;
      continue;
    }
    const parsed = variable.schema.safeParse(value);
    if (parsed.success) {
      values[name] = parsed.data;
    } else {
      const got = variable.secret ? ` (got ${value.length} characters)` : `, got ${shown(value)}`;
      problems.push(`${name}: ${parsed.error.issues[0]?.message ?? 'invalid value'}${got}`);
    }
  }
  return values as Pick<Values, K>;
}

/**
 * Some of the table's variables, read and validated as loadConfig reads them (defaults filled in;
 * `hlsgate` commands use this for the service's variables they fall back to). Throws ConfigError.
 */
export function readVariables<K extends VariableName>(env: Environment, names: readonly K[]): Pick<Values, K> {
  const problems: string[] = [];
  const values = parseVariables(setVariables(env), names, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return values;
}

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

/** The private key's PEM text and the variable it came from. */
export interface PrivateKeyText {
  variable: 'CLOUDFRONT_PRIVATE_KEY_FILE' | 'CLOUDFRONT_PRIVATE_KEY';
  pem: string;
  /** For messages: ` (file "<path>")`, or '' for PEM text. */
  where: string;
}

/** The key's PEM text from raw; undefined when neither variable is set (the caller decides) or on a problem. */
function privateKeyText(raw: Partial<Record<VariableName, string>>, readFile: ReadFile, problems: string[]): PrivateKeyText | undefined {
  const file = raw.CLOUDFRONT_PRIVATE_KEY_FILE;
  const text = raw.CLOUDFRONT_PRIVATE_KEY;
  if (file !== undefined && text !== undefined) {
    problems.push('CLOUDFRONT_PRIVATE_KEY: set either CLOUDFRONT_PRIVATE_KEY or CLOUDFRONT_PRIVATE_KEY_FILE, not both');
    return undefined;
  }
  if (text !== undefined) return { variable: 'CLOUDFRONT_PRIVATE_KEY', pem: pemFromEnvText(text), where: '' };
  if (file === undefined) return undefined;
  const path = file.trim();
  try {
    return { variable: 'CLOUDFRONT_PRIVATE_KEY_FILE', pem: readFile(path), where: ` (file ${shown(path)})` };
  } catch (err) {
    problems.push(`CLOUDFRONT_PRIVATE_KEY_FILE: cannot read ${shown(path)}: ${readError(err)}`);
    return undefined;
  }
}

/**
 * The private key's PEM text as the service reads it (CLOUDFRONT_PRIVATE_KEY_FILE or
 * CLOUDFRONT_PRIVATE_KEY, not both); undefined when neither is set. Throws ConfigError.
 */
export function privateKeyFromEnv(env: Environment, readFile: ReadFile = defaultReadFile): PrivateKeyText | undefined {
  const problems: string[] = [];
  const key = privateKeyText(setVariables(env), readFile, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return key;
}

/**
 * The catalog the service uses for this environment: DATABASE_URL, else the AWS default, else (the
 * embedded demo) `sqlite:<DATA_DIR>/hlsgate.db`. The CLI's `videos` commands open the same one.
 */
export function catalogDatabaseUrl(env: Environment): string {
  if (env.DATABASE_URL) return env.DATABASE_URL.trim();
  if (AWS_TRIGGERS.some((name) => env[name])) return VARIABLES.DATABASE_URL.default;
  return `sqlite:${(env.DATA_DIR || VARIABLES.DATA_DIR.default).replace(/\/+$/, '')}/hlsgate.db`;
}

/**
 * Reads the configuration from an environment. Throws ConfigError (one line) for bad values.
 * `readFile` reads CLOUDFRONT_PRIVATE_KEY_FILE and VIEWER_JWT_PUBLIC_KEY_FILE (injectable for tests).
 */
export function loadConfig(env: Environment, readFile: ReadFile = defaultReadFile): LoadedConfig {
  const raw = setVariables(env);
  const problems: string[] = [];
  const v = parseVariables(raw, VARIABLE_NAMES, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  if (v.SIGNED_URL_MAX_TTL < v.SIGNED_URL_TTL) {
    problems.push(`SIGNED_URL_MAX_TTL: ${v.SIGNED_URL_MAX_TTL} is shorter than SIGNED_URL_TTL (${v.SIGNED_URL_TTL}); the ceiling must be at least the TTL`);
  }

  const viewerAuth = viewerAuthFrom(v, raw, readFile, problems);
  const setTriggers = AWS_TRIGGERS.filter((name) => raw[name] !== undefined);
  const firstTrigger = setTriggers[0];
  if (firstTrigger === undefined) {
    if (raw.S3_ENDPOINT !== undefined) {
      problems.push('S3_BUCKET: required when S3_ENDPOINT is set (or unset S3_ENDPOINT to run the embedded demo)');
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return {
      kind: 'embedded',
      ...embeddedFrom(v, raw),
      // Unset: anyone may watch, without the production warning (it is a demo on loopback).
      viewerAuth: viewerAuth ?? { mode: 'none', warn: false },
    };
  }

  const because = `required when ${firstTrigger} is set (or unset all AWS variables to run the embedded demo)`;
  const need = <K extends 'S3_BUCKET' | 'CDN_BASE_URL' | 'CLOUDFRONT_KEY_PAIR_ID'>(name: K): Values[K] => {
    if (v[name] === undefined) problems.push(`${name}: ${because}`);
    return v[name];
  };
  const bucket = need('S3_BUCKET');
  const cdnBaseUrl = need('CDN_BASE_URL');
  const keyPairId = need('CLOUDFRONT_KEY_PAIR_ID');
  const keyText = privateKeyText(raw, readFile, problems);
  if (keyText === undefined && raw.CLOUDFRONT_PRIVATE_KEY === undefined && raw.CLOUDFRONT_PRIVATE_KEY_FILE === undefined) {
    problems.push(`CLOUDFRONT_PRIVATE_KEY_FILE: ${because.replace('required', 'required (or CLOUDFRONT_PRIVATE_KEY with the PEM text)')}`);
  }

  const signingMode = v.SIGNING_MODE;
  if (signingMode === 'cookies' && cdnBaseUrl !== undefined) cookieDomainProblem(cdnBaseUrl, v.CDN_COOKIE_DOMAIN, problems);
  let key: SigningKey | undefined;
  if (keyText !== undefined && keyPairId !== undefined) {
    try {
      key = loadSigningKey({ keyPairId, privateKeyPem: keyText.pem, hash: v.CLOUDFRONT_HASH_ALGORITHM });
    } catch (err) {
      if (!(err instanceof SignerError)) throw err;
      problems.push(`${keyText.variable}: ${err.message}${keyText.where}`);
    }
  }
  if (problems.length > 0 || bucket === undefined || cdnBaseUrl === undefined || key === undefined) throw new ConfigError(problems);

  const endpoint = v.S3_ENDPOINT;
  const config: ServiceConfig = {
    port: v.PORT,
    host: v.HOST,
    s3: {
      bucket,
      region: v.AWS_REGION,
      ...(endpoint !== undefined ? { endpoint } : {}),
      forcePathStyle: v.S3_FORCE_PATH_STYLE ?? endpoint !== undefined,
      timeoutMs: v.S3_TIMEOUT_MS,
      maxPlaylistBytes: v.PLAYLIST_MAX_BYTES,
    },
    cdnBaseUrl,
    signing: {
      key,
      mode: signingMode,
      ttlSeconds: v.SIGNED_URL_TTL,
      expiryMarginSeconds: v.SIGNED_URL_MARGIN,
      windowSeconds: v.SIGNATURE_WINDOW_SECONDS,
      maxTtlSeconds: v.SIGNED_URL_MAX_TTL,
    },
    foreignUris: v.FOREIGN_URIS,
    responseMaxBytes: v.RESPONSE_MAX_BYTES,
    playerOrigins: v.PLAYER_ORIGINS,
    cache: cacheFrom(v),
    databaseUrl: v.DATABASE_URL,
    ...scaleFrom(v),
    ...(v.ADMIN_TOKEN !== undefined ? { adminToken: v.ADMIN_TOKEN } : {}),
    logLevel: v.LOG_LEVEL,
    trustProxy: v.TRUST_PROXY,
    viewerAuth: viewerAuth ?? { mode: 'none' },
    bindIp: v.SIGNED_URL_BIND_IP,
    rateLimitPerMinute: v.RATE_LIMIT_PER_MINUTE,
    ...(signingMode === 'cookies' && v.CDN_COOKIE_DOMAIN !== undefined ? { cdnCookieDomain: v.CDN_COOKIE_DOMAIN } : {}),
  };
  return { kind: 'aws', config };
}

/**
 * The embedded demo's configuration for an environment without any variable set: the table's
 * defaults. startEmbedded starts from these, so a test's stack and `npm start` agree.
 */
export function embeddedDefaults(): EmbeddedConfig {
  const loaded = loadConfig({});
  if (loaded.kind !== 'embedded') throw new Error('an empty environment is the embedded demo');
  const { kind: _kind, ...config } = loaded;
  return config;
}

/** What several instances share (catalog pool, Redis) and the metrics listener. */
function scaleFrom(v: Values): Pick<ServiceConfig, 'databasePoolMax' | 'redisUrl' | 'metricsPort'> {
  return {
    databasePoolMax: v.DATABASE_POOL_MAX,
    ...(v.REDIS_URL !== undefined ? { redisUrl: v.REDIS_URL } : {}),
    ...(v.METRICS_PORT !== undefined ? { metricsPort: v.METRICS_PORT } : {}),
  };
}

function cacheFrom(v: Values): ServiceConfig['cache'] {
  return {
    playlistMaxBytes: v.PLAYLIST_CACHE_MAX_BYTES,
    renderMaxBytes: v.RENDER_CACHE_MAX_BYTES,
    vodRevalidateSeconds: v.VOD_REVALIDATE_SECONDS,
  };
}

function embeddedFrom(v: Values, raw: Partial<Record<VariableName, string>>): Omit<EmbeddedConfig, 'viewerAuth'> {
  return {
    port: v.PORT,
    host: v.HOST,
    databaseUrl: raw.DATABASE_URL !== undefined ? v.DATABASE_URL : catalogDatabaseUrl(raw),
    ...scaleFrom(v),
    ...(v.ADMIN_TOKEN !== undefined ? { adminToken: v.ADMIN_TOKEN } : {}),
    logLevel: v.LOG_LEVEL,
    trustProxy: v.TRUST_PROXY,
    hash: v.CLOUDFRONT_HASH_ALGORITHM,
    signingMode: v.SIGNING_MODE,
    ttlSeconds: v.SIGNED_URL_TTL,
    expiryMarginSeconds: v.SIGNED_URL_MARGIN,
    windowSeconds: v.SIGNATURE_WINDOW_SECONDS,
    maxTtlSeconds: v.SIGNED_URL_MAX_TTL,
    foreignUris: v.FOREIGN_URIS,
    responseMaxBytes: v.RESPONSE_MAX_BYTES,
    playerOrigins: v.PLAYER_ORIGINS,
    s3TimeoutMs: v.S3_TIMEOUT_MS,
    maxPlaylistBytes: v.PLAYLIST_MAX_BYTES,
    cache: cacheFrom(v),
    bindIp: v.SIGNED_URL_BIND_IP,
    rateLimitPerMinute: v.RATE_LIMIT_PER_MINUTE,
    dataDir: v.DATA_DIR,
    edgePort: v.EDGE_PORT,
    s3Port: v.LOCAL_S3_PORT,
  };
}

/** SIGNING_MODE=cookies: CDN_COOKIE_DOMAIN must cover the CDN's host (not needed for a CDN on loopback). */
function cookieDomainProblem(cdnBaseUrl: string, domain: string | undefined, problems: string[]): void {
  const cdnHost = new URL(cdnBaseUrl).hostname.replace(/^\[|\]$/g, '');
  const loopback = cdnHost === 'localhost' || cdnHost === '::1' || /^127\./.test(cdnHost);
  if (domain === undefined) {
    if (!loopback) {
      problems.push(
        `CDN_COOKIE_DOMAIN: required with SIGNING_MODE=cookies: a domain shared by this service and the CDN (${cdnHost}), e.g. .example.com (the CDN needs an alternate domain name under it)`,
      );
    }
  } else if (!domainMatches(cdnHost, domain)) {
    problems.push(`CDN_COOKIE_DOMAIN: ${shown(domain)} does not cover the CDN host ${cdnHost} (CDN_BASE_URL): browsers would never send the cookies to it`);
  }
}

type JwtKey = Extract<ViewerAuthConfig, { mode: 'jwt' }>['key'];

/**
 * VIEWER_AUTH and its VIEWER_JWT_* settings; pushes one problem per bad variable. undefined when
 * there were problems (the caller throws) or VIEWER_AUTH is unset.
 */
function viewerAuthFrom(v: Values, raw: Partial<Record<VariableName, string>>, readFile: ReadFile, problems: string[]): ViewerAuthConfig | undefined {
  const jwtVars = ['VIEWER_JWT_SECRET', 'VIEWER_JWT_PUBLIC_KEY_FILE', 'VIEWER_JWKS_URL'] as const;
  const given = jwtVars.filter((name) => raw[name] !== undefined);
  if (v.VIEWER_AUTH === 'none') {
    if (given.length > 0) problems.push(`VIEWER_AUTH: ${given[0]} is set but VIEWER_AUTH is not jwt; set VIEWER_AUTH=jwt to check viewer tokens (or unset ${given[0]})`);
    return raw.VIEWER_AUTH === undefined ? undefined : { mode: 'none' };
  }
  const which = given[0];
  if (which === undefined || given.length > 1) {
    problems.push(
      which === undefined
        ? 'VIEWER_AUTH: jwt needs exactly one key: VIEWER_JWT_SECRET (HS256), VIEWER_JWT_PUBLIC_KEY_FILE (RS256/ES256 PEM) or VIEWER_JWKS_URL'
        : `VIEWER_AUTH: set only one of ${given.join(', ')}`,
    );
    return undefined;
  }
  let key: JwtKey | undefined;
  try {
    key = jwtKeyFrom(v, readFile, problems);
  } catch (err) {
    if (!(err instanceof ViewerAuthConfigError)) throw err;
    problems.push(`${which}: ${err.message}`);
  }
  if (key === undefined) return undefined;
  return {
    mode: 'jwt',
    key,
    ...(v.VIEWER_JWT_AUDIENCE ? { audience: v.VIEWER_JWT_AUDIENCE } : {}),
    ...(v.VIEWER_JWT_ISSUER ? { issuer: v.VIEWER_JWT_ISSUER } : {}),
    clockSkewSeconds: v.VIEWER_JWT_CLOCK_SKEW,
  };
}

/** The one JWT key source that is set; throws ViewerAuthConfigError for a bad one, pushes a problem for an unreadable file. */
function jwtKeyFrom(v: Values, readFile: ReadFile, problems: string[]): JwtKey | undefined {
  if (v.VIEWER_JWT_SECRET !== undefined) {
    secretBytes(v.VIEWER_JWT_SECRET);
    return { kind: 'secret', secret: v.VIEWER_JWT_SECRET };
  }
  if (v.VIEWER_JWT_PUBLIC_KEY_FILE !== undefined) {
    const path = v.VIEWER_JWT_PUBLIC_KEY_FILE.trim();
    let pem: string;
    try {
      pem = readFile(path);
    } catch (err) {
      problems.push(`VIEWER_JWT_PUBLIC_KEY_FILE: cannot read ${shown(path)}: ${readError(err)}`);
      return undefined;
    }
    publicKeyAlgorithm(pem);
    return { kind: 'publicKey', pem };
  }
  if (v.VIEWER_JWKS_URL !== undefined) {
    checkJwksUrl(v.VIEWER_JWKS_URL);
    return { kind: 'jwks', url: v.VIEWER_JWKS_URL };
  }
  return undefined;
}
