// `npm run bench`: hlsgate against the naive way and against a static floor.
//
//   npm run bench                          every case, 10 s each (naive: 20 s)
//   npm run bench -- --duration 3          shorter cases
//   npm run bench -- --case wildcard,floor only these cases (names below)
//   npm run bench -- --soak wildcard       one case for 60 s, resident memory sampled every 10 s
//   npm run bench -- --skip-micro          skip the in-process timings
//   npm run bench -- --serve wildcard      start the store and one target, print its URL, run until Ctrl-C
//                                          (BENCH_NODE_OPTIONS="--cpu-prof" profiles the target)
//
// What runs where: an S3-compatible store (s3rver) and autocannon (16 connections) run in this
// process; every target runs in a child process of its own (bench/target.ts), one case after the
// other, so a target's CPU is its own core's (the machine this was written for has 2 cores:
// autocannon + s3rver on one, the target on the other). hlsgate runs through startServer, the
// service's real wiring (origin cache, playback cache, the front door), with the configuration
// `npm start` runs: the defaults (LOG_LEVEL=info: one access-log line per request, written to the
// target's stdout, which goes to /dev/null as a log shipper would consume it). The deviations a
// load test needs are printed on the output (DEVIATIONS below). Every case requests the
// 1200-segment 720p media playlist of a 4-rendition video.
//
// Cases beyond the modes: `wildcard-ip` is IP-bound with 1,000 distinct viewer addresses cycling
// (X-Forwarded-For, trusted from loopback; every address warmed once first, so its signature for
// the window is cached, as for a viewer already watching); the `rollover-*` cases run with a 3 s
// signature window, so a 10 s case crosses three rollovers under load (max latency is the number
// to read: without the background preparation the first request of a window pays every signature).
//
// In-process timings (this process, no HTTP): compile and render of that playlist per signing
// mode without any cache, the cached use case per request, and the first request after a window
// rollover (with a clock set just past the window boundary), without and with the next window
// prepared ahead.
import { fork, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zc } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import autocannon from 'autocannon';
import { startLocalS3 } from '../src/local/s3-store.js';
import { compilePlaylist, renderPlaylist } from '../src/core/hls/manifest.js';
import { createMediaSigner } from '../src/core/cloudfront/media-signer.js';
import { loadSignedPlaylist, rootUrlOf, type PlaybackDeps } from '../src/playback/load-signed-playlist.js';
import { nestedPlaylistPath as nestedPlaylistRoute } from '../src/routes.js';
import { createCachingPlaylistSource } from '../src/adapters/playlist-cache.js';
import { createS3Client, createS3PlaylistSource } from '../src/adapters/s3-playlist-source.js';
import { createPlaybackCache } from '../src/playback/playback-cache.js';
import { loadSigningKey, type SigningKey } from '../src/core/cloudfront/signer.js';
import {
  BENCH_PATH,
  BENCH_REL_PATH,
  BUCKET,
  CDN_BASE_URL,
  KEY_PAIR_ID,
  MASTER_KEY,
  mediaPlaylist,
  multivariantPlaylist,
  RENDITIONS,
  ROOT_PREFIX,
  SEGMENTS,
  VIDEO_ID,
} from './fixtures.js';

// ---------------------------------------------------------------------------------------------
// Flags

interface Flags {
  duration: number;
  naiveDuration: number;
  cases?: string[];
  soak?: string;
  serve?: string;
  skipMicro: boolean;
  connections: number;
}

function parseFlags(argv: string[]): Flags {
  const flags: Flags = { duration: 10, naiveDuration: 20, skipMicro: false, connections: 16 };
  let naiveSet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--duration') flags.duration = Number(value());
    else if (a === '--naive-duration') {
      flags.naiveDuration = Number(value());
      naiveSet = true;
    } else if (a === '--case' || a === '--cases') flags.cases = value().split(',');
    else if (a === '--soak') flags.soak = value();
    else if (a === '--serve') flags.serve = value();
    else if (a === '--skip-micro') flags.skipMicro = true;
    else if (a === '--connections') flags.connections = Number(value());
    else throw new Error(`unknown flag ${a} (see the top of bench/run.ts)`);
  }
  if (!naiveSet) flags.naiveDuration = Math.max(flags.duration, Math.min(20, flags.duration * 2));
  if (!(flags.duration > 0)) throw new Error('--duration must be a positive number of seconds');
  return flags;
}

