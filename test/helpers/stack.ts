// The embedded local stack (s3rver + samples, dev key pair, edge, service) on random loopback
// ports in a temporary data directory, for tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded, type EmbeddedOptions, type EmbeddedStack } from '../../src/local/embedded.js';

export interface TestStack extends EmbeddedStack {
  /** Startup lines startEmbedded printed. */
  readonly logLines: string[];
  /** The edge's structured per-request log lines. */
  readonly edgeLines: Record<string, unknown>[];
  /** Closes the stack and removes its data directory. */
  close(): Promise<void>;
}

export async function startTestStack(overrides: Partial<EmbeddedOptions> = {}): Promise<TestStack> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'hlsgate-e2e-'));
  const ownsDir = overrides.dataDir === undefined;
  const logLines: string[] = [];
  const edgeLines: Record<string, unknown>[] = [];
  let stack: EmbeddedStack;
  try {
    stack = await startEmbedded({
      port: 0,
      edgePort: 0,
      s3Port: 0,
      logLevel: 'silent',
      log: (line) => logLines.push(line),
      edgeLog: (line) => edgeLines.push(line as Record<string, unknown>),
      ...overrides,
      dataDir,
    });
  } catch (err) {
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...stack,
    logLines,
    edgeLines,
    close: async () => {
      try {
        await stack.close();
      } finally {
        if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
