// `hlsgate doctor [--json]`: checks the whole chain with the service's variables and prints one line
// per check (`ok`, `FAIL`, `warn`, `n/a`), each failure with its fix; exit 0 only when nothing
// fails. With no AWS variables it checks the running embedded demo (found through DATA_DIR); the
// control-plane checks do not apply to its local edge. The checks live in src/aws/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { ConfigError, loadConfig, type LoadedConfig } from '../config.js';
import { openCatalog, type Video } from '../adapters/catalog.js';
import { createS3Client, createS3PlaylistSource } from '../adapters/s3-playlist-source.js';
import { loadSigningKey, type SigningKey } from '../core/cloudfront/signer.js';
import { signatureExpiry } from '../playback/load-signed-playlist.js';
import { createAwsClients, destroyClients } from '../aws/clients.js';
import { keyDer } from '../aws/discover.js';
import { checkLine, controlPlaneChecks, type Check } from '../aws/doctor-checks.js';
import { checkClock, fetchControlPlaneFacts, liveProbe, publicDerOf, videoLines, type FetchFn } from '../aws/doctor.js';
import { AwsCallError } from '../aws/errors.js';
import { checkVideo, playlistSourceLoader, type VideoCheckDeps } from '../aws/video-check.js';
import { parse, UsageError } from './args.js';
import type { CliIO, Command } from './command.js';
import type { ClientFactory } from './aws.js';
import { findRunningDemo } from './local-stack.js';

export interface DoctorOptions {
  makeClients?: ClientFactory;
  fetch?: FetchFn;
}

/** What the data-plane checks need, whichever way the service runs. */
interface Chain {
  s3: S3Client;
  bucket: string;
  cdnBaseUrl: string;
  key: SigningKey;
  databaseUrl: string;
  maxPlaylistBytes: number;
  timeoutMs: number;
  foreignUris: 'pass' | 'refuse';
  expiry: VideoCheckDeps['expiry'];
  clockUrl: string;
}

async function dataPlane(chain: Chain, io: CliIO, fetchFn: FetchFn): Promise<Check[]> {
  const checks: Check[] = [];
  const source = createS3PlaylistSource({ client: chain.s3, bucket: chain.bucket, timeoutMs: chain.timeoutMs, maxBytes: chain.maxPlaylistBytes });
  try {
    await source.ping();
    checks.push({ id: 's3', status: 'ok', message: `bucket ${chain.bucket} is readable with the service's credentials` });
  } catch (err) {
    checks.push({
      id: 's3',
      status: 'FAIL',
      message: `bucket ${chain.bucket} is not readable with the service's credentials: ${err instanceof Error ? err.message : String(err)}`,
      fix: `give the service s3:ListBucket on arn:aws:s3:::${chain.bucket} and s3:GetObject on arn:aws:s3:::${chain.bucket}/*`,
    });
  }
  let videos: Video[] = [];
  try {
    const catalog = openCatalog(chain.databaseUrl, { clock: io.now });
    try {
      videos = await catalog.list();
    } finally {
      await catalog.close();
    }
    checks.push({ id: 'catalog', status: videos.length ? 'ok' : 'warn', message: `${videos.length} video(s) in the catalog`, ...(videos.length ? {} : { fix: 'add one: hlsgate import <folder|video file> --id ID' }) });
  } catch (err) {
    checks.push({ id: 'catalog', status: 'FAIL', message: `cannot open the catalog: ${err instanceof Error ? err.message : String(err)}`, fix: 'check DATABASE_URL' });
  }
  const deps: VideoCheckDeps = { load: playlistSourceLoader(source), cdnBaseUrl: chain.cdnBaseUrl, maxPlaylistBytes: chain.maxPlaylistBytes, foreignUris: chain.foreignUris, expiry: chain.expiry };
  let sample: string | undefined;
  for (const v of videos) {
    const r = await checkVideo(v, deps);
    checks.push(...videoLines(r, io.now()));
    if (r.ok && sample === undefined) sample = r.sampleMediaUrl;
  }
  checks.push(await checkClock(chain.clockUrl, io.now, fetchFn));
  if (sample !== undefined) checks.push(...(await liveProbe(sample, chain.key, io.now, fetchFn)));
  else checks.push({ id: 'probe', status: 'warn', message: 'live probe skipped: no video with a playable playlist' });
  return checks;
}

