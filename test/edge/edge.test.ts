// The local edge against a real S3-compatible store (s3rver). For every request the edge's verdict
// (its log line and its 403 body) must agree with verifySignedRequest called directly, which is what
// `hlsgate verify` uses.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startLocalS3, type LocalS3 } from '../../src/local/s3-store.js';
import { startEdge, type RunningEdge } from '../../src/edge/index.js';
import { cloudFrontError, verifySignedRequest } from '../../src/edge/cf-verify.js';
import { appendQuery, customPolicyQuery, loadSigningKey, signUrl, signedCookies, type SigningKey } from '../../src/core/cloudfront/signer.js';
import { keyToCdnUrl } from '../../src/core/cdn-url.js';
import { testKeyPair } from '../helpers/keys.js';

const BUCKET = 'media';
const RSA_ID = 'KEDGERSA';
const EC_ID = 'KEDGEEC';
const NOW = 1_900_000_000;
const EXPIRES = NOW + 3600;
const ORIGIN = 'http://player.example:3000';

const SEG = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
const OBJECTS: Record<string, Buffer | string> = {
  'videos/v1/playlist.m3u8': '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nseg 1.ts\n#EXT-X-ENDLIST\n',
  'videos/v1/seg 1.ts': SEG,
  "videos/v1/it's é+1.ts": Buffer.from('special'),
  'videos/v1/init.mp4': Buffer.from('init'),
  'videos/v1/audio.aac': Buffer.from('aac'),
  'videos/v1/key.key': Buffer.alloc(16, 7),
  'videos/v1/subs.vtt': 'WEBVTT\n',
  'videos/v1/part.m4s': Buffer.from('m4s'),
  'videos/v1/notes.bin': Buffer.from('bin'),
  'videos/v2/seg.ts': Buffer.from('other video'),
};

let dir: string;
let s3: LocalS3;
let client: S3Client;
let edge: RunningEdge;
let strictEdge: RunningEdge;
const etags = new Map<string, string>();
const lines: Record<string, unknown>[] = [];
let rsa: SigningKey;
let ec: SigningKey;
let publicKeys: Map<string, KeyObject>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hlsgate-edge-'));
  s3 = await startLocalS3({ directory: dir, port: 0, buckets: [BUCKET] });
  client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: s3.credentials });
  for (const [key, body] of Object.entries(OBJECTS)) {
    const out = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    etags.set(key, out.ETag ?? '');
  }
  rsa = loadSigningKey({ keyPairId: RSA_ID, privateKeyPem: testKeyPair('rsa').privateKeyPem });
  ec = loadSigningKey({ keyPairId: EC_ID, privateKeyPem: testKeyPair('ec').privateKeyPem, hash: 'SHA256' });
  publicKeys = new Map([
    [RSA_ID, testKeyPair('rsa').publicKey],
    [EC_ID, testKeyPair('ec').publicKey],
  ]);
  edge = await startEdge({ s3: client, bucket: BUCKET, publicKeys, clock: () => NOW * 1000, log: (l) => lines.push(l as Record<string, unknown>), port: 0 });
  strictEdge = await startEdge({ s3: client, bucket: BUCKET, publicKeys, clock: () => NOW * 1000, corsOrigins: [ORIGIN] });
});

