// Seeds an S3-compatible store with the committed sample media (samples/<name>/...). Used by the
// embedded demo stack and the tests; never part of the production path.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m3u': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.m4v': 'video/mp4',
  '.aac': 'audio/aac',
  '.mp3': 'audio/mpeg',
  '.vtt': 'text/vtt',
  '.webvtt': 'text/vtt',
  '.key': 'application/octet-stream',
  '.json': 'application/json',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
};

/** The Content-Type stored with a sample object, from its file extension. */
export function contentTypeFor(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export interface SeedResult {
  /** Object keys written. */
  uploaded: string[];
  /** Object keys already present with the same size and MD5 ETag. */
  skipped: string[];
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

async function existingObjects(client: S3Client, bucket: string, prefix: string): Promise<Map<string, { size: number; etag: string }>> {
  const found = new Map<string, { size: number; etag: string }>();
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      if (o.Key !== undefined) found.set(o.Key, { size: o.Size ?? -1, etag: (o.ETag ?? '').replace(/"/g, '').toLowerCase() });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

/**
 * Uploads every file under `samplesDir/<name>/` to `<prefix><name>/...` with a content type,
 * skipping top-level files (README.md) and objects that already hold the same bytes (same size
 * and MD5 ETag), so a second run only lists the bucket.
 */
export async function uploadSamples(client: S3Client, bucket: string, samplesDir: string, prefix = ''): Promise<SeedResult> {
  const result: SeedResult = { uploaded: [], skipped: [] };
  const names = (await readdir(samplesDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  const files: { path: string; key: string }[] = [];
  for (const name of names.sort()) {
    for (const path of await walk(join(samplesDir, name))) {
      if (/^readme(\.md)?$/i.test(path.slice(path.lastIndexOf(sep) + 1))) continue;
      files.push({ path, key: prefix + relative(samplesDir, path).split(sep).join('/') });
    }
  }
  const existing = await existingObjects(client, bucket, prefix);
  await Promise.all(
    files.map(async ({ path, key }) => {
      const body = await readFile(path);
      const have = existing.get(key);
      if (have && have.size === body.length && have.etag === createHash('md5').update(body).digest('hex')) {
        result.skipped.push(key);
        return;
      }
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentTypeFor(path), ContentLength: body.length }));
      result.uploaded.push(key);
    }),
  );
  result.uploaded.sort();
  result.skipped.sort();
  return result;
}