function embeddedChain(loaded: Extract<LoadedConfig, { kind: 'embedded' }>, io: CliIO, checks: Check[]): Chain | undefined {
  let demo;
  try {
    demo = findRunningDemo(io.env);
  } catch (err) {
    checks.push({ id: 'embedded', status: 'FAIL', message: err instanceof Error ? err.message : String(err), fix: 'npm start (in another terminal), then hlsgate doctor' });
    return undefined;
  }
  checks.push({ id: 'embedded', status: 'ok', message: `embedded demo running (pid ${demo.pid}): app ${demo.appUrl}, local edge ${demo.edgeUrl}, store ${demo.s3Endpoint}` });
  const keyDir = join(demo.dataDir, 'dev-keys');
  let key: SigningKey;
  try {
    key = loadSigningKey({ keyPairId: demo.keyPairId, privateKeyPem: readFileSync(join(keyDir, 'private_key.pem'), 'utf8'), hash: loaded.hash });
  } catch (err) {
    checks.push({ id: 'private-key', status: 'FAIL', message: `the development key in ${keyDir} does not parse: ${err instanceof Error ? err.message : String(err)}`, fix: `delete ${keyDir} and restart the demo` });
    return undefined;
  }
  checks.push({ id: 'private-key', status: 'ok', message: `development private key parses (${key.keyType === 'ec' ? 'ECDSA P-256' : 'RSA-2048'})` });
  let edgeDer: string | undefined;
  try {
    edgeDer = keyDer(readFileSync(join(keyDir, 'public_key.pem'), 'utf8'));
  } catch {
    edgeDer = undefined;
  }
  checks.push(
    edgeDer === publicDerOf(key)
      ? { id: 'key', status: 'ok', message: `the local edge trusts key ${demo.keyPairId}, the public half of the private key` }
      : { id: 'key', status: 'FAIL', message: `${keyDir}/public_key.pem is not the public half of private_key.pem`, fix: 'restart the demo (it rewrites public_key.pem)' },
  );
  checks.push({ id: 'control-plane', status: 'n/a', message: 'distribution, trusted key group, origin access control, block public access, bucket policy and CORS do not apply to the local edge (embedded demo)' });
  const signing = { mode: loaded.signingMode, ttlSeconds: loaded.ttlSeconds, expiryMarginSeconds: loaded.expiryMarginSeconds, windowSeconds: loaded.windowSeconds, maxTtlSeconds: loaded.maxTtlSeconds };
  return {
    s3: new S3Client({ endpoint: demo.s3Endpoint, forcePathStyle: true, region: demo.region, credentials: demo.credentials, maxAttempts: 2 }),
    bucket: demo.bucket,
    cdnBaseUrl: demo.edgeUrl,
    key,
    databaseUrl: demo.databaseUrl,
    maxPlaylistBytes: loaded.maxPlaylistBytes,
    timeoutMs: loaded.s3TimeoutMs,
    foreignUris: loaded.foreignUris,
    expiry: (c) => signatureExpiry(c, io.now(), signing),
    clockUrl: demo.s3Endpoint,
  };
}

