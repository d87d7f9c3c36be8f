#!/usr/bin/env node
// The `hlsgate` command runs the compiled CLI (built on `npm ci` by the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('hlsgate: dist/cli.js is missing; run `npm ci` (or `npm run build`) first\n');
  process.exit(1);
}
await import(cli.href);
