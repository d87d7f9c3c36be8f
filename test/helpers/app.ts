// createApp for the integration tests: the config most of them share (one CDN, 300 s signatures
// with a 60 s margin and no window rounding, no trusted proxy, 1 MiB playlists), silent logging, the real clock, and an
// in-memory catalog. Each test passes only what is specific to it.
//
//   const fx = await startPlaybackFixture({ objects: { 'videos/v1/index.m3u8': '#EXTM3U\n...' }, videos: [{ id: 'v1', playlistKey: 'videos/v1/index.m3u8' }] });
//   const app = testApp({ catalog: fx.catalog, source: fx.source, signingKey, config: testConfig({ signing: { mode: 'url' } }) });
//   await fx.close(); // in afterAll
import { pino } from 'pino';
import { createApp, type AppDeps } from '../../src/http/app.js';
import { openCatalog, type Catalog, type VideoInput } from '../../src/adapters/catalog.js';
import { VARIABLES } from '../../src/config.js';
import type { HashAlgorithm } from '../../src/core/cloudfront/signer.js';
import type { PlaylistSource } from '../../src/adapters/s3-playlist-source.js';
import { startTestS3, testPlaylistSource, type TestS3 } from './s3.js';

export type TestAppConfig = AppDeps['config'];
type Signing = TestAppConfig['signing'];

export interface TestConfigOverrides extends Partial<Omit<TestAppConfig, 'signing'>> {
  /**
   * Mode defaults to wildcard, TTL to 300 s, margin to 60 s, the window to 0 (exact expiries the
   * tests can compute). The key is AppDeps.signingKey: `keyPairId`, `privateKeyPem` and `hash` are accepted
   * for the tests that name the key they sign with here too, and not used.
   */
  signing?: Partial<Signing> & { keyPairId?: string; privateKeyPem?: string; hash?: HashAlgorithm };
}

/** The app config shared by the createApp tests (the configuration's defaults where it has them), with `overrides` on top. */
export function testConfig({ signing = {}, ...rest }: TestConfigOverrides): TestAppConfig {
  const { keyPairId: _keyPairId, privateKeyPem: _privateKeyPem, hash: _hash, ...given } = signing;
  return {
    cdnBaseUrl: 'https://cdn.example.com',
    trustProxy: false,
    s3: { maxPlaylistBytes: 1 << 20 },
    viewerAuth: { mode: 'none' },
    bindIp: VARIABLES.SIGNED_URL_BIND_IP.default,
    rateLimitPerMinute: VARIABLES.RATE_LIMIT_PER_MINUTE.default,
    foreignUris: VARIABLES.FOREIGN_URIS.default,
    responseMaxBytes: VARIABLES.RESPONSE_MAX_BYTES.default,
    playerOrigins: VARIABLES.PLAYER_ORIGINS.default,
    ...rest,
    signing: { mode: 'wildcard', ttlSeconds: 300, expiryMarginSeconds: 60, windowSeconds: 0, maxTtlSeconds: VARIABLES.SIGNED_URL_MAX_TTL.default, ...given },
  };
}

/** A playlist source for apps that must never read one; every read rejects with `message`. */
export function unusedSource(message = 'unused'): PlaylistSource {
  return { get: () => Promise.reject(new Error(message)), ping: () => Promise.resolve() };
}

export type TestAppDeps = Omit<AppDeps, 'clock' | 'logger' | 'source'> & Partial<Pick<AppDeps, 'clock' | 'logger' | 'source'>>;

/** AppDeps with a silent logger, the real clock and an unused source unless given. */
export function testAppDeps({ clock = () => Date.now(), logger = pino({ level: 'silent' }), source = unusedSource(), ...rest }: TestAppDeps): AppDeps {
  return { ...rest, source, clock, logger };
}

/** createApp(testAppDeps(deps)). */
export function testApp(deps: TestAppDeps): ReturnType<typeof createApp> {
  return createApp(testAppDeps(deps));
}

/** An in-memory SQLite catalog holding `videos`. */
export async function testCatalog(videos: readonly VideoInput[] = []): Promise<Catalog> {
  const catalog = openCatalog('sqlite::memory:', { clock: Date.now });
  for (const v of videos) await catalog.upsert(v);
  return catalog;
}

export interface PlaybackFixture {
  readonly s3: TestS3;
  readonly catalog: Catalog;
  /** Reads the store (5 s timeout, 1 MiB playlists). */
  readonly source: PlaylistSource;
  /** Closes the catalog, then the store. */
  close(): Promise<void>;
}

/** A test store holding `objects`, a catalog holding `videos`, and a playlist source over the store. */
export async function startPlaybackFixture(o: { objects: Record<string, string | Uint8Array>; videos: readonly VideoInput[] }): Promise<PlaybackFixture> {
  const s3 = await startTestS3({ objects: o.objects });
  let catalog: Catalog;
  try {
    catalog = await testCatalog(o.videos);
  } catch (err) {
    await s3.stop();
    throw err;
  }
  return {
    s3,
    catalog,
    source: testPlaylistSource(s3),
    close: async () => {
      await catalog.close();
      await s3.stop();
    },
  };
}

/** The Set-Cookie headers of a response (none, one or several). */
export function setCookies(res: { headers: Record<string, unknown> }): string[] {
  const raw = res.headers['set-cookie'];
  return Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
}