async function awsChain(loaded: Extract<LoadedConfig, { kind: 'aws' }>, io: CliIO, checks: Check[], makeClients: ClientFactory): Promise<Chain> {
  const config = loaded.config;
  const key = config.signing.key;
  checks.push({ id: 'private-key', status: 'ok', message: `private key parses (${key.keyType === 'ec' ? 'ECDSA P-256' : 'RSA-2048'}, ${key.hash})` });
  const clients = makeClients(config.s3.region, io.env);
  let videoKeys: string[] = [];
  try {
    const catalog = openCatalog(config.databaseUrl, { clock: io.now });
    try {
      videoKeys = (await catalog.list()).map((v) => v.playlistKey);
    } finally {
      await catalog.close();
    }
  } catch {
    // reported by the data-plane checks
  }
  try {
    const facts = await fetchControlPlaneFacts(clients, {
      keyPairId: key.keyPairId,
      privateKeyPublicDer: publicDerOf(key),
      cdnHost: new URL(config.cdnBaseUrl).hostname,
      bucket: config.s3.bucket,
      videoKeys,
    });
    checks.push(...controlPlaneChecks(facts));
  } catch (err) {
    if (!(err instanceof AwsCallError)) throw err;
    checks.push({ id: 'control-plane', status: 'FAIL', message: err.message, fix: 'give the credentials running doctor the read permissions in the README (hlsgate doctor policy)' });
  } finally {
    destroyClients(clients);
  }
  const endpoint = io.env.AWS_ENDPOINT_URL_S3 || io.env.AWS_ENDPOINT_URL || config.s3.endpoint || `https://s3.${config.s3.region}.amazonaws.com/`;
  return {
    s3: createS3Client(config.s3),
    bucket: config.s3.bucket,
    cdnBaseUrl: config.cdnBaseUrl,
    key,
    databaseUrl: config.databaseUrl,
    maxPlaylistBytes: config.s3.maxPlaylistBytes,
    timeoutMs: config.s3.timeoutMs,
    foreignUris: config.foreignUris,
    expiry: (c) => signatureExpiry(c, io.now(), config.signing),
    clockUrl: endpoint,
  };
}

export function createDoctorCommand(o: DoctorOptions = {}): Command {
  const makeClients = o.makeClients ?? createAwsClients;
  const fetchFn: FetchFn = o.fetch ?? ((url, init) => fetch(url, init));
  return {
    usage: '  doctor [--json]             check the configuration, CloudFront, S3, the catalog and a live request',
    async run(args, io) {
      const { flags, positionals } = parse(args, { json: { type: 'boolean' } });
      if (positionals.length) throw new UsageError('doctor takes no positional arguments; it reads the service variables');
      const checks: Check[] = [];
      let loaded: LoadedConfig | undefined;
      try {
        loaded = loadConfig(io.env);
        checks.push({ id: 'config', status: 'ok', message: loaded.kind === 'aws' ? `configuration loads (AWS: bucket ${loaded.config.s3.bucket}, CDN ${loaded.config.cdnBaseUrl})` : 'configuration loads (no AWS variables: the embedded demo)' });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        checks.push({ id: 'config', status: 'FAIL', message: err.message, fix: 'fix the variable(s) named (README, Configuration)' });
      }
      let chain: Chain | undefined;
      if (loaded?.kind === 'embedded') chain = embeddedChain(loaded, io, checks);
      else if (loaded?.kind === 'aws') chain = await awsChain(loaded, io, checks, makeClients);
      if (chain) {
        try {
          checks.push(...(await dataPlane(chain, io, fetchFn)));
        } finally {
          chain.s3.destroy();
        }
      }
      const failed = checks.filter((c) => c.status === 'FAIL').length;
      const warned = checks.filter((c) => c.status === 'warn').length;
      if (flags.json) io.stdout(JSON.stringify({ ok: failed === 0, failed, warnings: warned, checks }, null, 2));
      else for (const c of checks) io.stdout(checkLine(c));
      io.stderr(failed === 0 ? `hlsgate doctor: no failures (${warned} warning(s))` : `hlsgate doctor: ${failed} failure(s), ${warned} warning(s)`);
      return failed === 0 ? 0 : 1;
    },
  };
}

export const doctor: Command = createDoctorCommand();