// ---------------------------------------------------------------------------------------------
// Cases

/** Bodies the static floors serve: exactly what the hlsgate case of the same name answers. */
type FloorBody = 'wildcard' | 'url-rsa' | 'url-ecdsa' | 'wildcard-ip' | 'wildcard-br';

interface Case {
  name: string;
  what: string;
  target: 'hlsgate' | 'naive' | 'naive-wildcard' | 'floor';
  key: 'rsa' | 'ec';
  env?: Record<string, string>;
  headers?: Record<string, string>;
  naive?: boolean;
  /** hlsgate cases: the floor to compare with (run just before). Floor cases: the body they serve. */
  floor?: FloorBody;
  /** Distinct viewer addresses sent in X-Forwarded-For, cycling (IP-bound cases). */
  viewers?: number;
}

/** IP-bound cases: the number of distinct viewer addresses cycling. */
const VIEWER_ADDRESSES = 1000;
const viewerAddress = (i: number): string => `198.18.${(i >> 8) & 255}.${i & 255}`;

const HLSGATE_CASES: Case[] = [
  { name: 'wildcard', what: 'hlsgate wildcard, RSA', target: 'hlsgate', key: 'rsa', env: { SIGNING_MODE: 'wildcard' }, floor: 'wildcard' },
  { name: 'url-rsa', what: 'hlsgate url, RSA', target: 'hlsgate', key: 'rsa', env: { SIGNING_MODE: 'url' }, floor: 'url-rsa' },
  { name: 'url-ecdsa', what: 'hlsgate url, ECDSA P-256', target: 'hlsgate', key: 'ec', env: { SIGNING_MODE: 'url' }, floor: 'url-ecdsa' },
  {
    name: 'wildcard-ip',
    what: `hlsgate wildcard + IP binding, RSA, ${VIEWER_ADDRESSES} viewer addresses cycling (X-Forwarded-For)`,
    target: 'hlsgate',
    key: 'rsa',
    env: { SIGNING_MODE: 'wildcard', SIGNED_URL_BIND_IP: 'true', TRUST_PROXY: 'loopback' },
    floor: 'wildcard-ip',
    viewers: VIEWER_ADDRESSES,
  },
  {
    name: 'wildcard-br',
    what: 'hlsgate wildcard, RSA, client sends Accept-Encoding: br, gzip',
    target: 'hlsgate',
    key: 'rsa',
    env: { SIGNING_MODE: 'wildcard' },
    headers: { 'accept-encoding': 'br, gzip' },
    floor: 'wildcard-br',
  },
];

/** The short window of the rollover cases (seconds). */
const ROLLOVER_WINDOW = 3;

const ROLLOVER_CASES: Case[] = HLSGATE_CASES.filter((c) => c.name !== 'wildcard-br').map((c) => ({
  ...c,
  name: `rollover-${c.name}`,
  what: `${c.what}, ${ROLLOVER_WINDOW} s signature window (a rollover every ${ROLLOVER_WINDOW} s under load)`,
  env: { ...c.env, SIGNATURE_WINDOW_SECONDS: String(ROLLOVER_WINDOW) },
}));

const FLOOR_CASES: Case[] = HLSGATE_CASES.map((c) => ({
  name: `floor:${c.floor!}`,
  what: `static floor: the bytes of ${c.name}${c.floor === 'wildcard-br' ? ' (brotli)' : ''} from memory, plain node:http`,
  target: 'floor',
  key: 'rsa',
  floor: c.floor!,
  ...(c.headers ? { headers: c.headers } : {}),
  // The same requests as its hlsgate case (the client's work is part of the measurement).
  ...(c.viewers ? { viewers: c.viewers } : {}),
}));

