// A benchmark target, run as a child process (so autocannon's CPU is not counted against it):
// hlsgate itself (through startServer, the service's real wiring), the naive baseline of the
// reference documents, or the static floor. Talks to bench/run.ts over IPC:
//   child → parent  { ready: true, url }
//   parent → child  { rss: true }   child → parent  { rss: <bytes> }
// Environment: BENCH_TARGET (hlsgate | naive | naive-wildcard | floor), BENCH_S3_ENDPOINT,
// BENCH_KEY_FILE, BENCH_FLOOR_FILE, and for hlsgate the service's own variables.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import { openCatalog } from '../src/adapters/catalog.js';
import { BUCKET, CDN_BASE_URL, KEY_PAIR_ID, MASTER_KEY, ROOT_PREFIX, VIDEO_ID } from './fixtures.js';

const target = process.env.BENCH_TARGET ?? 'hlsgate';
const s3Endpoint = process.env.BENCH_S3_ENDPOINT ?? '';
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

function send(msg: unknown): void {
  // Run by hand (no IPC channel): print where it listens.
  if (process.send) process.send(msg);
  else if ((msg as { url?: string }).url) process.stdout.write(`${(msg as { url: string }).url}\n`);
}

// A normal exit on SIGTERM (so that --cpu-prof, when given through BENCH_NODE_OPTIONS, is written).
process.on('SIGTERM', () => process.exit(0));

process.on('message', (msg: { rss?: boolean }) => {
  if (msg.rss) send({ rss: process.memoryUsage().rss });
});

async function listenPlain(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function main(): Promise<void> {
  if (target === 'hlsgate') {
    const loaded = loadConfig(process.env);
    if (loaded.kind !== 'aws') throw new Error('bench: expected the AWS configuration');
    const catalog = openCatalog('sqlite::memory:', { clock: Date.now });
    await catalog.upsert({ id: VIDEO_ID, playlistKey: MASTER_KEY, title: 'Bench', rootPrefix: ROOT_PREFIX });
    const server = await startServer({ config: loaded.config, catalog, credentials });
    send({ ready: true, url: server.url });
    return;
  }

  if (target === 'floor') {
    // The static floor: the same bytes from memory with plain node:http.
    const body = readFileSync(process.env.BENCH_FLOOR_FILE ?? '');
    const encoding = process.env.BENCH_FLOOR_ENCODING ? { 'Content-Encoding': process.env.BENCH_FLOOR_ENCODING, Vary: 'Accept-Encoding' } : {};
    const url = await listenPlain((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl', 'Cache-Control': 'private, no-store', 'Content-Length': body.byteLength, ...encoding });
      res.end(body);
    });
    send({ ready: true, url });
    return;
  }

  // The naive way of the reference documents: for every request, GetObject from S3 and sign with
  // @aws-sdk/cloudfront-signer's getSignedUrl (PEM string in, parsed again for every signature).
  const pem = readFileSync(process.env.BENCH_KEY_FILE ?? '', 'utf8');
  const client = new S3Client({ region: 'us-east-1', endpoint: s3Endpoint, forcePathStyle: true, credentials });
  const wildcard = target === 'naive-wildcard';
  const url = await listenPlain((req, res) => {
    void (async () => {
      try {
        const rel = decodeURIComponent((req.url ?? '').replace(/^\/videos\/[^/]+\/media\//, '').replace(/\?.*$/, ''));
        const key = ROOT_PREFIX + rel;
        const obj = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        const text = (await obj.Body?.transformToString('utf8')) ?? '';
        const base = `${CDN_BASE_URL}/${key}`;
        const dateLessThan = new Date((Math.floor(Date.now() / 1000) + 7200 + 300) * 1000).toISOString();
        let query = '';
        if (wildcard) {
          const policy = JSON.stringify({
            Statement: [{ Resource: `${CDN_BASE_URL}/${ROOT_PREFIX}*`, Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(new Date(dateLessThan).getTime() / 1000) } } }],
          });
          const signed = getSignedUrl({ url: `${CDN_BASE_URL}/${ROOT_PREFIX}x`, keyPairId: KEY_PAIR_ID, privateKey: pem, policy });
          query = signed.slice(signed.indexOf('?') + 1);
        }
        const out = text
          .split('\n')
          .map((line) => {
            if (line === '' || line.startsWith('#')) return line;
            const abs = new URL(line, base).href;
            return wildcard ? `${abs}?${query}` : getSignedUrl({ url: abs, keyPairId: KEY_PAIR_ID, privateKey: pem, dateLessThan });
          })
          .join('\n');
        res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl', 'Cache-Control': 'private, no-store' });
        res.end(out);
      } catch (err) {
        res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end(`naive: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    })();
  });
  send({ ready: true, url });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench target ${target}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
