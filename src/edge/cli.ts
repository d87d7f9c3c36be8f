// `hlsgate edge`: runs the local edge in front of an S3 bucket until SIGINT/SIGTERM.
import type { KeyObject } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { startEdge, type RunningEdge } from './edge.js';

export interface EdgeCliOptions {
  port: number;
  host: string;
  bucket: string;
  publicKeys: ReadonlyMap<string, KeyObject>;
  /** S3-compatible endpoint (path-style addressing); the AWS default when absent. */
  endpoint?: string;
  region: string;
  /** Credentials; the standard AWS chain when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  stdout: (text: string) => void;
}

/** Starts the edge, prints its URL, logs one JSON line per request, and stops on SIGINT/SIGTERM. */
export async function runEdgeFromCli(o: EdgeCliOptions): Promise<RunningEdge> {
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error(`--port: "${o.port}" is not a port number`);
  const s3 = new S3Client({
    region: o.region,
    ...(o.endpoint ? { endpoint: o.endpoint, forcePathStyle: true } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
  });
  const edge = await startEdge({
    s3,
    bucket: o.bucket,
    publicKeys: o.publicKeys,
    port: o.port,
    host: o.host,
    log: (line) => o.stdout(JSON.stringify(line)),
  });
  o.stdout(`edge listening on ${edge.url} (bucket ${o.bucket}, trusted keys: ${[...o.publicKeys.keys()].join(', ')})`);
  const stop = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    edge.close().then(
      () => s3.destroy(),
      () => s3.destroy(),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return edge;
}
