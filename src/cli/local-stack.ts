// Finds a running embedded demo (`npm start` without AWS variables) through DATA_DIR: the stack
// writes <DATA_DIR>/embedded-stack.json at start and removes it at close (src/local/embedded.ts).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VARIABLES } from '../config.js';
import { STACK_FILE } from '../local/embedded.js';

export interface RunningDemo {
  pid: number;
  appUrl: string;
  edgeUrl: string;
  s3Endpoint: string;
  bucket: string;
  region: string;
  keyPairId: string;
  databaseUrl: string;
  dataDir: string;
  /** s3rver's fixed pair. */
  credentials: { accessKeyId: string; secretAccessKey: string };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The demo running on this DATA_DIR; throws a one-line Error saying how to start it when none is. */
export function findRunningDemo(env: Record<string, string | undefined>): RunningDemo {
  const dataDir = resolve(env.DATA_DIR || VARIABLES.DATA_DIR.default);
  const file = join(dataDir, STACK_FILE);
  let parsed: Partial<RunningDemo>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunningDemo>;
  } catch {
    throw new Error(`no AWS variables set and no embedded demo running on DATA_DIR=${dataDir} (${file} is missing): start it with npm start, or set the service's AWS variables`);
  }
  const { pid, appUrl, edgeUrl, s3Endpoint, bucket, keyPairId, databaseUrl } = parsed;
  if (typeof pid !== 'number' || !appUrl || !edgeUrl || !s3Endpoint || !bucket || !keyPairId || !databaseUrl) throw new Error(`${file} is not what the embedded demo writes; restart it (npm start)`);
  if (!alive(pid)) throw new Error(`the embedded demo that wrote ${file} (pid ${pid}) is no longer running: start it with npm start`);
  return { pid, appUrl, edgeUrl, s3Endpoint, bucket, region: parsed.region ?? 'us-east-1', keyPairId, databaseUrl, dataDir, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
}
