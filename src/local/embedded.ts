// The embedded local stack (`npm start` with no AWS configuration): an S3-compatible store seeded
// with the sample media, a development CloudFront key pair, the local CloudFront-compatible edge in
// front of the store, and the service signing URLs for that edge. Everything listens on loopback.
// Tests start the same stack (test/helpers/stack.ts). Never part of the production path.
import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { catalogDatabaseUrl, embeddedDefaults, type EmbeddedConfig, type ServiceConfig } from '../config.js';
import { startEdge } from '../edge/index.js';
import { startServer } from '../server.js';
import { openCatalog, type Catalog } from '../adapters/catalog.js';
import { loadSigningKey, type HashAlgorithm, type SigningKey } from '../core/cloudfront/signer.js';
import { startLocalS3, type LocalS3 } from './s3-store.js';
import { uploadSamples } from './seed.js';

/** The bucket the embedded store serves. */
export const LOCAL_BUCKET = 'hlsgate-local';
const LOCAL_REGION = 'us-east-1';

/**
 * Written into the data directory while the stack runs (removed at close): where its store, edge,
 * service and catalog are, so `hlsgate import` and `hlsgate doctor` find a running demo through
 * DATA_DIR. JSON: pid, appUrl, edgeUrl, s3Endpoint, bucket, region, keyPairId, databaseUrl.
 */
export const STACK_FILE = 'embedded-stack.json';

/** Videos the embedded stack registers in the catalog (sample name = S3 prefix). */
export const DEMO_VIDEOS = [
  { id: 'demo', playlistKey: 'demo/master.m3u8', title: 'Demo — two renditions, AES-128' },
  { id: 'demo-fmp4', playlistKey: 'demo-fmp4/master.m3u8', title: 'Demo — fMP4 (CMAF)' },
] as const;

/** The committed sample media, found from this module's location (src/local or dist/local). */
export const DEFAULT_SAMPLES_DIR = fileURLToPath(new URL('../../samples/', import.meta.url));

/**
 * The embedded configuration (the `kind: 'embedded'` result of loadConfig fits as is; whatever is
 * left out takes the configuration table's default, as `npm start` with an empty environment
 * would) plus what only tests change. Ports: 0 picks a free one.
 */
export interface EmbeddedOptions extends Partial<EmbeddedConfig> {
  /** Key type of a newly generated development key pair (an existing one is reused whatever its type). */
  keyType?: 'rsa' | 'ec';
  /** Sample media directory (the repository's samples/ by default). */
  samplesDir?: string;
  /** The clock of the service and the edge, epoch milliseconds (tests move time). */
  clock?: () => number;
  /** Human-readable startup lines (the URL to open); console.log by default. */
  log?: (line: string) => void;
  /** The edge's structured log lines (one per request); none by default. */
  edgeLog?: (line: object) => void;
  /** The service's logger (else one is made from logLevel). */
  logger?: Logger;
}

export interface EmbeddedStack {
  /** The service, e.g. http://127.0.0.1:3000 */
  readonly appUrl: string;
  /** The local edge (the CDN base URL the service signs for). */
  readonly edgeUrl: string;
  /** The S3-compatible store (path-style; credentials S3RVER/S3RVER). */
  readonly s3Endpoint: string;
  readonly bucket: string;
  /** The development key pair's id (the edge trusts only this one). */
  readonly keyPairId: string;
  readonly publicKeyPem: string;
  /** The development private key (PEM), for tools and tests that sign URLs themselves. */
  readonly privateKeyPem: string;
  readonly dataDir: string;
  /** Stops the service, then the edge, then the store. Safe to call twice. */
  close(): Promise<void>;
}

export interface DevKeyPair {
  keyPairId: string;
  /** The parsed key (SHA1 unless another hash was asked for): parsed once, here, and signed with as is. */
  signingKey: SigningKey;
  privateKeyPem: string;
  publicKeyPem: string;
  publicKey: KeyObject;
  /** true when this call generated it. */
  created: boolean;
}

const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function newKeyPairId(): string {
  // Shaped like a CloudFront public key id (K + 13 upper-case base32 characters).
  const bytes = randomBytes(13);
  return 'K' + [...bytes].map((b) => KEY_ID_ALPHABET[b % 32]).join('');
}

/**
 * The development key pair under `dir` (private_key.pem mode 0600, public_key.pem, key_pair_id),
 * generated on first use and reused afterwards.
 */
