// A folder uploaded under a key prefix: every file (dotfiles left out) with its Content-Type, in
// parallel through @aws-sdk/lib-storage (multipart above the part size), skipping objects already
// there with the same size and checksum (S3's ETag: the MD5, or for a multipart object the MD5 of
// the parts' MD5s), retrying failed files.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { contentTypeFor } from '../local/seed.js';
import { awsCall } from './errors.js';

export const PART_SIZE = 8 * 1024 * 1024;

export interface LocalFile {
  path: string;
  /** Path relative to the folder, `/`-separated. */
  rel: string;
  size: number;
}

export async function listFolder(dir: string): Promise<LocalFile[]> {
  const out: LocalFile[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const full = join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) out.push({ path: full, rel: relative(dir, full).split(sep).join('/'), size: (await stat(full)).size });
    }
  };
  await walk(dir);
  return out.sort((a, b) => a.rel.localeCompare(b.rel));
}

/** The ETag S3 gives this content when uploaded in parts of `partSize` (single part: its MD5). */
export async function expectedEtag(path: string, size: number, partSize = PART_SIZE): Promise<string> {
  if (size <= partSize) return createHash('md5').update(await readFile(path)).digest('hex');
  const parts: Buffer[] = [];
  let current = createHash('md5');
  let inPart = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(partSize - inPart, chunk.length - offset);
      current.update(chunk.subarray(offset, offset + take));
      inPart += take;
      offset += take;
      if (inPart === partSize) {
        parts.push(current.digest());
        current = createHash('md5');
        inPart = 0;
      }
    }
  }
  if (inPart > 0) parts.push(current.digest());
  return `${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-${parts.length}`;
}

async function existing(s3: S3Client, bucket: string, prefix: string): Promise<Map<string, { size: number; etag: string }>> {
  const found = new Map<string, { size: number; etag: string }>();
  let token: string | undefined;
  do {
    const page = await awsCall('s3:ListObjectsV2', `s3://${bucket}/${prefix}`, () => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })));
    for (const o of page.Contents ?? []) if (o.Key) found.set(o.Key, { size: o.Size ?? -1, etag: (o.ETag ?? '').replace(/"/g, '').toLowerCase() });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

export interface UploadProgress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

export interface UploadOptions {
  s3: S3Client;
  bucket: string;
  prefix: string;
  files: LocalFile[];
  /** Files in flight at once. */
  concurrency?: number;
  attempts?: number;
  onProgress?: (p: UploadProgress) => void;
  /** Waits between attempts (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
}

export interface UploadResult {
  uploaded: string[];
  skipped: string[];
  bytes: number;
}

export async function uploadFolder(o: UploadOptions): Promise<UploadResult> {
  const have = await existing(o.s3, o.bucket, o.prefix);
  const result: UploadResult = { uploaded: [], skipped: [], bytes: 0 };
  const total = o.files.reduce((n, f) => n + f.size, 0);
  const progress: UploadProgress = { bytesDone: 0, bytesTotal: total, filesDone: 0, filesTotal: o.files.length };
  const inFlight = new Map<string, number>();
  const report = (): void => o.onProgress?.({ ...progress, bytesDone: progress.bytesDone + [...inFlight.values()].reduce((a, b) => a + b, 0) });
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempts = o.attempts ?? 3;

  const one = async (f: LocalFile): Promise<void> => {
    const key = o.prefix + f.rel;
    const there = have.get(key);
    if (there && there.size === f.size && there.etag === (await expectedEtag(f.path, f.size))) {
      result.skipped.push(key);
    } else {
      for (let attempt = 1; ; attempt++) {
        try {
          const upload = new Upload({
            client: o.s3,
            partSize: PART_SIZE,
            queueSize: 2,
            leavePartsOnError: false,
            params: { Bucket: o.bucket, Key: key, Body: createReadStream(f.path), ContentType: contentTypeFor(f.rel), ContentLength: f.size },
          });
          upload.on('httpUploadProgress', (p) => {
            inFlight.set(key, p.loaded ?? 0);
            report();
          });
          await awsCall('s3:PutObject', `s3://${o.bucket}/${key}`, () => upload.done());
          break;
        } catch (err) {
          inFlight.delete(key);
          if (attempt >= attempts) throw err;
          await sleep(250 * 2 ** attempt);
        }
      }
      result.uploaded.push(key);
      result.bytes += f.size;
    }
    inFlight.delete(key);
    progress.bytesDone += f.size;
    progress.filesDone++;
    report();
  };

  const queue = [...o.files];
  const workers = Array.from({ length: Math.max(1, Math.min(o.concurrency ?? 4, queue.length)) }, async () => {
    for (let f = queue.shift(); f; f = queue.shift()) await one(f);
  });
  await Promise.all(workers);
  result.uploaded.sort();
  result.skipped.sort();
  return result;
}
