// A throwaway S3-compatible store (s3rver on loopback, objects in a temp dir) for integration tests.
//
//   const t = await startTestS3({ objects: { 'videos/v1/index.m3u8': '#EXTM3U\n...' } });
//   await t.put('videos/v2/index.m3u8', '#EXTM3U\n...');
//   const source = testPlaylistSource(t);
//   ... t.s3.endpoint, t.client, t.bucket ...
//   await t.s3.close(); /* storage down */  await t.restart(); /* back, same port and data */
//   await t.stop();     // in afterAll: closes the server and removes the temp dir
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startLocalS3, type LocalS3 } from '../../src/local/s3-store.js';
import { createS3Client, createS3PlaylistSource, type PlaylistSource } from '../../src/adapters/s3-playlist-source.js';

export interface TestS3 {
  /** The running store (replaced by restart()). */
  readonly s3: LocalS3;
  /** Path-style client with the store's credentials; keeps working across restart(). */
  readonly client: S3Client;
  readonly bucket: string;
  put(key: string, body: string | Uint8Array): Promise<void>;
  /** The temp directory holding the objects. */
  readonly dir: string;
  /** Closes the store (if running) and removes the temp dir. */
  stop(): Promise<void>;
  /** Closes the store if it is running and starts it again on the same port with the same data. */
  restart(): Promise<void>;
}

/** `objects`: stored before the store is handed over, key to body. */
export async function startTestS3(o: { bucket?: string; objects?: Record<string, string | Uint8Array> } = {}): Promise<TestS3> {
  const bucket = o.bucket ?? 'hlsgate-test';
  const dir = mkdtempSync(join(tmpdir(), 'hlsgate-s3-'));
  let s3 = await startLocalS3({ directory: dir, buckets: [bucket] });
  let running = true;
  const port = s3.port;
  const client = createS3Client(
    { bucket, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, timeoutMs: 5000, maxPlaylistBytes: 4 * 1024 * 1024 },
    s3.credentials,
  );
  // Callers may close the store through t.s3.close() directly (storage outage); track that.
  const track = (store: LocalS3): LocalS3 => ({
    ...store,
    close: async () => {
      if (!running) return;
      running = false;
      await store.close();
    },
  });
  let tracked = track(s3);
  const close = () => tracked.close();

  const t: TestS3 = {
    get s3() {
      return tracked;
    },
    client,
    bucket,
    dir,
    async put(key, body) {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentLength: bytes.byteLength }));
    },
    async restart() {
      await close();
      // The port was just released; retry briefly in case the OS has not let go of it yet.
      for (let attempt = 0; ; attempt++) {
        try {
          s3 = await startLocalS3({ directory: dir, port, buckets: [bucket] });
          break;
        } catch (err) {
          if (attempt >= 20 || (err as { code?: unknown }).code !== 'EADDRINUSE') throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      running = true;
      tracked = track(s3);
    },
    async stop() {
      await close();
      client.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const [key, body] of Object.entries(o.objects ?? {})) await t.put(key, body);
  } catch (err) {
    await t.stop();
    throw err;
  }
  return t;
}

/** A playlist source reading the test store (1 MiB playlist limit). */
export function testPlaylistSource(t: TestS3, timeoutMs = 5000): PlaylistSource {
  return createS3PlaylistSource({ client: t.client, bucket: t.bucket, timeoutMs, maxBytes: 1 << 20 });
}
