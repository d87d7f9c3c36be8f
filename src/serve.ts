// `hlsgate serve` / `npm start`: the production service when AWS is configured, the embedded demo
// stack otherwise. A configuration problem stops startup with one line naming the variable.
import { loadConfig, ConfigError } from './config.js';
import { installSignalHandlers, startServer } from './server.js';

export async function serveFromEnv(env: Record<string, string | undefined>): Promise<void> {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`hlsgate: configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  if (loaded.kind === 'aws') {
    const server = await startServer({ config: loaded.config });
    process.stdout.write(`hlsgate listening on ${server.url}\n`);
    installSignalHandlers(() => server.close());
    return;
  }
  const { startEmbedded } = await import('./local/embedded.js');
  const stack = await startEmbedded(loaded);
  installSignalHandlers(() => stack.close());
}
