// Builds the app's dependencies from the configuration, listens, and shuts down gracefully.
// The CLI (`hlsgate serve`) and the embedded demo stack both start the service through here.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createRequestListener, type AppDeps } from './http/app.js';
import { describeConfig, type ServiceConfig } from './config.js';
import { createLogger, flushLogger } from './logger.js';
import { assertStoredVideosValid, openCatalog, type Catalog } from './adapters/catalog.js';
import { createCachingPlaylistSource } from './adapters/playlist-cache.js';
import { createS3Client, createS3PlaylistSource } from './adapters/s3-playlist-source.js';
import { createPlaybackCache } from './playback/playback-cache.js';
import { createWorkBudget, VARIANT_WORK_PER_MINUTE } from './playback/work-budget.js';

/** How long close() lets in-flight requests finish before it drops their connections. */
export const SHUTDOWN_GRACE_MS = 10_000;

export interface StartServerOptions {
  config: ServiceConfig;
  /** Defaults to a pino logger at `config.logLevel` on stdout. */
  logger?: Logger;
  /** An open catalog to use instead of opening `config.databaseUrl`; the caller keeps owning (and closes) it. */
  catalog?: Catalog;
  /** S3 credentials (e.g. the local store's); defaults to the standard AWS chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Extra readiness checks for /readyz. */
  ready?: () => Promise<void>;
  /** Current time in epoch milliseconds (tests). */
  clock?: () => number;
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:3000` (the address actually bound; port 0 picks a free one). */
  readonly url: string;
  readonly port: number;
  /**
   * Stops accepting, lets in-flight requests finish, closes the catalog (if opened here), then
   * flushes the log. Idempotent.
   */
  close(): Promise<void>;
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host;
  return `http://${shown}:${address.port}`;
}

function listen(server: Server, port: number, host: string | undefined): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ port, ...(host ? { host } : {}) }, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startServer(o: StartServerOptions): Promise<RunningServer> {
  const { config } = o;
  const logger = o.logger ?? createLogger({ level: config.logLevel });
  const ownsCatalog = o.catalog === undefined;
  const clock = o.clock ?? Date.now;
  const catalog = o.catalog ?? openCatalog(config.databaseUrl, { clock });
  try {
    await assertStoredVideosValid(catalog);
  } catch (err) {
    if (ownsCatalog) await catalog.close();
    throw err;
  }
  const client = createS3Client(config.s3, o.credentials);
  const s3Source = createS3PlaylistSource({
    client,
    bucket: config.s3.bucket,
    timeoutMs: config.s3.timeoutMs,
    maxBytes: config.s3.maxPlaylistBytes,
    onError: (info) => logger.warn({ storage: info }, `storage error ${info.code}: ${info.cause}`),
  });
  // The origin cache (revalidated, single-flight) in front of S3; compiled playlists,
  // signatures (expiries rounded up to the window) and shared responses in the playback cache.
  const { cache } = config;
  const source = createCachingPlaylistSource(s3Source, { maxBytes: cache.playlistMaxBytes, vodRevalidateMs: cache.vodRevalidateSeconds * 1000, clock });

  // The next window's signatures and responses are prepared shortly before each rollover
  // (playback-cache.ts), checked a few times per lead (half a window, at most 30 s).
  const windowMs = Math.floor(config.signing.windowSeconds) * 1000;
  const playbackCache =
    cache.renderMaxBytes > 0
      ? createPlaybackCache({ maxBytes: cache.renderMaxBytes, ...(windowMs > 1000 ? { prepare: { clock, intervalMs: Math.max(100, Math.min(1000, Math.floor(windowMs / 8))) } } : {}) })
      : undefined;
  const deps: AppDeps = {
    catalog,
    source,
    // Parsed once, by loadConfig (or the embedded stack), never again here.
    signingKey: config.signing.key,
    clock,
    logger,
    config,
    ...(playbackCache ? { playbackCache } : {}),
    variantBudget: createWorkBudget({ perMinute: VARIANT_WORK_PER_MINUTE, clock }),
    ...(o.ready ? { ready: o.ready } : {}),
  };
  // Playlist requests never enter Express (http/app.ts, http/playlists.ts).
  const server = createServer(createRequestListener(deps));
  // Keep-alive sockets outliving the load balancer's idle timeout cause spurious 502s there.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  let address: AddressInfo;
  try {
    address = await listen(server, config.port, config.host);
  } catch (err) {
    playbackCache?.close();
    client.destroy();
    if (ownsCatalog) await catalog.close();
    throw err;
  }
  const url = urlOf(address);
  logger.info({ url, config: describeConfig(config) }, `hlsgate listening on ${url}`);

  let closing: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    logger.info('shutting down: no new connections, finishing in-flight requests');
    const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    server.closeIdleConnections();
    const force = setTimeout(() => {
      logger.warn(`requests still running after ${SHUTDOWN_GRACE_MS} ms; closing their connections`);
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    try {
      await closed;
    } finally {
      clearTimeout(force);
      playbackCache?.close();
      client.destroy();
      if (ownsCatalog) await catalog.close();
    }
    logger.info('stopped');
    // The access log is buffered (logger.ts): every line of every answered request is written
    // before close() resolves (and so before installSignalHandlers exits).
    await flushLogger(logger);
  }

  return {
    url,
    port: address.port,
    close: () => (closing ??= shutdown()),
  };
}

/**
 * Closes gracefully on SIGTERM/SIGINT (exit 0, or 1 if closing fails); a second signal exits at
 * once. Returns a function that removes the handlers.
 */
export function installSignalHandlers(close: () => Promise<void>, logger?: Pick<Logger, 'info' | 'error'>): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    logger?.info(`${signal} received, shutting down`);
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        if (logger) logger.error({ err }, 'shutdown failed');
        else process.stderr.write(`hlsgate: shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
