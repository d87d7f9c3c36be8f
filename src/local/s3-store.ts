// An S3-compatible store on loopback (s3rver), for the embedded demo stack and the tests.
// Never part of the production path.
import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';

export interface LocalS3 {
  /** e.g. http://127.0.0.1:4569 — pass as S3_ENDPOINT with path-style addressing. */
  readonly endpoint: string;
  readonly port: number;
  /** Credentials s3rver accepts (it checks the signature against this fixed pair). */
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  close(): Promise<void>;
}

export interface LocalS3Options {
  /** Where objects live on disk. */
  directory: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Buckets created at start (existing ones are kept). */
  buckets?: string[];
}

export async function startLocalS3(o: LocalS3Options): Promise<LocalS3> {
  mkdirSync(o.directory, { recursive: true });
  const host = o.host ?? '127.0.0.1';
  const server = new S3rver({
    port: o.port ?? 0,
    address: host,
    directory: o.directory,
    silent: true,
    configureBuckets: (o.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  const info = await server.run();
  return {
    endpoint: `http://${host}:${info.port}`,
    port: info.port,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    close: () => server.close(),
  };
}