afterAll(async () => {
  await edge?.close();
  await strictEdge?.close();
  client?.destroy();
  await s3?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const url = (key: string, base = edge.url): string => keyToCdnUrl(base, key);

function cookieHeader(cookies: Record<string, string>): string {
  return Object.entries(cookies)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

async function waitForLog(count: number): Promise<Record<string, unknown>> {
  for (let i = 0; i < 200 && lines.length < count; i++) await new Promise((r) => setTimeout(r, 5));
  const line = lines[count - 1];
  if (!line) throw new Error('the edge wrote no log line');
  return line;
}

interface Got {
  status: number;
  headers: Headers;
  body: Buffer;
  verdict: unknown;
}

/**
 * Requests through the edge and checks that its verdict agrees with verifySignedRequest called
 * directly on the same URL, cookies, time and client address.
 */
async function get(target: string, init: { method?: string; cookies?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Got> {
  const before = lines.length;
  const headers: Record<string, string> = { ...init.headers };
  if (init.cookies) headers.cookie = cookieHeader(init.cookies);
  const res = await fetch(target, { method: init.method ?? 'GET', headers });
  const body = Buffer.from(await res.arrayBuffer());
  const line = await waitForLog(before + 1);
  expect(line.status).toBe(res.status);
  // Never log the query (signatures).
  expect(line.path).toBe(new URL(target).pathname);
  expect(JSON.stringify(line)).not.toMatch(/Signature=|Policy=|Expires=|Key-Pair-Id=|\?/);
  if (init.method !== 'OPTIONS' && (init.method ?? 'GET') !== 'POST') {
    const direct = verifySignedRequest({ url: new URL(target).href, cookies: init.cookies, publicKeys, now: NOW, clientIp: '127.0.0.1' });
    expect(line.verdict).toBe(direct.ok ? 'OK' : direct.reason);
    if (direct.ok) {
      expect(res.status).not.toBe(403);
    } else {
      const e = cloudFrontError(direct.reason);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toBe('text/xml');
      if (init.method !== 'HEAD') expect(body.toString()).toBe(e.xml);
    }
  }
  return { status: res.status, headers: res.headers, body, verdict: line.verdict };
}

function flipSignature(u: string): string {
  return u.replace(/([?&]Signature=)(.{10})(.)/, (_m, p: string, head: string, c: string) => `${p}${head}${c === 'A' ? 'B' : 'A'}`);
}

describe('local edge', () => {
  it('valid canned URL → 200 with content type, length, ETag, body', async () => {
    const r = await get(signUrl(url('videos/v1/seg 1.ts'), rsa, { expires: EXPIRES }));
    expect(r.status).toBe(200);
    expect(r.verdict).toBe('OK');
    expect(r.headers.get('content-type')).toBe('video/mp2t');
    expect(r.headers.get('content-length')).toBe('1000');
    expect(r.headers.get('etag')).toBe(etags.get('videos/v1/seg 1.ts'));
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect(r.body.equals(SEG)).toBe(true);
  });

  it.each([
    ['videos/v1/playlist.m3u8', 'application/vnd.apple.mpegurl'],
    ["videos/v1/it's é+1.ts", 'video/mp2t'],
    ['videos/v1/init.mp4', 'video/mp4'],
    ['videos/v1/part.m4s', 'video/mp4'],
    ['videos/v1/audio.aac', 'audio/aac'],
    ['videos/v1/key.key', 'application/octet-stream'],
    ['videos/v1/subs.vtt', 'text/vtt'],
    ['videos/v1/notes.bin', 'application/octet-stream'],
  ])('%s → %s (ECDSA, SHA256)', async (key, type) => {
    const r = await get(signUrl(url(key), ec, { expires: EXPIRES }));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(type);
    const expected = OBJECTS[key];
    expect(r.body.equals(Buffer.isBuffer(expected) ? expected : Buffer.from(expected ?? ''))).toBe(true);
  });

  it('Range → 206 with Content-Range', async () => {
    const r = await get(signUrl(url('videos/v1/seg 1.ts'), rsa, { expires: EXPIRES }), { headers: { range: 'bytes=100-199' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(r.headers.get('content-length')).toBe('100');
    expect(r.body.equals(SEG.subarray(100, 200))).toBe(true);
  });

  it('If-None-Match with the current ETag → 304', async () => {
    const signed = signUrl(url('videos/v1/seg 1.ts'), rsa, { expires: EXPIRES });
    const r = await get(signed, { headers: { 'if-none-match': etags.get('videos/v1/seg 1.ts') ?? '' } });
    expect(r.status).toBe(304);
    expect(r.body.length).toBe(0);
    expect((await get(signed, { headers: { 'if-none-match': '"stale"' } })).status).toBe(200);
  });

  it('unsatisfiable Range → 416', async () => {
    const r = await get(signUrl(url('videos/v1/seg 1.ts'), rsa, { expires: EXPIRES }), { headers: { range: 'bytes=5000-6000' } });
    expect(r.status).toBe(416);
    expect(r.headers.get('content-range')).toBe('bytes */1000');
  });

  it('HEAD → headers, no body', async () => {
    const r = await get(signUrl(url('videos/v1/seg 1.ts'), rsa, { expires: EXPIRES }), { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-length')).toBe('1000');
    expect(r.headers.get('content-type')).toBe('video/mp2t');
    expect(r.headers.get('etag')).toBe(etags.get('videos/v1/seg 1.ts'));
    expect(r.body.length).toBe(0);
  });

  it('wildcard custom policy over a prefix → 200 inside it, 403 outside', async () => {
    const query = customPolicyQuery(ec, { resource: `${edge.url}/videos/v1/*`, dateLessThan: EXPIRES });
    for (const key of ['videos/v1/seg 1.ts', 'videos/v1/playlist.m3u8']) {
      expect((await get(appendQuery(url(key), query))).status).toBe(200);
    }
    const other = await get(appendQuery(url('videos/v2/seg.ts'), query));
    expect(other.status).toBe(403);
    expect(other.verdict).toBe('ResourceMismatch');
    expect(other.body.toString()).toBe('<Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>');
  });

  it('no signature → 403 MissingKey', async () => {
    const r = await get(url('videos/v1/seg 1.ts'));
    expect(r.status).toBe(403);
    expect(r.verdict).toBe('MissingKey');
    expect(r.body.toString()).toBe('<Error><Code>MissingKey</Code><Message>Missing Key-Pair-Id query parameter or cookie value</Message></Error>');
  });

  it('expired → 403 AccessDenied', async () => {
    const r = await get(signUrl(url('videos/v1/seg 1.ts'), rsa, { expires: NOW - 1 }));
    expect(r.status).toBe(403);
    expect(r.verdict).toBe('Expired');
    expect(r.body.toString()).toContain('<Code>AccessDenied</Code>');
  });

  it('one flipped signature character → 403', async () => {
    const signed = signUrl(url('videos/v1/seg 1.ts'), rsa, { expires: EXPIRES });
    const r = await get(flipSignature(signed));
    expect(r.status).toBe(403);
    expect(r.verdict).toBe('BadSignature');
  });

  it('unknown key id → 403 InvalidKey "Unknown Key"', async () => {
    const stranger = loadSigningKey({ keyPairId: 'KSTRANGER', privateKeyPem: testKeyPair('rsa', 1).privateKeyPem });
    const r = await get(signUrl(url('videos/v1/seg 1.ts'), stranger, { expires: EXPIRES }));
    expect(r.status).toBe(403);
    expect(r.verdict).toBe('UnknownKey');
    expect(r.body.toString()).toBe('<Error><Code>InvalidKey</Code><Message>Unknown Key</Message></Error>');
  });

  it('signed cookies → 200; cookies for another prefix → 403', async () => {
    const cookies = signedCookies(ec, { resource: `${edge.url}/videos/v1/*`, dateLessThan: EXPIRES });
    const ok = await get(url('videos/v1/seg 1.ts'), { cookies });
    expect(ok.status).toBe(200);
    expect(ok.body.equals(SEG)).toBe(true);
    const other = await get(url('videos/v2/seg.ts'), { cookies });
    expect(other.status).toBe(403);
    expect(other.verdict).toBe('ResourceMismatch');
  });

  it('missing object → 404 XML', async () => {
    const r = await get(signUrl(url('videos/v1/nope.ts'), rsa, { expires: EXPIRES }));
    expect(r.status).toBe(404);
    expect(r.verdict).toBe('OK');
    expect(r.body.toString()).toContain('<Code>NoSuchKey</Code>');
  });

  it('methods other than GET, HEAD, OPTIONS → 405', async () => {
    const r = await get(signUrl(url('videos/v1/seg 1.ts'), rsa, { expires: EXPIRES }), { method: 'POST' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });

  it('CORS: preflight and actual responses, with credentials', async () => {
    const pre = await get(url('videos/v1/seg 1.ts'), {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/Range/i);
    expect(pre.headers.get('access-control-allow-methods')).toMatch(/GET/);

    const r = await get(signUrl(url('videos/v1/seg 1.ts'), rsa, { expires: EXPIRES }), { headers: { origin: ORIGIN } });
    expect(r.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(r.headers.get('access-control-allow-credentials')).toBe('true');
    expect(r.headers.get('access-control-expose-headers')).toBe('Content-Length, Content-Range, ETag');
    // Refusals carry CORS headers too, so a player can tell a 403 from a network error.
    const refused = await get(url('videos/v1/seg 1.ts'), { headers: { origin: ORIGIN } });
    expect(refused.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  it('CORS with an origin list: allowed origin echoed, others get no CORS headers', async () => {
    const signed = signUrl(url('videos/v1/seg 1.ts', strictEdge.url), rsa, { expires: EXPIRES });
    const ok = await fetch(signed, { headers: { origin: ORIGIN } });
    await ok.arrayBuffer();
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const evil = await fetch(signed, { headers: { origin: 'http://evil.example' } });
    await evil.arrayBuffer();
    expect(evil.status).toBe(200);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(signed, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' } });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('local edge with a fake store', () => {
  it('a refusal never touches the store; store failures answer 502', async () => {
    let calls = 0;
    const failing = {
      send: () => {
        calls++;
        return Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'Error' }));
      },
    } as unknown as S3Client;
    const e = await startEdge({ s3: failing, bucket: BUCKET, publicKeys, clock: () => NOW * 1000 });
    try {
      const base = url('videos/v1/seg 1.ts', e.url);
      for (const target of [base, flipSignature(signUrl(base, rsa, { expires: EXPIRES })), signUrl(base, rsa, { expires: NOW })]) {
        const r = await fetch(target);
        expect(r.status).toBe(403);
        await r.arrayBuffer();
      }
      expect(calls).toBe(0);
      const r = await fetch(signUrl(base, rsa, { expires: EXPIRES }));
      expect(r.status).toBe(502);
      const body = await r.text();
      expect(body).toContain('<Code>BadGateway</Code>');
      expect(body).not.toContain('ECONNREFUSED');
      expect(calls).toBe(1);
    } finally {
      await e.close();
    }
  });
});
