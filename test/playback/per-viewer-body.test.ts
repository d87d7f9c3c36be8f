// IP-bound wildcard playlists built from the shared layout (load-signed-playlist.ts perViewerBody):
// the bytes are exactly what rendering the playlist for that viewer gives (RSA PKCS#1 v1.5
// signatures are deterministic, so the uncached render is the reference), the signatures verify
// with the public key and carry the viewer's address, and RESPONSE_MAX_BYTES still refuses.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SourceError, type PlaylistSource } from '../../src/adapters/s3-playlist-source.js';
import { loadSigningKey } from '../../src/core/cloudfront/signer.js';
import { loadSignedPlaylist, type PlaybackDeps } from '../../src/playback/load-signed-playlist.js';
import { createPlaybackCache } from '../../src/playback/playback-cache.js';
import { HttpError } from '../../src/errors.js';
import { verifiedUrlPolicy } from '../helpers/cloudfront.js';
import { rsaKeyPair } from '../helpers/keys.js';

const VIDEO = { id: 'v1', playlistKey: 'videos/v1/master.m3u8', rootPrefix: 'videos/v1/' };
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);

const MASTER = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000000\n720p/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=500000\n360p/index.m3u8\n';
const MEDIA = [
  '#EXTM3U',
  '#EXT-X-TARGETDURATION:6',
  '#EXT-X-PLAYLIST-TYPE:VOD',
  '#EXT-X-KEY:METHOD=AES-128,URI="key.bin"',
  '#EXT-X-MAP:URI="init.mp4"',
  '#EXTINF:6.0,é title',
  'seg_0.ts',
  '#EXTINF:6.0,',
  'seg_1.ts?part=1',
  '#EXTINF:6.0,',
  'seg_2.ts#frag',
  '#EXT-X-ENDLIST',
  '',
].join('\n');

function source(objects: Record<string, string>): PlaylistSource {
  return {
    get(key) {
      const text = objects[key];
      if (text === undefined) return Promise.reject(new SourceError('NotFound', key, 'not found'));
      const body = Buffer.from(text, 'utf8');
      return Promise.resolve({ key, body, etag: `"${createHash('md5').update(body).digest('hex')}"` });
    },
    ping: () => Promise.resolve(),
  };
}

function deps(o: { cached: boolean; responseMaxBytes?: number }): PlaybackDeps {
  const pair = rsaKeyPair();
  return {
    source: source({ [VIDEO.playlistKey]: MASTER, 'videos/v1/720p/index.m3u8': MEDIA }),
    signingKey: loadSigningKey({ keyPairId: 'KTEST', privateKeyPem: pair.privateKeyPem }),
    clock: () => NOW,
    config: {
      cdnBaseUrl: 'https://cdn.example',
      signing: { mode: 'wildcard', ttlSeconds: 3600, expiryMarginSeconds: 300, windowSeconds: 300, maxTtlSeconds: 604_800 },
      s3: { maxPlaylistBytes: 1 << 20 },
      foreignUris: 'pass',
      responseMaxBytes: o.responseMaxBytes ?? 1 << 20,
    },
    ...(o.cached ? { playbackCache: createPlaybackCache({ maxBytes: 16 << 20 }) } : {}),
  };
}

describe('IP-bound wildcard bodies from the shared layout', () => {
  it('when served to several addresses, then each body is byte for byte the render for that address, and its signatures carry it', async () => {
    const cached = deps({ cached: true });
    const plain = deps({ cached: false });
    const pair = rsaKeyPair();
    for (const ip of ['203.0.113.7', '198.51.100.200', '2001:db8::1', '203.0.113.7']) {
      for (const relPath of ['720p/index.m3u8', undefined]) {
        const o = { video: VIDEO, clientIp: ip, ...(relPath ? { relPath } : {}) };
        const got = await loadSignedPlaylist({ ...o, deps: cached });
        const want = await loadSignedPlaylist({ ...o, deps: plain });
        expect(got.bytes.equals(want.bytes)).toBe(true);
        expect(got.body).toBe(want.body);
        expect(got.shared).toBeUndefined();
        if (relPath) {
          const urls = got.body.split('\n').filter((l) => l.startsWith('https://'));
          expect(urls).toHaveLength(3);
          expect(urls[1]).toContain('seg_1.ts?part=1&Policy=');
          expect(urls[2]).not.toContain('#frag');
          for (const url of urls) expect(JSON.stringify(verifiedUrlPolicy(url, pair.publicKey).statement)).toContain(ip.includes(':') ? ip : `${ip}/32`);
        }
      }
    }
  });

  it('when the per-viewer body would pass RESPONSE_MAX_BYTES, then it is refused as the render is', async () => {
    const small = deps({ cached: true, responseMaxBytes: 1500 });
    const err = await loadSignedPlaylist({ video: VIDEO, relPath: '720p/index.m3u8', clientIp: '203.0.113.7', deps: small }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(502);
    expect((err as HttpError).message).toMatch(/larger than the configured limit/);
  });
});
