// `hlsgate serve`: the service (the embedded demo stack when no AWS variables are set), configured
// by environment variables only.
import { UsageError } from './args.js';
import type { Command } from './command.js';

export const serve: Command = {
  usage: '  serve                       run the service (embedded demo stack when no AWS variables are set)',
  keepsRunning: true,
  async run(args, io) {
    if (args.length) throw new UsageError('serve takes no arguments; configure it with environment variables (see .env.example)');
    const { serveFromEnv } = await import('../serve.js');
    await serveFromEnv(io.env);
    return 0;
  },
};
