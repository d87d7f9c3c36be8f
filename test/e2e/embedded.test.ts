// The embedded local stack's own promises: the development key pair is made once and reused,
// seeding is idempotent, and a part that cannot start is named with its port.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SAMPLES_DIR, LOCAL_BUCKET, startEmbedded } from '../../src/local/embedded.js';
import { startLocalS3, type LocalS3 } from '../../src/local/s3-store.js';
import { uploadSamples } from '../../src/local/seed.js';
import { startTestStack } from '../helpers/stack.js';

function occupyPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr ? addr.port : 0 });
    });
  });
}

describe('uploadSamples', () => {
  let dir: string;
  let s3: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hlsgate-seed-'));
    s3 = await startLocalS3({ directory: dir, buckets: [LOCAL_BUCKET] });
    client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: s3.credentials });
  });

  afterAll(async () => {
    client?.destroy();
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads every sample file with its content type, skips README.md, and skips unchanged objects next time', async () => {
    const first = await uploadSamples(client, LOCAL_BUCKET, DEFAULT_SAMPLES_DIR, 'media/');
    expect(first.uploaded).toContain('media/demo/master.m3u8');
    expect(first.uploaded).toContain('media/demo/keys/360p.key');
    expect(first.uploaded).toContain('media/demo-fmp4/v0/init.mp4');
    expect(first.uploaded.some((k) => /readme/i.test(k))).toBe(false);
    expect(first.skipped).toEqual([]);

    const head = async (key: string) => client.send(new HeadObjectCommand({ Bucket: LOCAL_BUCKET, Key: key }));
    expect((await head('media/demo/master.m3u8')).ContentType).toBe('application/vnd.apple.mpegurl');
    expect((await head('media/demo/360p/seg_000.ts')).ContentType).toBe('video/mp2t');
    expect((await head('media/demo-fmp4/v0/init.mp4')).ContentType).toBe('video/mp4');
    const key = await client.send(new GetObjectCommand({ Bucket: LOCAL_BUCKET, Key: 'media/demo/keys/360p.key' }));
    expect(Buffer.from(await key.Body!.transformToByteArray())).toEqual(readFileSync(join(DEFAULT_SAMPLES_DIR, 'demo/keys/360p.key')));

    const second = await uploadSamples(client, LOCAL_BUCKET, DEFAULT_SAMPLES_DIR, 'media/');
    expect(second.uploaded).toEqual([]);
    expect(second.skipped.sort()).toEqual([...first.uploaded].sort());
  });
});

describe('startEmbedded', () => {
  it('without the sample videos (e.g. in the Docker image), says so and names the AWS variables, before starting anything', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'hlsgate-nosamples-'));
    try {
      await expect(startEmbedded({ samplesDir: empty, dataDir: join(empty, 'data'), port: 0, log: () => undefined })).rejects.toThrow(
        /sample videos are missing .*S3_BUCKET, CDN_BASE_URL, CLOUDFRONT_KEY_PAIR_ID/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('creates the development key pair once and reuses it on the next start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hlsgate-embedded-'));
    try {
      const a = await startTestStack({ dataDir });
      const firstId = a.keyPairId;
      const firstPem = a.publicKeyPem;
      expect(a.logLines.some((l) => l.includes('generated a development key pair'))).toBe(true);
      await a.close();
      await a.close(); // idempotent

      const keyDir = join(dataDir, 'dev-keys');
      expect(statSync(join(keyDir, 'private_key.pem')).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(keyDir, 'public_key.pem'), 'utf8')).toBe(firstPem);
      expect(readFileSync(join(keyDir, 'key_pair_id'), 'utf8').trim()).toBe(firstId);

      const b = await startTestStack({ dataDir });
      try {
        expect(b.keyPairId).toBe(firstId);
        expect(b.publicKeyPem).toBe(firstPem);
        expect(b.logLines.some((l) => l.includes('generated a development key pair'))).toBe(false);
        // The catalog from the first run is still there and the demo still resolves.
        const res = await fetch(`${b.appUrl}/videos/demo/playlist.m3u8`);
        expect(res.status).toBe(200);
        expect(await res.text()).toContain('/videos/demo/media/360p/index.m3u8');
      } finally {
        await b.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it.each([
    ['port', 'hlsgate service'],
    ['edgePort', 'local edge'],
    ['s3Port', 'local S3 store'],
  ] as const)('names the part and the port when %s is taken', async (option, part) => {
    const { server, port } = await occupyPort();
    try {
      const err = await startTestStack({ [option]: port }).then(
        async (s) => {
          await s.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toContain(part);
      expect((err as Error).message).toContain(`:${port}`);
      expect((err as Error).message).toContain('address already in use');
    } finally {
      server.close();
    }
  }, 60_000);
});
