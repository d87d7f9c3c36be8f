import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SigningKey } from '../src/core/cloudfront/signer.js';
import {
  catalogDatabaseUrl,
  ConfigError,
  describeConfig,
  embeddedDefaults,
  loadConfig,
  shownDefault,
  VARIABLE_NAMES,
  VARIABLES,
  type Applies,
  type LoadedConfig,
  type ServiceConfig,
} from '../src/config.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const RSA_PEM = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const RSA_PKCS1_PEM = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const EC_PEM = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const RSA1024_PEM = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const P384_PEM = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC_PEM = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const ENCRYPTED_PEM = rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();

const dir = mkdtempSync(join(tmpdir(), 'hlsgate-config-'));
const KEY_FILE = join(dir, 'private_key.pem');
writeFileSync(KEY_FILE, RSA_PEM);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An admin token the service accepts (32+ characters, many distinct ones), as `openssl rand -hex 32` makes. */
const STRONG_TOKEN = '3f9c2a7be41d08c6f5a9e2b7c4d1e8f0';

const AWS = {
  S3_BUCKET: 'my-video-bucket',
  CDN_BASE_URL: 'https://d111111abcdef8.cloudfront.net',
  CLOUDFRONT_KEY_PAIR_ID: 'K2JCJMDEHXQW5F',
  CLOUDFRONT_PRIVATE_KEY_FILE: KEY_FILE,
};

/** The parsed key holds the private key of this PEM text. */
function samePrivateKey(key: SigningKey, pem: string): boolean {
  return key.privateKey.equals(createPrivateKey(pem));
}

function aws(env: Record<string, string | undefined> = {}): ServiceConfig {
  const loaded = loadConfig({ ...AWS, ...env });
  if (loaded.kind !== 'aws') throw new Error('expected the aws configuration');
  return loaded.config;
}

function embedded(env: Record<string, string | undefined> = {}): Extract<LoadedConfig, { kind: 'embedded' }> {
  const loaded = loadConfig(env);
  if (loaded.kind !== 'embedded') throw new Error('expected the embedded configuration');
  return loaded;
}

function configError(env: Record<string, string | undefined>, readFile?: (p: string) => string): ConfigError {
  try {
    loadConfig(env, readFile);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.message).not.toMatch(/[\r\n]/);
    return e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: embedded detection', () => {
  it('is embedded with an empty environment, with the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      kind: 'embedded',
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: 'sqlite:./data/hlsgate.db',
      databasePoolMax: 10,
      logLevel: 'info',
      trustProxy: false,
      hash: 'SHA1',
      signingMode: 'wildcard',
      ttlSeconds: 3600,
      expiryMarginSeconds: 300,
      windowSeconds: 300,
      maxTtlSeconds: 604800,
      foreignUris: 'pass',
      responseMaxBytes: 16777216,
      playerOrigins: [],
      s3TimeoutMs: 5000,
      maxPlaylistBytes: 4194304,
      cache: { playlistMaxBytes: 64 * 1024 * 1024, renderMaxBytes: 64 * 1024 * 1024, vodRevalidateSeconds: 30 },
      dataDir: './data',
      edgePort: 0,
      s3Port: 0,
      viewerAuth: { mode: 'none', warn: false },
      bindIp: false,
      rateLimitPerMinute: 600,
    });
    // startEmbedded starts from the same values.
    const { kind: _kind, ...defaults } = loadConfig({}) as Extract<LoadedConfig, { kind: 'embedded' }>;
    expect(embeddedDefaults()).toEqual(defaults);
  });

  it('ignores unrelated variables and AWS_REGION alone', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'x' }).kind).toBe('embedded');
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ S3_BUCKET: '', CDN_BASE_URL: '', CLOUDFRONT_KEY_PAIR_ID: '', CLOUDFRONT_PRIVATE_KEY: '', CLOUDFRONT_PRIVATE_KEY_FILE: '', PORT: '' }).kind).toBe(
      'embedded',
    );
  });

  it('reads the embedded-only variables and the shared ones', () => {
    expect(
      embedded({
        PORT: '8080',
        HOST: '0.0.0.0',
        DATA_DIR: '/var/lib/hlsgate/',
        EDGE_PORT: '9001',
        LOCAL_S3_PORT: '9002',
        ADMIN_TOKEN: STRONG_TOKEN,
        LOG_LEVEL: 'DEBUG',
        SIGNED_URL_MAX_TTL: '86400',
        FOREIGN_URIS: 'Refuse',
        RESPONSE_MAX_BYTES: '1048576',
        PLAYER_ORIGINS: 'https://keys.example.com, http://127.0.0.1:8080/,https://keys.example.com',
        SIGNING_MODE: 'url',
        SIGNED_URL_TTL: '600',
        SIGNED_URL_MARGIN: '0',
        SIGNATURE_WINDOW_SECONDS: '60',
        CLOUDFRONT_HASH_ALGORITHM: 'sha256',
        S3_TIMEOUT_MS: '1000',
        PLAYLIST_MAX_BYTES: '65536',
        RENDER_CACHE_MAX_BYTES: '0',
        TRUST_PROXY: 'loopback',
      }),
    ).toEqual({
      kind: 'embedded',
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'sqlite:/var/lib/hlsgate/hlsgate.db',
      databasePoolMax: 10,
      adminToken: STRONG_TOKEN,
      logLevel: 'debug',
      trustProxy: 'loopback',
      hash: 'SHA256',
      signingMode: 'url',
      ttlSeconds: 600,
      expiryMarginSeconds: 0,
      windowSeconds: 60,
      maxTtlSeconds: 86400,
      foreignUris: 'refuse',
      responseMaxBytes: 1048576,
      playerOrigins: ['https://keys.example.com', 'http://127.0.0.1:8080'],
      s3TimeoutMs: 1000,
      maxPlaylistBytes: 65536,
      cache: { playlistMaxBytes: 64 * 1024 * 1024, renderMaxBytes: 0, vodRevalidateSeconds: 30 },
      dataDir: '/var/lib/hlsgate/',
      edgePort: 9001,
      s3Port: 9002,
      viewerAuth: { mode: 'none', warn: false },
      bindIp: false,
      rateLimitPerMinute: 600,
    });
  });

  it('accepts a short TTL with the default margin (they are independent)', () => {
    expect(embedded({ SIGNED_URL_TTL: '60' })).toMatchObject({ ttlSeconds: 60, expiryMarginSeconds: 300 });
  });

  it('names the same catalog for the service and the CLI (catalogDatabaseUrl)', () => {
    expect(catalogDatabaseUrl({})).toBe('sqlite:./data/hlsgate.db');
    expect(catalogDatabaseUrl({ DATA_DIR: '/var/lib/hlsgate/' })).toBe(embedded({ DATA_DIR: '/var/lib/hlsgate/' }).databaseUrl);
    // DATA_DIR is an embedded-demo setting: the AWS configuration keeps its own default.
    expect(catalogDatabaseUrl({ ...AWS, DATA_DIR: '/tmp/x' })).toBe(aws({ DATA_DIR: '/tmp/x' }).databaseUrl);
    expect(aws({ DATA_DIR: '/tmp/x' }).databaseUrl).toBe('sqlite:./data/hlsgate.db');
    expect(catalogDatabaseUrl({ DATABASE_URL: 'sqlite::memory:', DATA_DIR: '/tmp/x' })).toBe('sqlite::memory:');
  });

  it('keeps an explicit DATABASE_URL over the DATA_DIR default', () => {
    expect(embedded({ DATA_DIR: '/tmp/x', DATABASE_URL: 'sqlite::memory:' }).databaseUrl).toBe('sqlite::memory:');
  });

  it('validates shared variables in embedded mode too', () => {
    expect(configError({ SIGNED_URL_TTL: '1h' }).message).toBe('SIGNED_URL_TTL: expected whole seconds between 60 and 604800, got "1h"');
    expect(configError({ EDGE_PORT: '70000' }).message).toBe('EDGE_PORT: expected a TCP port number between 0 and 65535, got "70000"');
    expect(configError({ LOCAL_S3_PORT: '-1' }).message).toBe('LOCAL_S3_PORT: expected a TCP port number between 0 and 65535, got "-1"');
  });

  it('refuses S3_ENDPOINT alone instead of silently running the demo', () => {
    expect(configError({ S3_ENDPOINT: 'http://127.0.0.1:9000' }).message).toBe(
      'S3_BUCKET: required when S3_ENDPOINT is set (or unset S3_ENDPOINT to run the embedded demo)',
    );
  });
});

