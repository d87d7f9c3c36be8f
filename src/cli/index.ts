#!/usr/bin/env node
// The `hlsgate` command. One result per line on stdout, diagnostics on stderr, non-zero exit on
// failure. `main` takes its I/O as arguments so tests run it in-process.
import { generateKeyPairSync, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { parseDuration, parseTime } from './time.js';
import { catalogDatabaseUrl, pemFromEnvText } from '../config.js';
import { loadSigningKey, signUrl, SignerError, type HashAlgorithm, type SigningKey } from '../core/cloudfront/signer.js';
import { verifySignedRequest, describePolicy } from '../edge/cf-verify.js';
import { compilePlaylist, renderPlaylist, PlaylistError } from '../core/hls/manifest.js';
import { createMediaSigner, type SigningMode } from '../core/cloudfront/media-signer.js';
import { openCatalog, parseVideoInput, CatalogInputError } from '../adapters/catalog.js';
import { mintViewerToken, ViewerAuthConfigError } from '../adapters/viewer-tokens.js';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  readStdin: () => Promise<string>;
  /** Epoch milliseconds. */
  now: () => number;
}

/** An error whose message is shown as is, without a stack: wrong usage or bad input. */
class UsageError extends Error {}

const USAGE = `usage: hlsgate <command> [options]

  sign <url> --expires <time> [--policy-resource <pattern>] [--not-before <time>] [--ip <cidr>]
       [--hash SHA1|SHA256] [--key-pair-id ID] [--private-key-file F]
  rewrite [file|-] --playlist-url <url> --expires <time> [--mode url|wildcard]
       [--media-route <template with {path}>] [--root-url <folder URL>] [--out-of-scope refuse|keep]
       [--key-pair-id ID] [--private-key-file F]
  verify <signed-url> --public-key-file F [--key-pair-id ID] [--now <time>] [--ip <addr>]
  keygen [--type rsa|ecdsa] [--out DIR] [--force]
  serve                       run the service (embedded demo stack when no AWS variables are set)
  edge --bucket B --public-key-file F --key-pair-id ID [--port P] [--host H] [--s3-endpoint URL]
  videos add <id> <playlist-key> [--title T] [--root-prefix P]
  videos list
  videos rm <id>
  token <video-id> [--ttl 1h] [--all] [--sub S] [--base-url URL]
                              mint a test viewer token (HS256, VIEWER_JWT_SECRET)

<time>: epoch seconds, ISO-8601 (2026-12-31T23:59:59Z) or +duration (+90s, +15m, +2h, +7d).
Keys default to CLOUDFRONT_KEY_PAIR_ID, CLOUDFRONT_PRIVATE_KEY_FILE / CLOUDFRONT_PRIVATE_KEY,
CLOUDFRONT_HASH_ALGORITHM; the catalog to the service's (DATABASE_URL, else sqlite:./data/hlsgate.db,
or sqlite:<DATA_DIR>/hlsgate.db for the embedded demo).`;

type Flags = Record<string, string | boolean | undefined>;