const NAIVE_CASES: Case[] = [
  { name: 'naive-wildcard', what: 'naive: S3 GET + 1 getSignedUrl(policy, PEM) per request', target: 'naive-wildcard', key: 'rsa', naive: true },
  { name: 'naive', what: 'naive: S3 GET + getSignedUrl(PEM) per segment (the reference documents)', target: 'naive', key: 'rsa', naive: true },
];

/** Run order: each hlsgate case right after its floor, then the rollover cases, then the naive baselines. */
const CASES: Case[] = [...HLSGATE_CASES.flatMap((c) => [FLOOR_CASES.find((f) => f.floor === c.floor)!, c]), ...ROLLOVER_CASES, ...NAIVE_CASES];

/** Where the hlsgate targets' configuration departs from `npm start`'s defaults, and why. */
const DEVIATIONS: [string, string][] = [
  ['RATE_LIMIT_PER_MINUTE=0', 'the default 600/min per client would answer a load test with 429s'],
  ['DATABASE_URL=sqlite::memory:', 'the catalog holds the one bench video'],
  ['PORT=0', 'a free port per target'],
  ['S3_*, CDN_BASE_URL, CLOUDFRONT_*', 'the local store and a generated key (no defaults exist)'],
  ['TRUST_PROXY=loopback', `IP-bound cases only: their ${VIEWER_ADDRESSES} viewer addresses come in X-Forwarded-For`],
  [`SIGNATURE_WINDOW_SECONDS=${ROLLOVER_WINDOW}`, 'rollover cases only (default 300)'],
];

interface Measured {
  c: Case;
  reqPerSec: number;
  requests: number;
  p50: number;
  p99: number;
  max: number;
  bytesPerReq: number;
  rssBefore: number;
  rssAfter: number;
  errors: number;
  non2xx: number;
  timeouts: number;
  seconds: number;
  rssSamples?: number[];
}

// ---------------------------------------------------------------------------------------------
// Child processes

interface Target {
  child: ChildProcess;
  url: string;
  rss(): Promise<number>;
  stop(): Promise<void>;
}

const TARGET_SCRIPT = fileURLToPath(new URL('./target.ts', import.meta.url));

async function startTarget(env: Record<string, string>): Promise<Target> {
  const child = fork(TARGET_SCRIPT, [], {
    // BENCH_NODE_OPTIONS: extra node flags for the target, e.g. "--cpu-prof --cpu-prof-dir=prof".
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean)],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('target did not start within 30 s')), 30_000);
    child.on('message', (m: { ready?: boolean; url?: string }) => {
      if (m.ready && m.url) {
        clearTimeout(timer);
        resolve(m.url);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`target exited with code ${code}`));
    });
  });
  return {
    child,
    url,
    rss: () =>
      new Promise<number>((resolve) => {
        const on = (m: { rss?: number }) => {
          if (typeof m.rss === 'number') {
            child.off('message', on);
            resolve(m.rss);
          }
        };
        child.on('message', on);
        child.send({ rss: true });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 12_000).unref();
      }),
  };
}

function targetEnv(c: Case, ctx: Context): Record<string, string> {
  const keyFile = c.key === 'rsa' ? ctx.rsaFile : ctx.ecFile;
  return {
    BENCH_TARGET: c.target,
    BENCH_S3_ENDPOINT: ctx.s3Endpoint,
    BENCH_KEY_FILE: keyFile,
    BENCH_FLOOR_FILE: c.floor ? ctx.floorFiles[c.floor] : '',
    BENCH_FLOOR_ENCODING: c.floor === 'wildcard-br' ? 'br' : '',
    // hlsgate's own configuration
    S3_BUCKET: BUCKET,
    S3_ENDPOINT: ctx.s3Endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    CDN_BASE_URL,
    CLOUDFRONT_KEY_PAIR_ID: KEY_PAIR_ID,
    CLOUDFRONT_PRIVATE_KEY_FILE: keyFile,
    SIGNED_URL_TTL: '3600',
    SIGNED_URL_MARGIN: '300',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: 'sqlite::memory:',
    RATE_LIMIT_PER_MINUTE: '0',
    ...c.env,
  };
}