describe('loadConfig: AWS configuration', () => {
  it('loads with defaults', () => {
    const c = aws();
    expect(c).toEqual({
      port: 3000,
      host: '127.0.0.1',
      s3: { bucket: 'my-video-bucket', region: 'us-east-1', forcePathStyle: false, timeoutMs: 5000, maxPlaylistBytes: 4194304 },
      cdnBaseUrl: 'https://d111111abcdef8.cloudfront.net',
      signing: { key: expect.objectContaining({ keyPairId: 'K2JCJMDEHXQW5F', hash: 'SHA1', keyType: 'rsa' }) as unknown, mode: 'wildcard', ttlSeconds: 3600, expiryMarginSeconds: 300, windowSeconds: 300, maxTtlSeconds: 604800 },
      foreignUris: 'pass',
      responseMaxBytes: 16 * 1024 * 1024,
      playerOrigins: [],
      cache: { playlistMaxBytes: 64 * 1024 * 1024, renderMaxBytes: 64 * 1024 * 1024, vodRevalidateSeconds: 30 },
      databaseUrl: 'sqlite:./data/hlsgate.db',
      databasePoolMax: 10,
      logLevel: 'info',
      trustProxy: false,
      viewerAuth: { mode: 'none' },
      bindIp: false,
      rateLimitPerMinute: 600,
    });
    expect('endpoint' in c.s3).toBe(false);
    expect('adminToken' in c).toBe(false);
  });

  it('reads every variable', () => {
    const c = aws({
      PORT: ' 8443 ',
      HOST: '::',
      AWS_REGION: 'eu-central-1',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_TIMEOUT_MS: '2500',
      PLAYLIST_MAX_BYTES: '65536',
      CDN_BASE_URL: 'https://CDN.Example.com/media/',
      CLOUDFRONT_HASH_ALGORITHM: 'sha256',
      SIGNING_MODE: 'URL',
      SIGNED_URL_TTL: '604800',
      SIGNED_URL_MARGIN: '86400',
      DATABASE_URL: 'sqlite:/var/lib/hlsgate/catalog.db',
      ADMIN_TOKEN: STRONG_TOKEN,
      LOG_LEVEL: 'warn',
      TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8',
    });
    expect(c).toMatchObject({
      port: 8443,
      host: '::',
      s3: { bucket: 'my-video-bucket', region: 'eu-central-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, timeoutMs: 2500, maxPlaylistBytes: 65536 },
      cdnBaseUrl: 'https://cdn.example.com/media',
      signing: { key: { hash: 'SHA256' }, mode: 'url', ttlSeconds: 604800, expiryMarginSeconds: 86400 },
      databaseUrl: 'sqlite:/var/lib/hlsgate/catalog.db',
      adminToken: STRONG_TOKEN,
      logLevel: 'warn',
      trustProxy: 'loopback,10.0.0.0/8,fd00::/8',
    });
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('S3_FORCE_PATH_STYLE=%s overrides the endpoint default', (value, expected) => {
    expect(aws({ S3_ENDPOINT: 'http://minio:9000', S3_FORCE_PATH_STYLE: value }).s3.forcePathStyle).toBe(expected);
    expect(aws({ S3_FORCE_PATH_STYLE: value }).s3.forcePathStyle).toBe(expected);
  });

  it('accepts http CDN bases for the local edge and ECDSA / PKCS#1 keys', () => {
    expect(aws({ CDN_BASE_URL: 'http://127.0.0.1:4000' }).cdnBaseUrl).toBe('http://127.0.0.1:4000');
    const ec = join(dir, 'ec.pem');
    writeFileSync(ec, EC_PEM);
    expect(samePrivateKey(aws({ CLOUDFRONT_PRIVATE_KEY_FILE: ec }).signing.key, EC_PEM)).toBe(true);
    const pkcs1 = join(dir, 'pkcs1.pem');
    writeFileSync(pkcs1, RSA_PKCS1_PEM);
    expect(aws({ CLOUDFRONT_PRIVATE_KEY_FILE: pkcs1 }).signing.key).toMatchObject({ keyPairId: 'K2JCJMDEHXQW5F', keyType: 'rsa' });
  });

  it('takes PEM text from CLOUDFRONT_PRIVATE_KEY, with real newlines or \\n escapes (optionally quoted)', () => {
    const base = { ...AWS, CLOUDFRONT_PRIVATE_KEY_FILE: undefined };
    for (const text of [RSA_PEM, RSA_PEM.replace(/\n/g, '\\n'), `"${RSA_PEM.trim().replace(/\n/g, '\\n')}"`]) {
      const loaded = loadConfig({ ...base, CLOUDFRONT_PRIVATE_KEY: text });
      if (loaded.kind !== 'aws') throw new Error('expected aws');
      expect(samePrivateKey(loaded.config.signing.key, RSA_PEM)).toBe(true);
    }
  });

  it('uses the injected readFile for the key file', () => {
    const loaded = loadConfig({ ...AWS, CLOUDFRONT_PRIVATE_KEY_FILE: '/secrets/key.pem' }, (p) => {
      expect(p).toBe('/secrets/key.pem');
      return EC_PEM;
    });
    expect(loaded.kind === 'aws' && samePrivateKey(loaded.config.signing.key, EC_PEM)).toBe(true);
  });
});

describe('loadConfig: one-line errors', () => {
  it.each([
    ['PORT', 'http', 'PORT: expected a TCP port number between 0 and 65535, got "http"'],
    ['PORT', '65536', 'PORT: expected a TCP port number between 0 and 65535, got "65536"'],
    ['PORT', '80.5', 'PORT: expected a TCP port number between 0 and 65535, got "80.5"'],
    ['HOST', 'local host', 'HOST: expected an IP address or host name to listen on (e.g. 127.0.0.1, 0.0.0.0, ::), got "local host"'],
    ['HOST', 'http://0.0.0.0', 'HOST: expected an IP address or host name to listen on (e.g. 127.0.0.1, 0.0.0.0, ::), got "http://0.0.0.0"'],
    ['S3_BUCKET', 's3://my-bucket', 'S3_BUCKET: expected a bare bucket name, not an s3:// URL or a path, got "s3://my-bucket"'],
    ['S3_BUCKET', 'my-bucket/videos', 'S3_BUCKET: expected a bare bucket name, not an s3:// URL or a path, got "my-bucket/videos"'],
    ['S3_BUCKET', 'ab', 'S3_BUCKET: expected a bucket name (3-63 lowercase letters, digits, dots and hyphens), got "ab"'],
    ['AWS_REGION', 'us east 1', 'AWS_REGION: expected a region name such as us-east-1, got "us east 1"'],
    ['S3_ENDPOINT', 'minio:9000', 'S3_ENDPOINT: expected an http(s) URL without query, fragment or credentials, such as http://127.0.0.1:9000, got "minio:9000"'],
    ['S3_ENDPOINT', 'http://u:p@minio:9000', 'S3_ENDPOINT: expected an http(s) URL without query, fragment or credentials, such as http://127.0.0.1:9000, got "http://u:p@minio:9000"'],
    ['S3_FORCE_PATH_STYLE', 'yes', 'S3_FORCE_PATH_STYLE: expected true, false, 1 or 0, got "yes"'],
    ['S3_TIMEOUT_MS', '5s', 'S3_TIMEOUT_MS: expected whole milliseconds between 100 and 300000, got "5s"'],
    ['S3_TIMEOUT_MS', '10', 'S3_TIMEOUT_MS: expected whole milliseconds between 100 and 300000, got "10"'],
    ['PLAYLIST_MAX_BYTES', '4MiB', 'PLAYLIST_MAX_BYTES: expected a size in bytes between 1024 and 268435456, got "4MiB"'],
    ['CDN_BASE_URL', 'd111111abcdef8.cloudfront.net', 'CDN_BASE_URL: expected an http(s) URL without query, fragment or credentials, such as https://d111111abcdef8.cloudfront.net, got "d111111abcdef8.cloudfront.net"'],
    ['CDN_BASE_URL', 'https://cdn.example.com/?x=1', 'CDN_BASE_URL: expected an http(s) URL without query, fragment or credentials, such as https://d111111abcdef8.cloudfront.net, got "https://cdn.example.com/?x=1"'],
    ['CDN_BASE_URL', 'ftp://cdn.example.com', 'CDN_BASE_URL: expected an http(s) URL without query, fragment or credentials, such as https://d111111abcdef8.cloudfront.net, got "ftp://cdn.example.com"'],
    ['CLOUDFRONT_KEY_PAIR_ID', 'K2 JC', 'CLOUDFRONT_KEY_PAIR_ID: expected a CloudFront public key id (letters, digits, - and _), e.g. K2JCJMDEHXQW5F, got "K2 JC"'],
    ['CLOUDFRONT_HASH_ALGORITHM', 'MD5', 'CLOUDFRONT_HASH_ALGORITHM: expected one of SHA1, SHA256, got "MD5"'],
    ['SIGNING_MODE', 'cookie', 'SIGNING_MODE: expected one of wildcard, url, cookies, got "cookie"'],
    ['SIGNED_URL_TTL', '1h', 'SIGNED_URL_TTL: expected whole seconds between 60 and 604800, got "1h"'],
    ['SIGNED_URL_TTL', '59', 'SIGNED_URL_TTL: expected whole seconds between 60 and 604800, got "59"'],
    ['SIGNED_URL_TTL', '604801', 'SIGNED_URL_TTL: expected whole seconds between 60 and 604800, got "604801"'],
    ['SIGNED_URL_MARGIN', '-5', 'SIGNED_URL_MARGIN: expected whole seconds between 0 and 86400, got "-5"'],
    ['SIGNED_URL_MARGIN', '86401', 'SIGNED_URL_MARGIN: expected whole seconds between 0 and 86400, got "86401"'],
    ['DATABASE_URL', 'mysql://db/hlsgate', 'DATABASE_URL: expected sqlite:<path> (or a bare file path) or postgres://user:password@host:5432/db, got "mysql://db/hlsgate"'],
    ['DATABASE_URL', 'postgres://u@[db/hlsgate', 'DATABASE_URL: expected a PostgreSQL URL such as postgres://user:password@host:5432/db, got "postgres://u@[db/hlsgate"'],
    ['DATABASE_POOL_MAX', '0', 'DATABASE_POOL_MAX: expected a connection count between 1 and 1000, got "0"'],
    ['REDIS_URL', 'http://cache:6379', 'REDIS_URL: expected redis://host:6379 (or rediss:// for TLS), e.g. redis://127.0.0.1:6379/0 (got 17 characters)'],
    ['METRICS_PORT', '70000', 'METRICS_PORT: expected a TCP port number between 0 and 65535, got "70000"'],
    ['DATABASE_URL', 'sqlite:', 'DATABASE_URL: expected sqlite:<path>, e.g. sqlite:./data/hlsgate.db, got "sqlite:"'],
    ['LOG_LEVEL', 'verbose', 'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
    ['TRUST_PROXY', 'true', 'TRUST_PROXY: expected proxy addresses/CIDRs or loopback, linklocal, uniquelocal (trusting any proxy or a hop count lets clients forge X-Forwarded-For), got "true"'],
    ['TRUST_PROXY', '2', 'TRUST_PROXY: expected proxy addresses/CIDRs or loopback, linklocal, uniquelocal (trusting any proxy or a hop count lets clients forge X-Forwarded-For), got "2"'],
    ['TRUST_PROXY', 'loopback,10.0.0.0/33', 'TRUST_PROXY: expected false, or a comma-separated list of proxy addresses/CIDRs and loopback, linklocal, uniquelocal, got "loopback,10.0.0.0/33"'],
  ])('%s=%j', (name, value, message) => {
    expect(configError({ ...AWS, [name]: value }).message).toBe(message);
  });

  // Issue 9, hole 6: a 16-character token of one repeated letter was accepted.
  it.each([
    ['one repeated letter', 'a'.repeat(40), 'ADMIN_TOKEN: is too weak: it needs at least 8 different characters (e.g. openssl rand -hex 32) (got 40 characters)'],
    ['two letters alternating', 'ab'.repeat(20), 'ADMIN_TOKEN: is too weak: it needs at least 8 different characters (e.g. openssl rand -hex 32) (got 40 characters)'],
    ['16 characters', '0123456789abcdef', 'ADMIN_TOKEN: must be at least 32 characters (e.g. openssl rand -hex 32) (got 16 characters)'],
  ])('refuses a weak ADMIN_TOKEN (%s) at startup, without echoing it', (_what, token, message) => {
    const err = configError({ ...AWS, ADMIN_TOKEN: token });
    expect(err.message).toBe(message);
    expect(err.message).not.toContain(token);
  });

  it('accepts a token from openssl rand -hex 32', () => {
    expect(aws({ ADMIN_TOKEN: 'c0ffee11d15ea5e5a11ba5eba11ad00d5eedfacecafebabe0123456789abcdef' }).adminToken).toHaveLength(64);
  });

  it('refuses a SIGNED_URL_MAX_TTL below SIGNED_URL_TTL, and names both', () => {
    expect(configError({ SIGNED_URL_TTL: '7200', SIGNED_URL_MAX_TTL: '3600' }).message).toBe(
      'SIGNED_URL_MAX_TTL: 3600 is shorter than SIGNED_URL_TTL (7200); the ceiling must be at least the TTL',
    );
    expect(configError({ FOREIGN_URIS: 'allow' }).message).toBe('FOREIGN_URIS: expected one of pass, refuse, got "allow"');
    expect(configError({ PLAYER_ORIGINS: 'https://keys.example.com/path' }).message).toBe(
      'PLAYER_ORIGINS: expected comma-separated http(s) origins such as https://keys.example.com (no path), not "https://keys.example.com/path", got "https://keys.example.com/path"',
    );
    expect(configError({ RESPONSE_MAX_BYTES: '10' }).message).toBe('RESPONSE_MAX_BYTES: expected a size in bytes between 65536 and 1073741824, got "10"');
  });

  it('never echoes secrets', () => {
    const err = configError({ ...AWS, ADMIN_TOKEN: 'short secret' });
    expect(err.message).toBe('ADMIN_TOKEN: must be at least 32 characters (e.g. openssl rand -hex 32) (got 12 characters)');
    expect(configError({ ...AWS, ADMIN_TOKEN: 'has a space in the token, a long one' }).message).toBe(
      'ADMIN_TOKEN: must not contain spaces or control characters (got 36 characters)',
    );
    const bad = configError({ ...AWS, CLOUDFRONT_PRIVATE_KEY_FILE: undefined, CLOUDFRONT_PRIVATE_KEY: 'not a pem\nsecret-material' });
    expect(bad.message).not.toContain('secret-material');
  });

  it('shortens long values and keeps control characters escaped on one line', () => {
    const err = configError({ LOG_LEVEL: `x\n${'y'.repeat(200)}` });
    expect(err.message).toMatch(/^LOG_LEVEL: expected one of .*, got "x\\ny+\.\.\."$/);
    expect(err.message.length).toBeLessThan(200);
  });

  it('reports every bad variable on the same line', () => {
    const err = configError({ PORT: 'x', SIGNED_URL_TTL: '1h' });
    expect(err.problems).toEqual(['PORT: expected a TCP port number between 0 and 65535, got "x"', 'SIGNED_URL_TTL: expected whole seconds between 60 and 604800, got "1h"']);
    expect(err.message).toBe(err.problems.join('; '));
  });

  it.each([
    ['S3_BUCKET', 'S3_BUCKET: required when CDN_BASE_URL is set (or unset all AWS variables to run the embedded demo)'],
    ['CDN_BASE_URL', 'CDN_BASE_URL: required when S3_BUCKET is set (or unset all AWS variables to run the embedded demo)'],
    ['CLOUDFRONT_KEY_PAIR_ID', 'CLOUDFRONT_KEY_PAIR_ID: required when S3_BUCKET is set (or unset all AWS variables to run the embedded demo)'],
    [
      'CLOUDFRONT_PRIVATE_KEY_FILE',
      'CLOUDFRONT_PRIVATE_KEY_FILE: required (or CLOUDFRONT_PRIVATE_KEY with the PEM text) when S3_BUCKET is set (or unset all AWS variables to run the embedded demo)',
    ],
  ])('names a missing %s', (missing, message) => {
    expect(configError({ ...AWS, [missing]: undefined }).message).toBe(message);
  });

  it('names every missing variable when only one AWS variable is set', () => {
    expect(configError({ CLOUDFRONT_KEY_PAIR_ID: 'K1' }).problems.map((p) => p.split(':')[0])).toEqual(['S3_BUCKET', 'CDN_BASE_URL', 'CLOUDFRONT_PRIVATE_KEY_FILE']);
  });

  it('refuses both key variables at once', () => {
    expect(configError({ ...AWS, CLOUDFRONT_PRIVATE_KEY: RSA_PEM }).message).toBe(
      'CLOUDFRONT_PRIVATE_KEY: set either CLOUDFRONT_PRIVATE_KEY or CLOUDFRONT_PRIVATE_KEY_FILE, not both',
    );
  });

  it('names the key file variable and path when the file is missing or unreadable', () => {
    const missing = join(dir, 'nope.pem');
    expect(configError({ ...AWS, CLOUDFRONT_PRIVATE_KEY_FILE: missing }).message).toBe(`CLOUDFRONT_PRIVATE_KEY_FILE: cannot read "${missing}": no such file`);
    expect(configError({ ...AWS, CLOUDFRONT_PRIVATE_KEY_FILE: dir }).message).toBe(`CLOUDFRONT_PRIVATE_KEY_FILE: cannot read "${dir}": is a directory`);
    const denied = configError({ ...AWS, CLOUDFRONT_PRIVATE_KEY_FILE: '/k.pem' }, () => {
      throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    });
    expect(denied.message).toBe('CLOUDFRONT_PRIVATE_KEY_FILE: cannot read "/k.pem": permission denied');
  });

  it.each([
    ['garbage', 'not a key at all', /^CLOUDFRONT_PRIVATE_KEY_FILE: private key is not PEM .*\(file ".*bad-0\.pem"\)$/],
    ['a public key', PUBLIC_PEM, /^CLOUDFRONT_PRIVATE_KEY_FILE: expected a PRIVATE key, got a public key or certificate/],
    ['an encrypted key', ENCRYPTED_PEM, /^CLOUDFRONT_PRIVATE_KEY_FILE: private key is encrypted/],
    ['RSA-1024', RSA1024_PEM, /^CLOUDFRONT_PRIVATE_KEY_FILE: RSA key is 1024 bits; CloudFront requires RSA-2048/],
    ['P-384', P384_PEM, /^CLOUDFRONT_PRIVATE_KEY_FILE: ECDSA key is on curve secp384r1; CloudFront requires P-256/],
    ['a truncated PEM', RSA_PEM.slice(0, 200) + '\n-----END PRIVATE KEY-----\n', /^CLOUDFRONT_PRIVATE_KEY_FILE: private key PEM could not be parsed/],
    ['an empty file', '   \n', /^CLOUDFRONT_PRIVATE_KEY_FILE: private key is empty/],
  ])('refuses %s as the key file', (_name, content, message) => {
    const file = join(dir, `bad-${_name === 'garbage' ? 0 : _name.replace(/\W/g, '')}.pem`);
    writeFileSync(file, content);
    expect(configError({ ...AWS, CLOUDFRONT_PRIVATE_KEY_FILE: file }).message).toMatch(message);
  });

  it('names CLOUDFRONT_PRIVATE_KEY for bad PEM text', () => {
    expect(configError({ ...AWS, CLOUDFRONT_PRIVATE_KEY_FILE: undefined, CLOUDFRONT_PRIVATE_KEY: PUBLIC_PEM }).message).toBe(
      'CLOUDFRONT_PRIVATE_KEY: expected a PRIVATE key, got a public key or certificate',
    );
  });
});

describe('loadConfig: cache and signature window (issue 5)', () => {
  it('reads the cache bounds, the VOD revalidation interval and the signature window', () => {
    const c = aws({ PLAYLIST_CACHE_MAX_BYTES: '1048576', RENDER_CACHE_MAX_BYTES: '0', VOD_REVALIDATE_SECONDS: '5', SIGNATURE_WINDOW_SECONDS: '60' });
    expect(c.cache).toEqual({ playlistMaxBytes: 1048576, renderMaxBytes: 0, vodRevalidateSeconds: 5 });
    expect(c.signing.windowSeconds).toBe(60);
    expect(aws({ SIGNATURE_WINDOW_SECONDS: '0' }).signing.windowSeconds).toBe(0);
  });

  it('refuses bad values with one line per variable', () => {
    expect(configError({ VOD_REVALIDATE_SECONDS: '0' }).message).toBe('VOD_REVALIDATE_SECONDS: expected whole seconds between 1 and 86400, got "0"');
    expect(configError({ SIGNATURE_WINDOW_SECONDS: '5m' }).message).toBe('SIGNATURE_WINDOW_SECONDS: expected whole seconds between 0 and 86400, got "5m"');
    expect(configError({ PLAYLIST_CACHE_MAX_BYTES: '-1' }).message).toMatch(/^PLAYLIST_CACHE_MAX_BYTES: expected a size in bytes between 0 and \d+, got "-1"$/);
  });
});

describe('loadConfig: viewer authorization, signed cookies, IP binding, rate limit (issue 6)', () => {
  const SECRET = 'v'.repeat(32);
  const VIEWER_PUB = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const files = (map: Record<string, string>) => (p: string) => {
    if (p in map) return map[p]!;
    throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  };

  it('reads VIEWER_AUTH=jwt with each kind of key, audience, issuer and clock skew', () => {
    expect(aws({ VIEWER_AUTH: 'jwt', VIEWER_JWT_SECRET: SECRET, VIEWER_JWT_AUDIENCE: 'hlsgate', VIEWER_JWT_ISSUER: 'https://app.example.com', VIEWER_JWT_CLOCK_SKEW: '10' }).viewerAuth).toEqual({
      mode: 'jwt',
      key: { kind: 'secret', secret: SECRET },
      audience: 'hlsgate',
      issuer: 'https://app.example.com',
      clockSkewSeconds: 10,
    });
    const withPem = loadConfig({ ...AWS, VIEWER_AUTH: 'JWT', VIEWER_JWT_PUBLIC_KEY_FILE: '/keys/viewer.pem' }, (p) => (p === KEY_FILE ? RSA_PEM : VIEWER_PUB));
    expect(withPem.kind === 'aws' && withPem.config.viewerAuth).toEqual({ mode: 'jwt', key: { kind: 'publicKey', pem: VIEWER_PUB }, clockSkewSeconds: 30 });
    expect(aws({ VIEWER_AUTH: 'jwt', VIEWER_JWKS_URL: 'https://app.example.com/.well-known/jwks.json' }).viewerAuth).toMatchObject({ key: { kind: 'jwks' } });
    // The embedded demo too (then `hlsgate token` mints its tokens).
    expect(embedded({ VIEWER_AUTH: 'jwt', VIEWER_JWT_SECRET: SECRET }).viewerAuth).toMatchObject({ mode: 'jwt' });
    expect(aws({ VIEWER_AUTH: 'none' }).viewerAuth).toEqual({ mode: 'none' });
  });

  it('refuses incomplete or unsafe viewer-auth settings with one line each, never showing the secret', () => {
    expect(configError({ ...AWS, VIEWER_AUTH: 'jwt' }).message).toMatch(/^VIEWER_AUTH: jwt needs exactly one key: VIEWER_JWT_SECRET/);
    expect(configError({ ...AWS, VIEWER_AUTH: 'jwt', VIEWER_JWT_SECRET: SECRET, VIEWER_JWKS_URL: 'https://x.example/jwks' }).message).toBe(
      'VIEWER_AUTH: set only one of VIEWER_JWT_SECRET, VIEWER_JWKS_URL',
    );
    const short = configError({ ...AWS, VIEWER_AUTH: 'jwt', VIEWER_JWT_SECRET: 'short-secret-value' });
    expect(short.message).toBe('VIEWER_JWT_SECRET: the secret is 18 bytes; HS256 needs at least 32 (e.g. openssl rand -hex 32)');
    expect(short.message).not.toContain('short-secret-value');
    expect(configError({ ...AWS, VIEWER_JWT_SECRET: SECRET }).message).toMatch(/^VIEWER_AUTH: VIEWER_JWT_SECRET is set but VIEWER_AUTH is not jwt/);
    expect(configError({ ...AWS, VIEWER_AUTH: 'oauth' }).message).toBe('VIEWER_AUTH: expected one of none, jwt, got "oauth"');
    expect(configError({ ...AWS, VIEWER_AUTH: 'jwt', VIEWER_JWKS_URL: 'http://keys.example.com/jwks' }).message).toMatch(/^VIEWER_JWKS_URL: expected an https:\/\/ URL/);
    expect(aws({ VIEWER_AUTH: 'jwt', VIEWER_JWKS_URL: 'http://127.0.0.1:8080/jwks' }).viewerAuth).toMatchObject({ key: { kind: 'jwks' } });
    expect(configError({ ...AWS, VIEWER_AUTH: 'jwt', VIEWER_JWT_PUBLIC_KEY_FILE: '/missing.pem' }, files({ [KEY_FILE]: RSA_PEM })).message).toBe(
      'VIEWER_JWT_PUBLIC_KEY_FILE: cannot read "/missing.pem": no such file',
    );
    expect(configError({ ...AWS, VIEWER_AUTH: 'jwt', VIEWER_JWT_PUBLIC_KEY_FILE: '/k.pem' }, files({ [KEY_FILE]: RSA_PEM, '/k.pem': RSA_PEM })).message).toMatch(
      /^VIEWER_JWT_PUBLIC_KEY_FILE: expected the PUBLIC key/,
    );
    expect(configError({ ...AWS, VIEWER_AUTH: 'jwt', VIEWER_JWT_PUBLIC_KEY_FILE: '/k.pem' }, files({ [KEY_FILE]: RSA_PEM, '/k.pem': 'hello' })).message).toMatch(
      /^VIEWER_JWT_PUBLIC_KEY_FILE: not a PEM public key/,
    );
    expect(configError({ ...AWS, VIEWER_JWT_CLOCK_SKEW: '1h' }).message).toBe('VIEWER_JWT_CLOCK_SKEW: expected whole seconds between 0 and 600, got "1h"');
  });

  it('reads SIGNING_MODE=cookies with CDN_COOKIE_DOMAIN, and requires a domain that covers the CDN', () => {
    const c = aws({ SIGNING_MODE: 'cookies', CDN_BASE_URL: 'https://media.example.com', CDN_COOKIE_DOMAIN: '.example.com' });
    expect(c.signing.mode).toBe('cookies');
    expect(c.cdnCookieDomain).toBe('.example.com');
    expect(configError({ ...AWS, SIGNING_MODE: 'cookies' }).message).toMatch(/^CDN_COOKIE_DOMAIN: required with SIGNING_MODE=cookies/);
    expect(configError({ ...AWS, SIGNING_MODE: 'cookies', CDN_COOKIE_DOMAIN: '.example.com' }).message).toBe(
      'CDN_COOKIE_DOMAIN: ".example.com" does not cover the CDN host d111111abcdef8.cloudfront.net (CDN_BASE_URL): browsers would never send the cookies to it',
    );
    expect(configError({ ...AWS, CDN_COOKIE_DOMAIN: 'https://example.com' }).message).toMatch(/^CDN_COOKIE_DOMAIN: expected a domain/);
    // A CDN on loopback (a local edge) shares the app's host: no Domain needed.
    expect(aws({ SIGNING_MODE: 'cookies', CDN_BASE_URL: 'http://127.0.0.1:8443' }).cdnCookieDomain).toBeUndefined();
    expect(embedded({ SIGNING_MODE: 'cookies' }).signingMode).toBe('cookies');
  });

  it('reads SIGNED_URL_BIND_IP and RATE_LIMIT_PER_MINUTE', () => {
    expect(aws({ SIGNED_URL_BIND_IP: 'true', RATE_LIMIT_PER_MINUTE: '0' })).toMatchObject({ bindIp: true, rateLimitPerMinute: 0 });
    expect(embedded({ SIGNED_URL_BIND_IP: '1', RATE_LIMIT_PER_MINUTE: '120' })).toMatchObject({ bindIp: true, rateLimitPerMinute: 120 });
    expect(configError({ ...AWS, SIGNED_URL_BIND_IP: 'yes' }).message).toBe('SIGNED_URL_BIND_IP: expected true, false, 1 or 0, got "yes"');
    expect(configError({ ...AWS, RATE_LIMIT_PER_MINUTE: 'lots' }).message).toMatch(/^RATE_LIMIT_PER_MINUTE: expected requests per minute/);
  });

  it('redacts the viewer secret in describeConfig', () => {
    const text = JSON.stringify(describeConfig(aws({ VIEWER_AUTH: 'jwt', VIEWER_JWT_SECRET: SECRET })));
    expect(text).not.toContain(SECRET);
    expect(text).toContain('"mode":"jwt"');
  });
});

describe('describeConfig', () => {
  it('redacts the private key, the admin token and database passwords', () => {
    const c = aws({ ADMIN_TOKEN: STRONG_TOKEN, DATABASE_URL: 'postgres://hls:dbsecret@db:5432/hlsgate', REDIS_URL: 'redis://:redissecret@cache:6379/0' });
    const d = describeConfig(c);
    const text = JSON.stringify(d);
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain(RSA_PEM.split('\n')[1]);
    expect(text).not.toContain('tok-0123456789abcdef');
    expect(text).not.toContain('dbsecret');
    expect(text).not.toContain('redissecret');
    expect(d).toMatchObject({
      port: 3000,
      cdnBaseUrl: 'https://d111111abcdef8.cloudfront.net',
      signing: { keyPairId: 'K2JCJMDEHXQW5F', hash: 'SHA1', keyType: 'rsa', privateKey: '[redacted]', mode: 'wildcard', windowSeconds: 300 },
      adminToken: '[redacted]',
      databaseUrl: 'postgres://hls:[redacted]@db:5432/hlsgate',
      redisUrl: 'redis://:[redacted]@cache:6379/0',
      s3: { bucket: 'my-video-bucket' },
    });
    expect(JSON.stringify(d.signing)).not.toMatch(/BEGIN|asymmetricKeyType/);
    // the config itself is untouched
    expect(samePrivateKey(c.signing.key, RSA_PEM)).toBe(true);
  });

  it('shows an absent admin token as undefined', () => {
    expect(describeConfig(aws()).adminToken).toBeUndefined();
  });
});

describe('the configuration table, .env.example and the README agree', () => {
  const root = join(import.meta.dirname, '..');
  const names = new Set<string>(VARIABLE_NAMES);
  const READ_BY: Record<Applies, string> = { aws: 'AWS', embedded: 'embedded', both: 'both' };

  /** `.env.example`: `#NAME=value` lines (the value shown is the default, empty for none). */
  function envExample(): Map<string, string[]> {
    const found = new Map<string, string[]>();
    for (const line of readFileSync(join(root, '.env.example'), 'utf8').split('\n')) {
      const m = /^#?([A-Z][A-Z0-9_]+)=(.*)$/.exec(line);
      if (m) found.set(m[1]!, [...(found.get(m[1]!) ?? []), m[2]!]);
    }
    return found;
  }

  /** The README's configuration table: each row's variables with its default cell and its "Read by" cell. */
  function readmeTable(): Map<string, { default: string; readBy: string }[]> {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    const rows = section.split('\n').filter((l) => l.startsWith('| `'));
    const found = new Map<string, { default: string; readBy: string }[]>();
    for (const row of rows) {
      const [variables = '', defaultCell = '', readBy = ''] = row.split(' | ').map((c) => c.replace(/^\| /, ''));
      // The default: `—` (none), else the first code span of the cell.
      const shownValue = defaultCell.startsWith('—') ? '—' : (/^`([^`]*)`/.exec(defaultCell)?.[1] ?? `unreadable: ${defaultCell}`);
      for (const m of variables.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) found.set(m[1]!, [...(found.get(m[1]!) ?? []), { default: shownValue, readBy }]);
    }
    expect(rows.length).toBeGreaterThan(20);
    return found;
  }

  it('lists every variable of the table once in .env.example, with its default', () => {
    const found = envExample();
    for (const name of VARIABLE_NAMES) {
      expect(found.get(name), name).toEqual([shownDefault(name) ?? '']);
    }
    expect([...found.keys()].filter((n) => !names.has(n))).toEqual([]);
  });

  it('lists every variable of the table once in the README table, with its default and who reads it', () => {
    const found = readmeTable();
    for (const name of VARIABLE_NAMES) {
      expect(found.get(name), name).toEqual([{ default: shownDefault(name) ?? '—', readBy: READ_BY[VARIABLES[name].applies] }]);
    }
    expect([...found.keys()].filter((n) => !names.has(n))).toEqual([]);
  });

  it('marks the secrets, and every default passes its own schema', () => {
    expect(VARIABLE_NAMES.filter((n) => VARIABLES[n].secret)).toEqual(['CLOUDFRONT_PRIVATE_KEY', 'VIEWER_JWT_SECRET', 'ADMIN_TOKEN', 'REDIS_URL']);
    for (const name of VARIABLE_NAMES) {
      const shownValue = shownDefault(name);
      if (shownValue !== undefined) expect(VARIABLES[name].schema.parse(shownValue), name).toEqual(VARIABLES[name].default);
    }
  });
});

describe('the config module', () => {
  it('depends only on src/core and src/adapters (never on src/http or src/playback)', () => {
    const src = join(import.meta.dirname, '..', 'src');
    const files = ['config.ts', ...readdirSync(join(src, 'config')).map((f) => join('config', f))];
    for (const file of files) {
      const imports = [...readFileSync(join(src, file), 'utf8').matchAll(/^(?:import|export)[^;]*?from '([^']+)'/gms)].map((m) => m[1]!);
      expect(imports.length, file).toBeGreaterThan(0);
      expect(imports.filter((i) => /\/(http|playback|local|cli|edge|views)\//.test(i)), file).toEqual([]);
    }
  });
});