function parse(args: string[], options: Record<string, { type: 'string' | 'boolean' }>): { flags: Flags; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { flags: values as Flags, positionals };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

function str(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

function required(flags: Flags, name: string): string {
  const v = str(flags, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

function hashOf(text: string | undefined): HashAlgorithm | undefined {
  if (text === undefined || text === '') return undefined;
  const upper = text.toUpperCase().replace('-', '');
  if (upper !== 'SHA1' && upper !== 'SHA256') throw new UsageError(`--hash: "${text}" is not SHA1 or SHA256`);
  return upper;
}

const KEY_OPTIONS = {
  'key-pair-id': { type: 'string' },
  'private-key-file': { type: 'string' },
  hash: { type: 'string' },
} as const;

/** The signing key from flags, falling back to the service's environment variables. */
function signingKeyFrom(flags: Flags, env: CliIO['env']): SigningKey {
  const file = str(flags, 'private-key-file') ?? env.CLOUDFRONT_PRIVATE_KEY_FILE;
  let pem: string | undefined;
  if (file) {
    try {
      pem = readFileSync(file, 'utf8');
    } catch {
      throw new UsageError(`private key file "${file}" cannot be read`);
    }
  } else if (env.CLOUDFRONT_PRIVATE_KEY) {
    pem = pemFromEnvText(env.CLOUDFRONT_PRIVATE_KEY);
  }
  if (!pem) throw new UsageError('no private key: pass --private-key-file or set CLOUDFRONT_PRIVATE_KEY_FILE / CLOUDFRONT_PRIVATE_KEY');
  return loadSigningKey({
    keyPairId: str(flags, 'key-pair-id') ?? env.CLOUDFRONT_KEY_PAIR_ID,
    privateKeyPem: pem,
    hash: hashOf(str(flags, 'hash') ?? env.CLOUDFRONT_HASH_ALGORITHM),
  });
}

function cmdSign(args: string[], io: CliIO): number {
  const { flags, positionals } = parse(args, {
    ...KEY_OPTIONS,
    expires: { type: 'string' },
    'policy-resource': { type: 'string' },
    'not-before': { type: 'string' },
    ip: { type: 'string' },
  });
  const url = positionals[0];
  if (!url || positionals.length > 1) throw new UsageError('sign takes exactly one URL');
  const now = Math.floor(io.now() / 1000);
  const expires = parseTime(required(flags, 'expires'), now, '--expires');
  const notBeforeText = str(flags, 'not-before');
  const key = signingKeyFrom(flags, io.env);
  io.stdout(
    signUrl(url, key, {
      expires,
      notBefore: notBeforeText === undefined ? undefined : parseTime(notBeforeText, now, '--not-before'),
      ip: str(flags, 'ip'),
      resource: str(flags, 'policy-resource'),
    }),
  );
  return 0;
}

async function cmdRewrite(args: string[], io: CliIO): Promise<number> {
  const { flags, positionals } = parse(args, {
    ...KEY_OPTIONS,
    'playlist-url': { type: 'string' },
    expires: { type: 'string' },
    mode: { type: 'string' },
    'media-route': { type: 'string' },
    'out-of-scope': { type: 'string' },
    'root-url': { type: 'string' },
  });
  const source = positionals[0] ?? '-';
  if (positionals.length > 1) throw new UsageError('rewrite takes at most one file');
  const text = source === '-' ? await io.readStdin() : readFileSync(source);
  const playlistUrl = new URL(required(flags, 'playlist-url'));
  // The root prefix is the playlist's directory unless --root-url widens it (e.g. to the video's
  // folder when a rendition's key lives in a sibling `../keys/`).
  const rootUrl = new URL(str(flags, 'root-url') ?? './', playlistUrl).href;
  if (!rootUrl.endsWith('/') || !playlistUrl.href.startsWith(rootUrl)) {
    throw new UsageError(`--root-url: "${rootUrl}" must be a folder URL (ending in /) containing the playlist`);
  }
  const mode = (str(flags, 'mode') ?? 'wildcard') as SigningMode;
  if (mode !== 'url' && mode !== 'wildcard') throw new UsageError(`--mode: "${mode}" is not url or wildcard`);
  const outOfScope = str(flags, 'out-of-scope') ?? 'refuse';
  if (outOfScope !== 'refuse' && outOfScope !== 'keep') throw new UsageError(`--out-of-scope: "${outOfScope}" is not refuse or keep`);
  const now = Math.floor(io.now() / 1000);
  const expires = parseTime(required(flags, 'expires'), now, '--expires');
  const key = signingKeyFrom(flags, io.env);
  const route = str(flags, 'media-route');
  if (route !== undefined && !route.includes('{path}')) throw new UsageError('--media-route must contain {path}');
  const compiled = compilePlaylist(text, { playlistUrl: playlistUrl.href, rootUrl, outOfScope });
  const out = renderPlaylist(compiled, {
    signMedia: createMediaSigner({ mode, key, rootUrl, expires }),
    // Without a route, nested playlist references stay relative to where the output is served.
    routePlaylist: (path) => (route === undefined ? path : route.replaceAll('{path}', path)),
  });
  for (const o of compiled.outOfScope) io.stderr(`warning: line ${o.line}: left unsigned (${o.reason}): ${o.uri}`);
  io.stdout(out.replace(/\r?\n$/, ''));
  return 0;
}

function readPublicKey(file: string): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`public key file "${file}" cannot be read`);
  }
  try {
    return createPublicKey(pem);
  } catch {
    throw new UsageError(`public key file "${file}" is not a PEM public key`);
  }
}

function cmdVerify(args: string[], io: CliIO): number {
  const { flags, positionals } = parse(args, {
    'public-key-file': { type: 'string' },
    'key-pair-id': { type: 'string' },
    now: { type: 'string' },
    ip: { type: 'string' },
  });
  const url = positionals[0];
  if (!url || positionals.length > 1) throw new UsageError('verify takes exactly one signed URL');
  const realNow = Math.floor(io.now() / 1000);
  const nowText = str(flags, 'now');
  const now = nowText === undefined ? realNow : parseTime(nowText, realNow, '--now');
  const publicKey = readPublicKey(str(flags, 'public-key-file') ?? io.env.CLOUDFRONT_PUBLIC_KEY_FILE ?? required(flags, 'public-key-file'));
  if (!URL.canParse(url)) throw new UsageError(`"${url.slice(0, 200)}" is not an absolute URL`);
  const query = new URL(url).searchParams;
  // The trusted key id: the one given, else the service's, else whatever the URL claims (then
  // only the signature, times, IP and resource are checked).
  const trustedId = str(flags, 'key-pair-id') ?? io.env.CLOUDFRONT_KEY_PAIR_ID ?? query.get('Key-Pair-Id') ?? '';
  const result = verifySignedRequest({
    url,
    publicKeys: new Map([[trustedId, publicKey]]),
    now,
    clientIp: str(flags, 'ip'),
  });
  const keyId = result.keyPairId ?? query.get('Key-Pair-Id') ?? '(none)';
  io.stdout(`url: ${url.split('?')[0]}`);
  io.stdout(`key pair id: ${keyId}${keyId === trustedId ? '' : ` (trusted: ${trustedId || '(none)'})`}`);
  if (result.policy) for (const line of describePolicy(result.policy, now)) io.stdout(line);
  if (result.ok) {
    io.stdout(`hash: ${result.hash}`);
    io.stdout('verdict: OK — CloudFront would accept this URL');
    return 0;
  }
  io.stdout(`verdict: ${result.reason} — ${result.message}`);
  return 1;
}

function cmdKeygen(args: string[], io: CliIO): number {
  const { flags, positionals } = parse(args, { type: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } });
  if (positionals.length) throw new UsageError('keygen takes no positional arguments');
  const type = str(flags, 'type') ?? 'rsa';
  if (type !== 'rsa' && type !== 'ecdsa') throw new UsageError(`--type: "${type}" is not rsa or ecdsa`);
  const dir = resolve(str(flags, 'out') ?? '.');
  const privatePath = join(dir, 'private_key.pem');
  const publicPath = join(dir, 'public_key.pem');
  if (!flags.force && (existsSync(privatePath) || existsSync(publicPath))) {
    throw new UsageError(`${privatePath} or ${publicPath} already exists; pass --force to overwrite`);
  }
  const pair =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  mkdirSync(dir, { recursive: true });
  writeFileSync(privatePath, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicPath, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  io.stdout(privatePath);
  io.stdout(publicPath);
  io.stderr(`upload ${publicPath} to CloudFront (Public keys), add it to a key group, and set CLOUDFRONT_KEY_PAIR_ID to its id`);
  return 0;
}

async function cmdVideos(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  const { flags, positionals } = parse(rest, { title: { type: 'string' }, 'root-prefix': { type: 'string' } });
  const catalog = openCatalog(catalogDatabaseUrl(io.env));
  try {
    if (sub === 'add') {
      const [id, playlistKey, ...extra] = positionals;
      if (!id || !playlistKey || extra.length) throw new UsageError('usage: hlsgate videos add <id> <playlist-key> [--title T] [--root-prefix P]');
      const body: Record<string, string> = { id, playlistKey };
      const title = str(flags, 'title');
      const rootPrefix = str(flags, 'root-prefix');
      if (title !== undefined) body.title = title;
      if (rootPrefix !== undefined) body.rootPrefix = rootPrefix;
      const { video, created } = await catalog.upsert(parseVideoInput(body));
      io.stdout(`${created ? 'added' : 'updated'} ${video.id}\t${video.playlistKey}\t${video.rootPrefix}\t${video.title}`);
      return 0;
    }
    if (sub === 'list') {
      for (const v of await catalog.list()) io.stdout(`${v.id}\t${v.playlistKey}\t${v.rootPrefix}\t${v.title}`);
      return 0;
    }
    if (sub === 'rm') {
      const [id] = positionals;
      if (!id || positionals.length > 1) throw new UsageError('usage: hlsgate videos rm <id>');
      if (!(await catalog.remove(id))) {
        io.stderr(`hlsgate: no video "${id}"`);
        return 1;
      }
      io.stdout(`removed ${id}`);
      return 0;
    }
    throw new UsageError('usage: hlsgate videos add|list|rm');
  } finally {
    await catalog.close();
  }
}

/** `hlsgate token <video-id> [--ttl 1h] [--all]`: a viewer token for testing VIEWER_AUTH=jwt. */
async function cmdToken(args: string[], io: CliIO): Promise<number> {
  const { flags, positionals } = parse(args, {
    ttl: { type: 'string' },
    all: { type: 'boolean' },
    sub: { type: 'string' },
    'base-url': { type: 'string' },
  });
  const [id, ...extra] = positionals;
  if (extra.length || (!id && !flags.all)) throw new UsageError('usage: hlsgate token <video-id> [--ttl 1h] [--all] [--sub S] [--base-url URL]');
  const ttlText = str(flags, 'ttl') ?? '1h';
  const ttlSeconds = parseDuration(ttlText.trim().replace(/^\+/, '')) ?? 0;
  if (!(ttlSeconds > 0)) throw new UsageError(`--ttl: "${ttlText}" is not a duration (e.g. 90s, 15m, 1h, 7d)`);
  const secret = io.env.VIEWER_JWT_SECRET;
  if (!secret) throw new UsageError('VIEWER_JWT_SECRET is not set: the token is signed with the secret the service checks (VIEWER_AUTH=jwt)');
  let token: string;
  try {
    token = await mintViewerToken({
      secret,
      ...(flags.all ? {} : { videos: [id!] }),
      ttlSeconds,
      nowMs: io.now(),
      ...(str(flags, 'sub') ? { subject: str(flags, 'sub') } : {}),
      ...(io.env.VIEWER_JWT_AUDIENCE ? { audience: io.env.VIEWER_JWT_AUDIENCE } : {}),
      ...(io.env.VIEWER_JWT_ISSUER ? { issuer: io.env.VIEWER_JWT_ISSUER } : {}),
    });
  } catch (err) {
    if (err instanceof ViewerAuthConfigError) throw new UsageError(`VIEWER_JWT_SECRET: ${err.message}`);
    throw err;
  }
  io.stdout(token);
  const base = (str(flags, 'base-url') ?? io.env.HLSGATE_URL ?? `http://127.0.0.1:${io.env.PORT || 3000}`).replace(/\/+$/, '');
  io.stderr(
    id
      ? `open ${base}/videos/${encodeURIComponent(id)}?token=${token}  (valid ${ttlText}${flags.all ? ', all videos' : ''})`
      : `send it as "Authorization: Bearer <token>" or open ${base}/videos/<id>?token=<token>  (valid ${ttlText}, all videos)`,
  );
  return 0;
}

async function cmdServe(args: string[], io: CliIO): Promise<number> {
  if (args.length) throw new UsageError('serve takes no arguments; configure it with environment variables (see .env.example)');
  const { serveFromEnv } = await import('../serve.js');
  await serveFromEnv(io.env);
  return 0;
}

async function cmdEdge(args: string[], io: CliIO): Promise<number> {
  const { flags, positionals } = parse(args, {
    port: { type: 'string' },
    host: { type: 'string' },
    bucket: { type: 'string' },
    'public-key-file': { type: 'string' },
    'key-pair-id': { type: 'string' },
    's3-endpoint': { type: 'string' },
    region: { type: 'string' },
  });
  if (positionals.length) throw new UsageError('edge takes no positional arguments');
  const portText = str(flags, 'port') ?? '8443';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new UsageError(`--port: "${portText}" is not a TCP port number`);
  const { runEdgeFromCli } = await import('../edge/cli.js');
  await runEdgeFromCli({
    port: Number(portText),
    host: str(flags, 'host') ?? '127.0.0.1',
    bucket: required(flags, 'bucket'),
    publicKeys: new Map([[required(flags, 'key-pair-id'), readPublicKey(required(flags, 'public-key-file'))]]),
    endpoint: str(flags, 's3-endpoint') ?? io.env.S3_ENDPOINT,
    region: str(flags, 'region') ?? io.env.AWS_REGION ?? 'us-east-1',
    stdout: io.stdout,
  });
  return 0;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'sign':
        return cmdSign(args, io);
      case 'rewrite':
        return await cmdRewrite(args, io);
      case 'verify':
        return cmdVerify(args, io);
      case 'keygen':
        return cmdKeygen(args, io);
      case 'videos':
        return await cmdVideos(args, io);
      case 'serve':
        return await cmdServe(args, io);
      case 'token':
        return await cmdToken(args, io);
      case 'edge':
        return await cmdEdge(args, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"\n${USAGE}`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof SignerError || err instanceof PlaylistError || err instanceof CatalogInputError) {
      io.stderr(`hlsgate ${command ?? ''}: ${err.message}`);
      return 2;
    }
    if (err instanceof Error && (err.name === 'ConfigError' || /^--/.test(err.message))) {
      io.stderr(`hlsgate ${command ?? ''}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolveText, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolveText(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
const viaBin = process.argv[1] !== undefined && /[\\/]hlsgate(\.js)?$/.test(process.argv[1]);
if (invokedDirectly || viaBin) {
  main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(`${t}\n`),
    stderr: (t) => process.stderr.write(`${t}\n`),
    env: process.env,
    readStdin: () => readAll(process.stdin),
    now: () => Date.now(),
  }).then(
    (code) => {
      // serve/edge keep running; everything else exits with its code.
      if (!['serve', 'edge'].includes(process.argv[2] ?? '') || code !== 0) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`hlsgate: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
