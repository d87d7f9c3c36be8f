// What the HTTP layer needs from the rest of the service, built by server.ts (or by tests and
// hosts embedding hlsgate) and passed to createApp / createRequestListener.
import type { Logger } from 'pino';
import type { Catalog } from '../adapters/catalog.js';
import type { PlaylistSource } from '../adapters/s3-playlist-source.js';
import type { ServiceConfig } from '../config.js';
import type { SigningKey } from '../core/cloudfront/signer.js';
import type { PlaybackCache } from '../playback/playback-cache.js';
import type { WorkBudget } from '../playback/work-budget.js';
import type { FailureThrottle } from './rate-limit.js';
import type { Authorize } from './viewer.js';

export interface AppDeps {
  catalog: Catalog;
  source: PlaylistSource;
  signingKey: SigningKey;
  /** Current time, epoch milliseconds (injected so tests control signature expiry). */
  clock: () => number;
  logger: Logger;
  config: Pick<
    ServiceConfig,
    'cdnBaseUrl' | 'adminToken' | 'trustProxy' | 'viewerAuth' | 'cdnCookieDomain' | 'bindIp' | 'rateLimitPerMinute' | 'foreignUris' | 'responseMaxBytes' | 'playerOrigins'
  > & {
    /** The key itself is `signingKey`. */
    signing: Omit<ServiceConfig['signing'], 'key'>;
    s3: { maxPlaylistBytes: number };
  };
  /**
   * Who may watch (the player page and every playlist). Absent: the built-in implementation chosen
   * by `config.viewerAuth` (`jwt`), or anyone (`none`). Hosts embedding hlsgate pass their own.
   */
  authorize?: Authorize;
  /** Extra readiness checks (e.g. the embedded stack's local edge); rejects when not ready. */
  ready?: () => Promise<void>;
  /** Compiled playlists, signatures and shared responses; absent: all done per request. */
  playbackCache?: PlaybackCache;
  /** Failed admin authentications per client, for every admin sign-in; absent: per process (ADMIN_AUTH_THROTTLE). */
  adminThrottle?: FailureThrottle;
  /** Caps the uncached work of EXT-X-DEFINE:QUERYPARAM variants; absent: no cap. */
  variantBudget?: WorkBudget;
}