export function ensureDevKeyPair(dir: string, type: 'rsa' | 'ec' = 'rsa', hash?: HashAlgorithm): DevKeyPair {
  const privatePath = join(dir, 'private_key.pem');
  const publicPath = join(dir, 'public_key.pem');
  const idPath = join(dir, 'key_pair_id');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let created = false;
  let privateKeyPem: string;
  if (existsSync(privatePath)) {
    privateKeyPem = readFileSync(privatePath, 'utf8');
  } else {
    const pair = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    privateKeyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileSync(privatePath, privateKeyPem, { mode: 0o600 });
    chmodSync(privatePath, 0o600);
    created = true;
  }
  let keyPairId = existsSync(idPath) ? readFileSync(idPath, 'utf8').trim() : '';
  if (!keyPairId || created) {
    keyPairId = newKeyPairId();
    writeFileSync(idPath, `${keyPairId}\n`);
  }
  // Validates the key (RSA-2048 or P-256) with the same rules the service applies.
  const signingKey = loadSigningKey({ keyPairId, privateKeyPem, ...(hash ? { hash } : {}) });
  const publicKey = createPublicKey(signingKey.privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  if (!existsSync(publicPath) || readFileSync(publicPath, 'utf8') !== publicKeyPem) writeFileSync(publicPath, publicKeyPem);
  return { keyPairId, signingKey, privateKeyPem, publicKeyPem, publicKey, created };
}

/** A free TCP port on host (bound and released at once). */
function freePort(host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * Fails with EADDRINUSE (or EACCES) when port is taken. s3rver 3 cannot report a failed listen (it
 * surfaces as an uncaught 'error' event and run() never settles), so its port is checked first.
 */
function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolveFree, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, host, () => srv.close(() => resolveFree()));
  });
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') return 'address already in use';
    if (code === 'EACCES') return 'permission denied';
    return err.message;
  }
  return String(err);
}

/** Wraps a start step so a failure names the part and where it tried to listen. */
async function step<T>(part: string, where: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new Error(`could not start the ${part} on ${where}: ${describeError(err)}`, { cause: err });
  }
}

/** The host to put in URLs (a wildcard bind address is reached through loopback). */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** The options' settings over the configuration table's defaults (an option given as undefined counts as absent). */
function withDefaults(o: EmbeddedOptions): EmbeddedConfig {
  const given = Object.fromEntries(Object.entries(o).filter(([, value]) => value !== undefined)) as Partial<EmbeddedConfig>;
  return { ...embeddedDefaults(), ...given };
}

