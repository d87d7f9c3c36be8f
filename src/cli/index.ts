#!/usr/bin/env node
// The `hlsgate` command. One result per line on stdout, diagnostics on stderr, non-zero exit on
// failure. `main` takes its I/O as arguments so tests run it in-process.
//
// One module per command (./sign.ts, ...); adding a command is its module plus one line in
// COMMANDS (its place there is its place in the usage text).
import { pathToFileURL } from 'node:url';
import { SignerError } from '../core/cloudfront/signer.js';
import { PlaylistError } from '../core/hls/manifest.js';
import { CatalogInputError } from '../adapters/catalog.js';
import { UsageError } from './args.js';
import type { CliIO, Command } from './command.js';
import { aws } from './aws.js';
import { doctor } from './doctor.js';
import { importCommand } from './import.js';
import { edge } from './edge.js';
import { keygen } from './keygen.js';
import { rewrite } from './rewrite.js';
import { serve } from './serve.js';
import { sign } from './sign.js';
import { token } from './token.js';
import { verify } from './verify.js';
import { videos } from './videos.js';

export type { CliIO } from './command.js';

const COMMANDS: Readonly<Record<string, Command>> = {
  sign,
  rewrite,
  verify,
  keygen,
  serve,
  edge,
  videos,
  token,
  aws,
  doctor,
  import: importCommand,
};

const USAGE = `usage: hlsgate <command> [options]

${Object.values(COMMANDS)
  .map((c) => c.usage)
  .join('\n')}

<time>: epoch seconds, ISO-8601 (2026-12-31T23:59:59Z) or +duration (+90s, +15m, +2h, +7d).
Keys default to CLOUDFRONT_KEY_PAIR_ID, CLOUDFRONT_PRIVATE_KEY_FILE / CLOUDFRONT_PRIVATE_KEY,
CLOUDFRONT_HASH_ALGORITHM; the catalog to the service's (DATABASE_URL, else sqlite:./data/hlsgate.db,
or sqlite:<DATA_DIR>/hlsgate.db for the embedded demo).`;

function commandNamed(name: string | undefined): Command | undefined {
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [command, ...args] = argv;
  try {
    const found = commandNamed(command);
    if (found) return await found.run(args, io);
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command "${command}"\n${USAGE}`);
  } catch (err) {
    if (err instanceof UsageError || err instanceof SignerError || err instanceof PlaylistError || err instanceof CatalogInputError) {
      io.stderr(`hlsgate ${command ?? ''}: ${err.message}`);
      return 2;
    }
    if (err instanceof Error && (err.name === 'ConfigError' || /^--/.test(err.message))) {
      io.stderr(`hlsgate ${command ?? ''}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolveText, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolveText(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
const viaBin = process.argv[1] !== undefined && /[\\/]hlsgate(\.js)?$/.test(process.argv[1]);
if (invokedDirectly || viaBin) {
  main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(`${t}\n`),
    stderr: (t) => process.stderr.write(`${t}\n`),
    env: process.env,
    readStdin: () => readAll(process.stdin),
    now: () => Date.now(),
  }).then(
    (code) => {
      // Servers (serve, edge) keep running; everything else exits with its code.
      if (!commandNamed(process.argv[2])?.keepsRunning || code !== 0) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`hlsgate: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
