// The configuration's types: what loadConfig returns for the service (AWS mode) and for the embedded
// demo stack. Every field with a default is filled; optional fields are those without one.
import type { SigningKey, HashAlgorithm } from '../core/cloudfront/signer.js';
import type { ViewerAuthConfig } from '../adapters/viewer-tokens.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** wildcard / url: signed URLs in the playlists; cookies: CloudFront signed cookies and plain URLs. */
export type SigningMode = 'wildcard' | 'url' | 'cookies';

export interface CacheConfig {
  /** PLAYLIST_CACHE_MAX_BYTES: the origin cache of playlists read from S3 (0 = off). */
  playlistMaxBytes: number;
  /** RENDER_CACHE_MAX_BYTES: compiled playlists, signatures and rendered responses (0 = off). */
  renderMaxBytes: number;
  /** VOD_REVALIDATE_SECONDS */
  vodRevalidateSeconds: number;
}

export interface ServiceConfig {
  port: number;
  host: string;
  s3: { bucket: string; region: string; endpoint?: string; forcePathStyle: boolean; timeoutMs: number; maxPlaylistBytes: number };
  /** Normalized: http(s), no trailing slash; maps to the bucket root. */
  cdnBaseUrl: string;
  signing: {
    /** The parsed, validated key (key pair id and hash included); parsed once, by loadConfig. */
    key: SigningKey;
    mode: SigningMode;
    ttlSeconds: number;
    expiryMarginSeconds: number;
    /** Expiries are rounded up to a multiple of this (SIGNATURE_WINDOW_SECONDS; 0 or 1: not rounded). */
    windowSeconds: number;
    /** SIGNED_URL_MAX_TTL: no signature lives longer, whatever a VOD's duration claims. */
    maxTtlSeconds: number;
  };
  /** FOREIGN_URIS: URIs on other hosts pass through unsigned, or refuse the playlist. */
  foreignUris: 'pass' | 'refuse';
  /** RESPONSE_MAX_BYTES: bound on a rewritten playlist. */
  responseMaxBytes: number;
  /** PLAYER_ORIGINS: origins besides the CDN the page's CSP lets the player fetch from. */
  playerOrigins: string[];
  /** In-memory caches: origin (playlist bytes) and playback (compiled, signatures, responses). */
  cache: CacheConfig;
  databaseUrl: string;
  /** DATABASE_POOL_MAX: PostgreSQL connections per instance. */
  databasePoolMax: number;
  /** REDIS_URL: shared rate limits; absent = per process. */
  redisUrl?: string;
  /** METRICS_PORT: Prometheus listener; absent = off. */
  metricsPort?: number;
  adminToken?: string;
  logLevel: LogLevel;
  /** Express 'trust proxy' value (addresses, CIDRs, loopback/linklocal/uniquelocal), or false. */
  trustProxy: string | false;
  /** Who may watch (VIEWER_AUTH...); `none` = anyone. */
  viewerAuth: ViewerAuthConfig;
  /** SIGNING_MODE=cookies: the CloudFront cookies' Domain (CDN_COOKIE_DOMAIN); absent = the app's host only. */
  cdnCookieDomain?: string;
  /** SIGNED_URL_BIND_IP: signatures only work from the viewer's address. */
  bindIp: boolean;
  /** RATE_LIMIT_PER_MINUTE: playlist requests per client and minute (0 = unlimited). */
  rateLimitPerMinute: number;
}

/**
 * What the embedded demo stack takes from the environment: every service setting it does not decide
 * itself (its bucket, local S3 endpoint, development key and edge URL it does), and its own ports
 * and data directory.
 */
export interface EmbeddedConfig {
  port: number;
  host: string;
  /** `sqlite:<dataDir>/hlsgate.db` unless DATABASE_URL is set. */
  databaseUrl: string;
  databasePoolMax: number;
  redisUrl?: string;
  metricsPort?: number;
  adminToken?: string;
  logLevel: LogLevel;
  trustProxy: string | false;
  /** Digest of the development key's signatures. */
  hash: HashAlgorithm;
  signingMode: SigningMode;
  ttlSeconds: number;
  expiryMarginSeconds: number;
  windowSeconds: number;
  maxTtlSeconds: number;
  foreignUris: 'pass' | 'refuse';
  responseMaxBytes: number;
  playerOrigins: string[];
  s3TimeoutMs: number;
  maxPlaylistBytes: number;
  cache: CacheConfig;
  viewerAuth: ViewerAuthConfig;
  bindIp: boolean;
  rateLimitPerMinute: number;
  /** Local state: `<dataDir>/s3`, `<dataDir>/dev-keys`, the catalog. */
  dataDir: string;
  /** The local edge's port (0 = any free port). */
  edgePort: number;
  /** The local S3-compatible store's port (0 = any free port). */
  s3Port: number;
}

export type LoadedConfig = { kind: 'aws'; config: ServiceConfig } | ({ kind: 'embedded' } & EmbeddedConfig);