async function runCase(c: Case, ctx: Context, flags: Flags, seconds: number, sampleRss: boolean): Promise<Measured> {
  const t = await startTarget(targetEnv(c, ctx));
  try {
    const url = t.url + BENCH_PATH;
    // Warm-up (and a correctness check): fills the caches, pays the first signatures.
    const warm = async (headers: Record<string, string>) => {
      const res = await fetch(url, { headers });
      const body = await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${c.name}: warm-up answered ${res.status}: ${Buffer.from(body).toString('utf8').slice(0, 300)}`);
    };
    for (let i = 0; i < (c.naive ? 1 : 2); i++) await warm(c.headers ?? {});
    const viewers = c.viewers ?? 0;
    for (let i = 0; i < viewers; i += flags.connections) {
      const batch = Array.from({ length: Math.min(flags.connections, viewers - i) }, (_, j) => warm({ ...c.headers, 'x-forwarded-for': viewerAddress(i + j) }));
      await Promise.all(batch);
    }
    let next = 0;
    const cycle = viewers > 0
      ? {
          requests: [
            {
              setupRequest: (req: autocannon.Request) => {
                req.headers = { ...req.headers, 'x-forwarded-for': viewerAddress(next++ % viewers) };
                return req;
              },
            },
          ],
        }
      : {};
    await new Promise((r) => setTimeout(r, 200)); // compressed forms are computed in the background
    const rssBefore = await t.rss();
    const samples: number[] = [rssBefore];
    const sampler = sampleRss
      ? setInterval(() => {
          void t.rss().then((v) => samples.push(v));
        }, 10_000)
      : undefined;
    const result = await autocannon({
      url,
      connections: flags.connections,
      duration: seconds,
      timeout: c.naive ? 120 : 10,
      ...(c.headers ? { headers: c.headers } : {}),
      ...cycle,
    });
    if (sampler) clearInterval(sampler);
    const rssAfter = await t.rss();
    samples.push(rssAfter);
    const requests = result.requests.total;
    return {
      c,
      reqPerSec: requests / seconds,
      requests,
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
      bytesPerReq: requests > 0 ? result.throughput.total / requests : 0,
      rssBefore,
      rssAfter,
      errors: result.errors,
      non2xx: result.non2xx,
      timeouts: result.timeouts,
      seconds,
      ...(sampleRss ? { rssSamples: samples } : {}),
    };
  } finally {
    await t.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// In-process timings

interface Context {
  s3Endpoint: string;
  rsaFile: string;
  ecFile: string;
  floorFiles: Record<FloorBody, string>;
  rsa: SigningKey;
  ec: SigningKey;
  client: ReturnType<typeof createS3Client>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function timeIt(n: number, fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function micro(ctx: Context): void {
  const text = mediaPlaylist('720p');
  const rootUrl = rootUrlOf(CDN_BASE_URL, ROOT_PREFIX);
  const playlistUrl = `${rootUrl}${BENCH_REL_PATH}`;
  const compileOnce = () => compilePlaylist(text, { playlistUrl, rootUrl, outOfScope: 'refuse' });
  const compiled = compileOnce();
  const expires = Math.floor(Date.now() / 1000) + 7500;
  const routePlaylist = (p: string) => nestedPlaylistRoute(VIDEO_ID, p);
  const render = (mode: 'wildcard' | 'url', key: SigningKey) => renderPlaylist(compiled, { signMedia: createMediaSigner({ mode, key, rootUrl, expires }), routePlaylist });
  const wildcardSigner = createMediaSigner({ mode: 'wildcard', key: ctx.rsa, rootUrl, expires });
  const rows: [string, number][] = [
    ['compile (1200 segments, ~40 KB)', timeIt(30, compileOnce)],
    ['render wildcard RSA, signer made (1 RSA signature)', timeIt(50, () => render('wildcard', ctx.rsa))],
    ['render wildcard, policy already signed (fill only)', timeIt(50, () => renderPlaylist(compiled, { signMedia: wildcardSigner, routePlaylist }))],
    ['render url RSA (1200 RSA signatures)', timeIt(3, () => render('url', ctx.rsa))],
    ['render url ECDSA (1200 ECDSA signatures)', timeIt(10, () => render('url', ctx.ec))],
  ];
  console.log('\nRewrite only (in process, no cache; median):');
  for (const [what, ms] of rows) console.log(`  ${what.padEnd(54)} ${ms.toFixed(3).padStart(9)} ms`);
}

async function rollover(ctx: Context): Promise<void> {
  console.log('\nUse case in process (S3 via the origin cache, playback cache; clock injected):');
  console.log('  mode           cold first   cached     first after rollover   next      first after a prepared rollover');
  for (const [name, mode, key] of [
    ['wildcard RSA', 'wildcard', ctx.rsa],
    ['url RSA', 'url', ctx.rsa],
    ['url ECDSA', 'url', ctx.ec],
  ] as const) {
    const clock = { now: 0 };
    const s3 = createS3PlaylistSource({ client: ctx.client, bucket: BUCKET, timeoutMs: 5000, maxBytes: 4 << 20 });
    const deps: PlaybackDeps = {
      source: createCachingPlaylistSource(s3, { maxBytes: 64 << 20, vodRevalidateMs: 30_000, clock: () => clock.now }),
      signingKey: key,
      clock: () => clock.now,
      config: { cdnBaseUrl: CDN_BASE_URL, signing: { mode, ttlSeconds: 3600, expiryMarginSeconds: 300, windowSeconds: 300, maxTtlSeconds: 604_800 }, s3: { maxPlaylistBytes: 4 << 20 }, foreignUris: 'pass', responseMaxBytes: 16 << 20 },
      playbackCache: createPlaybackCache({ maxBytes: 64 << 20, prepare: { clock: () => clock.now } }),
    };
    const call = () => loadSignedPlaylist({ video: { id: VIDEO_ID, playlistKey: MASTER_KEY, rootPrefix: ROOT_PREFIX }, relPath: BENCH_REL_PATH, deps });
    // 1200 x 6 s + 300 s margin = 7500 s, a multiple of the 300 s window: the expiry rolls over
    // when now crosses a multiple of 300 s.
    const boundary = Math.ceil(Date.now() / 300_000) * 300_000 + 300_000;
    clock.now = boundary - 5_000;
    const cold = await timeAsync(call);
    const hits: number[] = [];
    for (let i = 0; i < 200; i++) hits.push(await timeAsync(call));
    await deps.playbackCache!.idle();
    clock.now = boundary + 1_000;
    const before = deps.playbackCache!.stats().signatureMisses;
    const first = await timeAsync(call);
    const signed = deps.playbackCache!.stats().signatureMisses - before;
    const next = await timeAsync(call);
    // The next boundary, with the background preparation run shortly before it (as its timer
    // would), after a request late in the window (which also revalidates the origin cache: the
    // clock moved past VOD_REVALIDATE_SECONDS, and that S3 round trip is not the rollover's).
    clock.now = boundary + 300_000 - 10_000;
    await call();
    await deps.playbackCache!.prepareDue();
    await deps.playbackCache!.idle();
    clock.now = boundary + 300_000 + 1_000;
    const beforePrepared = deps.playbackCache!.stats().signatureMisses;
    const prepared = await timeAsync(call);
    const signedPrepared = deps.playbackCache!.stats().signatureMisses - beforePrepared;
    console.log(
      `  ${name.padEnd(14)} ${cold.toFixed(1).padStart(8)} ms ${median(hits).toFixed(3).padStart(8)} ms ${first.toFixed(1).padStart(10)} ms (${signed} signed) ${next.toFixed(3).padStart(8)} ms ${prepared.toFixed(3).padStart(10)} ms (${signedPrepared} signed)`,
    );
    await deps.playbackCache!.idle();
    deps.playbackCache!.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Main

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)}`;
}

function printTable(results: Measured[]): void {
  const naive = results.find((r) => r.c.name === 'naive');
  const naiveW = results.find((r) => r.c.name === 'naive-wildcard');
  const floorOf = (r: Measured) => (r.c.target === 'hlsgate' ? results.find((f) => f.c.target === 'floor' && f.c.floor === r.c.floor) : undefined);
  const ratio = (r: Measured, base: Measured | undefined) => {
    if (!base || base === r || base.reqPerSec <= 0) return '-';
    const v = r.reqPerSec / base.reqPerSec;
    return `${v >= 10 ? v.toFixed(0) : v >= 0.1 ? v.toFixed(2) : v.toFixed(4)}×`;
  };
  const header = ['case', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'KB/resp', '×naive', '×naive-wc', '×own floor', 'RSS MB before→after', 'errors'];
  const rows = results.map((r) => [
    r.c.name,
    r.reqPerSec >= 100 ? r.reqPerSec.toFixed(0) : r.reqPerSec.toFixed(2),
    String(r.p50),
    String(r.p99),
    String(r.max),
    (r.bytesPerReq / 1024).toFixed(0),
    ratio(r, naive),
    ratio(r, naiveW),
    ratio(r, floorOf(r)),
    `${mb(r.rssBefore)}→${mb(r.rssAfter)}`,
    r.errors + r.non2xx + r.timeouts > 0 ? `${r.errors} err, ${r.non2xx} non2xx, ${r.timeouts} t/o` : '0',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log('');
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  console.log('');
  for (const r of results) console.log(`  ${r.c.name.padEnd(17)} ${r.c.what} (${r.requests} requests in ${r.seconds} s)`);
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'hlsgate-bench-'));
  const s3 = await startLocalS3({ directory: join(dir, 's3'), buckets: [BUCKET] });
  const client = createS3Client({ bucket: BUCKET, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, timeoutMs: 5000, maxPlaylistBytes: 4 << 20 }, s3.credentials);
  try {
    const put = (key: string, body: string) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentLength: Buffer.byteLength(body) }));
    await put(MASTER_KEY, multivariantPlaylist());
    for (const r of RENDITIONS) await put(`${ROOT_PREFIX}${r}/index.m3u8`, mediaPlaylist(r));

    const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const ecPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const rsaFile = join(dir, 'rsa.pem');
    const ecFile = join(dir, 'ec.pem');
    writeFileSync(rsaFile, rsaPem, { mode: 0o600 });
    writeFileSync(ecFile, ecPem, { mode: 0o600 });
    const ctx: Context = {
      s3Endpoint: s3.endpoint,
      rsaFile,
      ecFile,
      floorFiles: {
        wildcard: join(dir, 'floor-wildcard.m3u8'),
        'url-rsa': join(dir, 'floor-url-rsa.m3u8'),
        'url-ecdsa': join(dir, 'floor-url-ecdsa.m3u8'),
        'wildcard-ip': join(dir, 'floor-wildcard-ip.m3u8'),
        'wildcard-br': join(dir, 'floor-wildcard.m3u8.br'),
      },
      rsa: loadSigningKey({ keyPairId: KEY_PAIR_ID, privateKeyPem: rsaPem }),
      ec: loadSigningKey({ keyPairId: KEY_PAIR_ID, privateKeyPem: ecPem }),
      client,
    };
    // The floors serve exactly what the hlsgate cases serve (ECDSA signatures differ on every
    // signing; their length does not). Rendered here through the same use case.
    const render = async (mode: 'wildcard' | 'url', key: SigningKey, clientIp?: string) => {
      const cache = createPlaybackCache({ maxBytes: 64 << 20 });
      const r = await loadSignedPlaylist({
        video: { id: VIDEO_ID, playlistKey: MASTER_KEY, rootPrefix: ROOT_PREFIX },
        relPath: BENCH_REL_PATH,
        deps: {
          source: createS3PlaylistSource({ client, bucket: BUCKET, timeoutMs: 5000, maxBytes: 4 << 20 }),
          signingKey: key,
          clock: Date.now,
          config: { cdnBaseUrl: CDN_BASE_URL, signing: { mode, ttlSeconds: 3600, expiryMarginSeconds: 300, windowSeconds: 300, maxTtlSeconds: 604_800 }, s3: { maxPlaylistBytes: 4 << 20 }, foreignUris: 'pass', responseMaxBytes: 16 << 20 },
          playbackCache: cache,
        },
        ...(clientIp ? { clientIp } : {}),
      });
      await cache.idle();
      return r;
    };
    writeFileSync(ctx.floorFiles.wildcard, (await render('wildcard', ctx.rsa)).bytes);
    writeFileSync(ctx.floorFiles['url-rsa'], (await render('url', ctx.rsa)).bytes);
    writeFileSync(ctx.floorFiles['url-ecdsa'], (await render('url', ctx.ec)).bytes);
    writeFileSync(ctx.floorFiles['wildcard-ip'], (await render('wildcard', ctx.rsa, '127.0.0.1')).bytes);
    const wildcardBytes = (await render('wildcard', ctx.rsa)).bytes;
    writeFileSync(
      ctx.floorFiles['wildcard-br'],
      brotliCompressSync(wildcardBytes, { params: { [zc.BROTLI_PARAM_QUALITY]: 5, [zc.BROTLI_PARAM_MODE]: zc.BROTLI_MODE_TEXT, [zc.BROTLI_PARAM_SIZE_HINT]: wildcardBytes.byteLength } }),
    );

    console.log(`hlsgate bench: ${SEGMENTS}-segment two-hour VOD (720p of 4 renditions), ${flags.connections} connections, ${flags.duration} s per case (naive: ${flags.naiveDuration} s)`);
    console.log(`node ${process.version}; targets in child processes; s3rver + autocannon in this process`);
    console.log("hlsgate targets: `npm start`'s defaults (LOG_LEVEL=info, one access-log line per request to the target's stdout, here /dev/null), except:");
    for (const [what, why] of DEVIATIONS) console.log(`  ${what.padEnd(34)} ${why}`);

    if (!flags.skipMicro && !flags.soak) {
      micro(ctx);
      await rollover(ctx);
    }

    if (flags.serve) {
      const c = CASES.find((x) => x.name === flags.serve);
      if (!c) throw new Error(`no case named ${flags.serve}; cases: ${CASES.map((x) => x.name).join(', ')}`);
      const t = await startTarget(targetEnv(c, ctx));
      console.log(`${c.name} (${c.what}) listening: ${t.url}${BENCH_PATH}   (Ctrl-C or SIGTERM to stop)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await t.stop();
      return;
    }

    if (flags.soak) {
      const c = CASES.find((x) => x.name === flags.soak);
      if (!c) throw new Error(`no case named ${flags.soak}; cases: ${CASES.map((x) => x.name).join(', ')}`);
      console.log(`\nSoak: ${c.name} for 60 s`);
      const r = await runCase(c, ctx, flags, 60, true);
      printTable([r]);
      console.log(`  RSS samples (MB, every 10 s): ${(r.rssSamples ?? []).map(mb).join(', ')}`);
      console.log(`  RSS growth over the soak: ${mb(r.rssAfter - r.rssBefore)} MB (from the warm target at the start to the end)`);
      const at10 = r.rssSamples?.[1];
      if (at10 !== undefined) console.log(`  RSS growth after the first 10 s under load: ${mb(r.rssAfter - at10)} MB (the heap reaches its working size in the first seconds)`);
      return;
    }

    const wanted = flags.cases;
    if (wanted) {
      const unknown = wanted.filter((n) => !CASES.some((c) => c.name === n));
      if (unknown.length > 0) throw new Error(`unknown case ${unknown.join(', ')}; cases: ${CASES.map((x) => x.name).join(', ')}`);
    }
    // An hlsgate case brings its floor along.
    const selected = wanted
      ? CASES.filter((c) => wanted.includes(c.name) || (c.target === 'floor' && HLSGATE_CASES.some((h) => h.floor === c.floor && wanted.includes(h.name))))
      : CASES;
    const results: Measured[] = [];
    for (const c of selected) {
      const seconds = c.name === 'naive' ? flags.naiveDuration : flags.duration;
      process.stderr.write(`running ${c.name} (${seconds} s)...\n`);
      results.push(await runCase(c, ctx, flags, seconds, false));
    }
    printTable(results);
  } finally {
    client.destroy();
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
