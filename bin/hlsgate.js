#!/usr/bin/env node
// The `hlsgate` command runs the compiled CLI (built on `npm ci` by the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// hlsgate targets Node 20 on purpose; the SDK's multi-line notice about Node 22 would drown the
// one-line diagnostics the CLI prints on stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const cli = new URL('../dist/cli/index.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('hlsgate: dist/cli/index.js is missing; run `npm ci` (or `npm run build`) first\n');
  process.exit(1);
}
await import(cli.href);