/** Starts the whole local chain and prints the URL to open. */
export async function startEmbedded(o: EmbeddedOptions = {}): Promise<EmbeddedStack> {
  const settings = withDefaults(o);
  const host = settings.host || '127.0.0.1';
  const shownHost = urlHost(host);
  const dataDir = resolve(settings.dataDir);
  const log = o.log ?? ((line: string) => console.log(line));
  // The catalog follows the data directory unless one is named (as DATABASE_URL does).
  const databaseUrl = o.databaseUrl ?? catalogDatabaseUrl({ DATA_DIR: dataDir });
  const { s3Port, edgePort } = settings;
  let appPort = settings.port;
  const samplesDir = o.samplesDir ?? DEFAULT_SAMPLES_DIR;
  if (!existsSync(join(samplesDir, 'demo', 'master.m3u8'))) {
    // E.g. the Docker image, which ships no samples: say what this mode is and how to leave it.
    throw new Error(
      `no AWS configuration, so hlsgate tried to start its embedded demo, but the sample videos are missing (${samplesDir}); set S3_BUCKET, CDN_BASE_URL, CLOUDFRONT_KEY_PAIR_ID and CLOUDFRONT_PRIVATE_KEY_FILE to serve your bucket`,
    );
  }

  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    while (closers.length) {
      const c = closers.shift()!;
      try {
        await c();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length) throw errors[0];
  };

  try {
    mkdirSync(dataDir, { recursive: true });
    const keys = ensureDevKeyPair(join(dataDir, 'dev-keys'), o.keyType, settings.hash);
    if (keys.created) log(`hlsgate: generated a development key pair in ${join(dataDir, 'dev-keys')} (key id ${keys.keyPairId})`);

    // 1. The S3-compatible store, seeded with the samples.
    const s3: LocalS3 = await step('local S3 store (s3rver)', `127.0.0.1:${s3Port}`, async () => {
      await checkPortFree('127.0.0.1', s3Port);
      return startLocalS3({ directory: join(dataDir, 's3'), port: s3Port, host: '127.0.0.1', buckets: [LOCAL_BUCKET] });
    });
    closers.unshift(() => s3.close());
    const s3Client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: LOCAL_REGION, credentials: s3.credentials });
    closers.unshift(() => {
      s3Client.destroy();
      return Promise.resolve();
    });
    await step('sample upload', s3.endpoint, () => uploadSamples(s3Client, LOCAL_BUCKET, samplesDir));

    // The app's origin must be known before the edge starts (CORS), so pick its port first.
    if (appPort === 0) appPort = await freePort(host);
    const appOrigins = [`http://${shownHost}:${appPort}`];
    if (shownHost === '127.0.0.1') appOrigins.push(`http://localhost:${appPort}`);

    // 2. The edge: verifies CloudFront signatures for the development key, serves from the store.
    const edge = await step('local edge', `${host}:${edgePort}`, () =>
      startEdge({
        s3: s3Client,
        bucket: LOCAL_BUCKET,
        publicKeys: new Map([[keys.keyPairId, keys.publicKey]]),
        corsOrigins: appOrigins,
        port: edgePort,
        host,
        ...(o.clock ? { clock: o.clock } : {}),
        ...(o.edgeLog ? { log: o.edgeLog } : {}),
      }),
    );
    closers.unshift(() => edge.close());
    const edgeUrl = `http://${shownHost}:${edge.port}`;

    // 3. The catalog, with the sample videos registered.
    const catalog: Catalog = openCatalog(databaseUrl, { clock: o.clock ?? Date.now });
    closers.unshift(() => catalog.close());
    for (const v of DEMO_VIDEOS) await catalog.upsert({ ...v });

    // 4. The service, reading playlists from the store and signing for the edge.
    // Only the bucket, the store, the key and the edge are the stack's own; the rest is settings.
    const config: ServiceConfig = {
      port: appPort,
      host,
      s3: {
        bucket: LOCAL_BUCKET,
        region: LOCAL_REGION,
        endpoint: s3.endpoint,
        forcePathStyle: true,
        timeoutMs: settings.s3TimeoutMs,
        maxPlaylistBytes: settings.maxPlaylistBytes,
      },
      cdnBaseUrl: edgeUrl,
      signing: {
        key: keys.signingKey,
        mode: settings.signingMode,
        ttlSeconds: settings.ttlSeconds,
        expiryMarginSeconds: settings.expiryMarginSeconds,
        windowSeconds: settings.windowSeconds,
        maxTtlSeconds: settings.maxTtlSeconds,
      },
      foreignUris: settings.foreignUris,
      responseMaxBytes: settings.responseMaxBytes,
      playerOrigins: settings.playerOrigins,
      cache: settings.cache,
      databaseUrl,
      databasePoolMax: settings.databasePoolMax,
      ...(settings.redisUrl === undefined ? {} : { redisUrl: settings.redisUrl }),
      ...(settings.metricsPort === undefined ? {} : { metricsPort: settings.metricsPort }),
      ...(settings.adminToken === undefined ? {} : { adminToken: settings.adminToken }),
      logLevel: settings.logLevel,
      trustProxy: settings.trustProxy,
      viewerAuth: settings.viewerAuth,
      bindIp: settings.bindIp,
      rateLimitPerMinute: settings.rateLimitPerMinute,
    };
    const server = await step('hlsgate service', `${host}:${appPort}`, () =>
      startServer({
        config,
        catalog,
        credentials: s3.credentials,
        ...(o.logger ? { logger: o.logger } : {}),
        ...(o.clock ? { clock: o.clock } : {}),
      }),
    );
    closers.unshift(() => server.close());
    const appUrl = `http://${shownHost}:${server.port}`;

    const stackFile = join(dataDir, STACK_FILE);
    const where = { pid: process.pid, appUrl, edgeUrl, s3Endpoint: s3.endpoint, bucket: LOCAL_BUCKET, region: LOCAL_REGION, keyPairId: keys.keyPairId, databaseUrl };
    writeFileSync(stackFile, `${JSON.stringify(where, null, 2)}\n`);
    closers.unshift(() => {
      rmSync(stackFile, { force: true });
      return Promise.resolve();
    });

    log(`hlsgate demo running: open ${appUrl}/videos/${DEMO_VIDEOS[0].id}`);
    if (config.viewerAuth.mode === 'jwt') log(`  viewer tokens required (VIEWER_AUTH=jwt): mint one with  npx hlsgate token ${DEMO_VIDEOS[0].id}`);
    log(`  other sample:  ${appUrl}/videos/${DEMO_VIDEOS[1].id}   (all videos: ${appUrl}/videos)`);
    log(`  local edge (CloudFront-compatible, key id ${keys.keyPairId}): ${edgeUrl}`);
    log(`  local S3 store: ${s3.endpoint} (bucket ${LOCAL_BUCKET}, data in ${join(dataDir, 's3')})`);

    let closing: Promise<void> | undefined;
    return {
      appUrl,
      edgeUrl,
      s3Endpoint: s3.endpoint,
      bucket: LOCAL_BUCKET,
      keyPairId: keys.keyPairId,
      publicKeyPem: keys.publicKeyPem,
      privateKeyPem: keys.privateKeyPem,
      dataDir,
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll().catch(() => undefined);
    throw err;
  }
}
