// The viewer side end to end through createApp: a real S3-compatible store (s3rver), a real SQLite
// catalog, real signing keys. Signatures are checked with the public key, not by comparing strings.
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createApp } from '../../src/http/app.js';
import type { Catalog } from '../../src/adapters/catalog.js';
import { samePresentation } from '../helpers/presentation.js';
import { loadSigningKey, type SigningKey } from '../../src/core/cloudfront/signer.js';
import { resourceMatches, verifiedUrlPolicy } from '../helpers/cloudfront.js';
import { testApp, testCatalog, testConfig } from '../helpers/app.js';
import { rsaKeyPair } from '../helpers/keys.js';
import { startTestS3, testPlaylistSource, type TestS3 } from '../helpers/s3.js';

const CDN = 'https://d111111abcdef8.cloudfront.net';
const KEY_PAIR_ID = 'KTESTKEYPAIR01';
const NOW_MS = Date.UTC(2030, 0, 1, 12, 0, 0);
const NOW = NOW_MS / 1000;
const TTL = 300;
const MARGIN = 60;
const HOSTILE_TITLE = `<script>alert(1)</script>"'&`;

// A second HLS parser (the one Video.js uses) reads what we serve.
const { Parser } = createRequire(import.meta.url)('m3u8-parser') as {
  Parser: new () => {
    push(text: string): void;
    end(): void;
    manifest: {
      playlists?: { uri: string }[];
      segments: { uri: string; duration: number; key?: { uri: string }; map?: { uri: string } }[];
      mediaGroups?: Record<string, Record<string, Record<string, { uri?: string }>>>;
    };
  };
};
function parse(text: string): InstanceType<typeof Parser>['manifest'] {
  const p = new Parser();
  p.push(text);
  p.end();
  return p.manifest;
}

function sample(path: string): string {
  return readFileSync(new URL(`../../samples/${path}`, import.meta.url), 'utf8');
}

function mediaPlaylist(segments: number, seconds: number, extra = ''): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${seconds}`, '#EXT-X-PLAYLIST-TYPE:VOD', extra];
  for (let i = 0; i < segments; i++) lines.push(`#EXTINF:${seconds}.0,`, `seg_${i}.ts`);
  lines.push('#EXT-X-ENDLIST', '');
  return lines.filter((l) => l !== '').join('\n');
}

interface Checked {
  expires: number;
  resource: string;
}

/** Verifies a CloudFront signed URL the way CloudFront does; returns the expiry and the resource. */
function verifySignedUrl(signed: string, publicKey: KeyObject): Checked {
  const p = verifiedUrlPolicy(signed, publicKey);
  expect(p.keyPairId).toBe(KEY_PAIR_ID);
  const resource = p.url ?? '';
  if (p.kind === 'custom') {
    expect(p.statement.Resource, 'a policy must name its resource').toBeDefined();
    expect(resourceMatches(p.statement.Resource!, resource), `${p.statement.Resource} covers ${resource}`).toBe(true);
  }
  expect(new URL(resource).href, 'the signed URL is in WHATWG-normalized form').toBe(resource);
  return { expires: p.dateLessThan, resource };
}

/** Every URI in a media playlist that the player fetches from the CDN (segments, keys, maps). */
function mediaUris(text: string): string[] {
  const m = parse(text);
  const uris = new Set<string>();
  for (const s of m.segments) {
    uris.add(s.uri);
    if (s.key?.uri) uris.add(s.key.uri);
    if (s.map?.uri) uris.add(s.map.uri);
  }
  return [...uris];
}

interface Fixture {
  s3: TestS3;
  catalog: Catalog;
  publicKey: KeyObject;
  signingKey: SigningKey;
  app(mode: 'url' | 'wildcard', o?: { clock?: () => number }): ReturnType<typeof createApp>;
  /** Catalog lookups made, to prove invalid ids never reach the catalog. */
  lookups: string[];
}

let fx: Fixture;

beforeAll(async () => {
  const s3 = await startTestS3();
  // Video "demo": the committed two-rendition sample (clear 180p, AES-128 360p).
  await s3.put('videos/demo/master.m3u8', sample('demo/master.m3u8'));
  await s3.put('videos/demo/180p/index.m3u8', sample('demo/180p/index.m3u8'));
  await s3.put('videos/demo/360p/index.m3u8', sample('demo/360p/index.m3u8'));
  // Video "fmp4": EXT-X-MAP init segment.
  await s3.put('videos/fmp4/master.m3u8', sample('demo-fmp4/master.m3u8'));
  await s3.put('videos/fmp4/v0/index.m3u8', sample('demo-fmp4/v0/index.m3u8'));
  // Video "odd": folder names that need percent-encoding, an alternate audio rendition and an I-frame playlist.
  await s3.put(
    'videos/odd one/master.m3u8',
    [
      '#EXTM3U',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",DEFAULT=YES,URI="audio en/index.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=200000,AUDIO="aud"',
      'video 720p/index.m3u8',
      '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=50000,URI="video 720p/iframes.m3u8"',
      '',
    ].join('\n'),
  );
  await s3.put('videos/odd one/video 720p/index.m3u8', mediaPlaylist(3, 4).replace('seg_0.ts', 'seg 0 ü,=+~.ts'));
  await s3.put('videos/odd one/video 720p/iframes.m3u8', mediaPlaylist(2, 4, '#EXT-X-I-FRAMES-ONLY'));
  await s3.put('videos/odd one/audio en/index.m3u8', mediaPlaylist(3, 4));
  // Expiry: a 2-hour VOD and a 12-second one.
  await s3.put('videos/long/index.m3u8', mediaPlaylist(720, 10));
  await s3.put('videos/short/index.m3u8', mediaPlaylist(4, 3));
  // Failures.
  await s3.put('videos/notpl/master.m3u8', 'this is a text file, not a playlist\n');
  await s3.put('videos/binary/master.m3u8', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
  await s3.put('videos/escape/index.m3u8', mediaPlaylist(1, 4).replace('seg_0.ts', '../other/seg_0.ts'));
  await s3.put('videos/other/seg_0.ts', 'x');

  const catalog = await testCatalog([
    { id: 'demo', playlistKey: 'videos/demo/master.m3u8', title: 'Demo video' },
    { id: 'fmp4', playlistKey: 'videos/fmp4/master.m3u8', title: 'fMP4 sample' },
    { id: 'odd', playlistKey: 'videos/odd one/master.m3u8', title: 'Odd names' },
    { id: 'long', playlistKey: 'videos/long/index.m3u8', title: 'Two hours' },
    { id: 'short', playlistKey: 'videos/short/index.m3u8', title: 'Twelve seconds' },
    { id: 'hostile', playlistKey: 'videos/demo/master.m3u8', title: HOSTILE_TITLE },
    { id: 'notpl', playlistKey: 'videos/notpl/master.m3u8' },
    { id: 'binary', playlistKey: 'videos/binary/master.m3u8' },
    { id: 'escape', playlistKey: 'videos/escape/index.m3u8' },
    { id: 'missing', playlistKey: 'videos/missing/master.m3u8' },
  ]);
  const lookups: string[] = [];
  const get = catalog.get.bind(catalog);
  catalog.get = (id: string) => {
    lookups.push(id);
    return get(id);
  };

  const { privateKeyPem, publicKey } = rsaKeyPair();
  const signingKey = loadSigningKey({ keyPairId: KEY_PAIR_ID, privateKeyPem, hash: 'SHA1' });
  const source = testPlaylistSource(s3);

  fx = {
    s3,
    catalog,
    lookups,
    publicKey,
    signingKey,
    app(mode, o = {}) {
      return testApp({
        catalog,
        source,
        signingKey,
        clock: o.clock ?? (() => NOW_MS),
        config: testConfig({ cdnBaseUrl: CDN, signing: { keyPairId: KEY_PAIR_ID, privateKeyPem, hash: 'SHA1', mode, ttlSeconds: TTL, expiryMarginSeconds: MARGIN } }),
      });
    },
  };
});

afterAll(async () => {
  await fx?.catalog.close();
  await fx?.s3.stop();
});

describe('pages', () => {
  it('when the list page is requested, then every video is linked with its escaped title', async () => {
    const res = await request(fx.app('url')).get('/videos').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('<a href="/videos/demo">Demo video');
    expect(res.text).toContain('href="/videos/long"');
    expect(res.text).not.toContain('<script>alert(1)</script>');
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('when a player page is requested, then it carries Video.js markup, an escaped title and a strict CSP', async () => {
    const res = await request(fx.app('url')).get('/videos/hostile').expect(200);
    expect(res.text).toContain('<h1>&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;</h1>');
    expect(res.text).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp; · hlsgate</title>');
    expect(res.text).not.toContain(HOSTILE_TITLE);
    expect(res.text).toContain(
      '<video-js id="player" class="video-js vjs-fluid" controls preload="auto" data-playlist-url="/videos/hostile/playlist.m3u8" data-signing-mode="url">',
    );
    expect(res.text).toContain('<source src="/videos/hostile/playlist.m3u8" type="application/x-mpegURL">');
    expect(res.text).toContain('<link rel="stylesheet" href="/static/video-js/video-js.min.css">');
    expect(res.text).toContain('<script src="/static/video-js/video.min.js"></script>');
    expect(res.text).toContain('<script src="/static/player.js"></script>');
    expect(res.text).toContain('href="/videos"');
    // No inline script at all: every <script> has a src.
    expect(res.text.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();

    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`media-src 'self' blob: ${CDN}`);
    expect(csp).toContain(`connect-src 'self' ${CDN}`);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('when the static assets are requested, then Video.js and the player script are served from this origin', async () => {
    const app = fx.app('url');
    const js = await request(app).get('/static/video-js/video.min.js').expect(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    await request(app).get('/static/video-js/video-js.min.css').expect(200).expect('Content-Type', /text\/css/);
    const player = await request(app).get('/static/player.js').expect(200);
    expect(player.headers['content-type']).toMatch(/^text\/javascript/);
    expect(player.text).toContain("videojs('player'");
    expect(player.text).toContain('__hlsgateErrors');
    await request(app).get('/static/video-js/../package.json').expect(404);
  });

  it('when a video id is unknown, then the page is a 404 page', async () => {
    const res = await request(fx.app('url')).get('/videos/nope').set('Accept', 'text/html').expect(404);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('Not found');
    expect(res.headers['content-security-policy']).toBeDefined();
    const json = await request(fx.app('url')).get('/videos/nope').set('Accept', 'application/json').expect(404);
    expect(json.body).toMatchObject({ error: expect.any(String) });
  });
});

describe('playlists', () => {
  it('when the top playlist of a multivariant video is requested, then nested playlists point at hlsgate', async () => {
    const res = await request(fx.app('url')).get('/videos/demo/playlist.m3u8').expect(200);
    expect(res.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const m = parse(res.text);
    expect(m.playlists?.map((p) => p.uri)).toEqual(['/videos/demo/media/180p/index.m3u8', '/videos/demo/media/360p/index.m3u8']);
    // Everything else passes through.
    expect(res.text).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
    expect(res.text).toContain('CODECS="avc1.42c01e,mp4a.40.2"');
    expect(samePresentation(sample('demo/master.m3u8'), res.text)).toEqual({ same: true });
  });

  it.each(['url', 'wildcard'] as const)('when nested playlists are fetched (%s mode), then every segment and key URI is a CDN URL whose signature verifies', async (mode) => {
    const app = fx.app(mode);
    const top = await request(app).get('/videos/demo/playlist.m3u8').expect(200);
    const nested = parse(top.text).playlists!.map((p) => p.uri);
    expect(nested).toHaveLength(2);
    let keys = 0;
    for (const path of nested) {
      const res = await request(app).get(path).expect(200);
      expect(res.headers['content-type']).toBe('application/vnd.apple.mpegurl');
      expect(res.headers['cache-control']).toBe('private, no-store');
      const uris = mediaUris(res.text);
      expect(uris.length).toBeGreaterThanOrEqual(4);
      for (const uri of uris) {
        expect(uri.startsWith(`${CDN}/videos/demo/`), uri).toBe(true);
        const { resource } = verifySignedUrl(uri, fx.publicKey);
        if (resource.endsWith('.key')) keys++;
      }
      expect(res.text).not.toMatch(/^seg_\d+\.ts$/m);
    }
    expect(keys, 'the AES-128 key URI is signed too').toBe(1);
    for (const rendition of ['180p', '360p']) {
      const res = await request(app).get(`/videos/demo/media/${rendition}/index.m3u8`).expect(200);
      expect(samePresentation(sample(`demo/${rendition}/index.m3u8`), res.text), rendition).toEqual({ same: true });
    }
    // The key of the 360p rendition lives in a sibling folder (../keys/), still inside the video root.
    const r360 = await request(app).get('/videos/demo/media/360p/index.m3u8').expect(200);
    expect(parse(r360.text).segments[0]!.key!.uri.startsWith(`${CDN}/videos/demo/keys/360p.key?`)).toBe(true);
  });

  it('when a media playlist has an EXT-X-MAP, then the init segment is signed too', async () => {
    const res = await request(fx.app('url')).get('/videos/fmp4/media/v0/index.m3u8').expect(200);
    const m = parse(res.text);
    expect(m.segments[0]!.map!.uri.startsWith(`${CDN}/videos/fmp4/v0/init.mp4?`)).toBe(true);
    for (const uri of mediaUris(res.text)) verifySignedUrl(uri, fx.publicKey);
  });

  it('when paths need percent-encoding, then nested routes keep it and signatures cover the normalized URL', async () => {
    const app = fx.app('url');
    const top = await request(app).get('/videos/odd/playlist.m3u8').expect(200);
    expect(top.text).toContain('URI="/videos/odd/media/audio%20en/index.m3u8"');
    expect(top.text).toContain('\n/videos/odd/media/video%20720p/index.m3u8\n');
    expect(top.text).toContain('URI="/videos/odd/media/video%20720p/iframes.m3u8"');
    const video = await request(app).get('/videos/odd/media/video%20720p/index.m3u8').expect(200);
    const uris = mediaUris(video.text);
    expect(uris[0]!.startsWith(`${CDN}/videos/odd%20one/video%20720p/seg%200%20%C3%BC,=+~.ts?`)).toBe(true);
    for (const uri of uris) verifySignedUrl(uri, fx.publicKey);
    for (const path of ['/videos/odd/media/audio%20en/index.m3u8', '/videos/odd/media/video%20720p/iframes.m3u8']) {
      const res = await request(app).get(path).expect(200);
      for (const uri of mediaUris(res.text)) verifySignedUrl(uri, fx.publicKey);
    }
  });

  it('when a VOD is longer than the TTL, then signatures last its whole duration plus the margin', async () => {
    for (const mode of ['url', 'wildcard'] as const) {
      const res = await request(fx.app(mode)).get('/videos/long/playlist.m3u8').expect(200);
      const uris = mediaUris(res.text);
      expect(uris).toHaveLength(720);
      for (const uri of [uris[0]!, uris[719]!]) {
        const { expires } = verifySignedUrl(uri, fx.publicKey);
        expect(expires).toBeGreaterThanOrEqual(NOW + 7200 + MARGIN);
        expect(expires).toBeLessThanOrEqual(NOW + 7200 + MARGIN + 1);
      }
    }
  });

  it('when a VOD is shorter than the TTL, then signatures expire after the TTL (injected clock)', async () => {
    const later = NOW_MS + 3_600_000;
    const res = await request(fx.app('url', { clock: () => later })).get('/videos/short/playlist.m3u8').expect(200);
    for (const uri of mediaUris(res.text)) {
      expect(verifySignedUrl(uri, fx.publicKey).expires).toBe(later / 1000 + TTL);
    }
  });

  it('when a playlist is requested with HEAD, then the headers come without a body', async () => {
    const app = fx.app('url');
    const res = await request(app).head('/videos/demo/playlist.m3u8').expect(200);
    expect(res.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0);
    expect(res.text ?? '').toBe('');
    const nested = await request(app).head('/videos/demo/media/180p/index.m3u8').expect(200);
    expect(nested.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(nested.text ?? '').toBe('');
    await request(app).head('/videos/nope/playlist.m3u8').expect(404);
  });

  it('when the playlist is requested with a query string, then it is ignored', async () => {
    const res = await request(fx.app('url')).get('/videos/short/playlist.m3u8?foo=bar').expect(200);
    expect(mediaUris(res.text)[0]).not.toContain('foo=bar');
  });
});

describe('refusals', () => {
  it('when a video id is unknown, then its playlist is a plain-text 404', async () => {
    const res = await request(fx.app('url')).get('/videos/nope/playlist.m3u8').expect(404);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    await request(fx.app('url')).get('/videos/nope/media/180p/index.m3u8').expect(404);
  });

  it.each([
    ['/videos/..', 'dot-dot'],
    ['/videos/%2E%2E', 'encoded dot-dot'],
    ['/videos/demo%2F..%2Fx', 'encoded slash'],
    ['/videos/a%2Fb/playlist.m3u8', 'encoded slash before playlist'],
    [`/videos/${'a'.repeat(65)}`, 'over-long'],
    [`/videos/${'a'.repeat(65)}/playlist.m3u8`, 'over-long playlist'],
    ['/videos/demo%00', 'NUL'],
    ['/videos/demo%0A/playlist.m3u8', 'newline'],
    ['/videos/demo%0D%0AX-Evil:%201/playlist.m3u8', 'CRLF header injection'],
    ['/videos/%E0%A4%A', 'malformed percent-encoding'],
    ['/videos/-demo', 'leading dash'],
    ['/videos/de mo', 'space'],
  ])('when the id is malformed (%s: %s), then 400/404 without a catalog lookup', async (path, _what) => {
    fx.lookups.length = 0;
    const res = await request(fx.app('url')).get(path);
    expect([400, 404]).toContain(res.status);
    expect(res.headers['x-evil']).toBeUndefined();
    expect(fx.lookups).toEqual([]);
    expect(res.text).not.toMatch(/at .*\.(ts|js):\d+/); // no stack trace
  });

  it.each([
    '/videos/demo/media/../master.m3u8',
    '/videos/demo/media/../../other/x.m3u8',
    '/videos/demo/media/%2e%2e/master.m3u8',
    '/videos/demo/media/%2E%2E/%2E%2E/demo/master.m3u8',
    '/videos/demo/media/..%2Fmaster.m3u8',
    '/videos/demo/media/180p%2F..%2F..%2Fother%2Fx.m3u8',
    '/videos/demo/media/180p/..%5C..%5Cx.m3u8',
    '/videos/demo/media/./180p/index.m3u8',
    '/videos/demo/media/180p//index.m3u8',
    '/videos/demo/media//etc/passwd.m3u8',
    '/videos/demo/media/180p/index.m3u8%00.m3u8',
    '/videos/demo/media/180p/seg_000.ts',
    '/videos/demo/media/',
  ])('when a nested path climbs out or is not a playlist (%s), then 404', async (path) => {
    const res = await request(fx.app('url')).get(path);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('when an id has malformed percent-encoding, then 400 says the URL is malformed (without echoing it)', async () => {
    const res = await request(fx.app('url')).get('/videos/%E0%A4%A').set('Accept', 'application/json').expect(400);
    expect(res.body).toEqual({ error: 'the request URL is malformed', code: 'bad_request' });
  });

  it('when a nested path has malformed percent-encoding, then 400/404 in plain text', async () => {
    for (const path of ['/videos/demo/media/%ZZ.m3u8', '/videos/demo/media/180p/%E0%A4%A.m3u8']) {
      const res = await request(fx.app('url')).get(path);
      expect([400, 404]).toContain(res.status);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
    }
  });

  it('when the S3 object is not a playlist, then 502 says so', async () => {
    const res = await request(fx.app('url')).get('/videos/notpl/playlist.m3u8').expect(502);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('the stored object for this video is not an HLS playlist');
    // The object key stays in the log, out of the viewer's answer.
    expect(res.text).not.toContain('videos/notpl');
    const bin = await request(fx.app('url')).get('/videos/binary/playlist.m3u8').expect(502);
    expect(bin.text).toContain('is not an HLS playlist');
  });

  it('when the playlist references media outside the video folder, then 502 and nothing is signed', async () => {
    const res = await request(fx.app('url')).get('/videos/escape/playlist.m3u8').expect(502);
    expect(res.text).toContain("playlist references media outside the video's folder");
    expect(res.text).not.toContain('Signature=');
  });

  it('when the playlist is missing in S3, then 404', async () => {
    const res = await request(fx.app('url')).get('/videos/missing/playlist.m3u8').expect(404);
    expect(res.text).toMatch(/not found/);
    await request(fx.app('url')).get('/videos/demo/media/nope/index.m3u8').expect(404);
  });

  it('when a path matches nothing, then 404 (HTML for browsers, JSON for programs)', async () => {
    const html = await request(fx.app('url')).get('/nothing/here').set('Accept', 'text/html').expect(404);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    const json = await request(fx.app('url')).get('/nothing/here').set('Accept', 'application/json').expect(404);
    expect(json.body.error).toEqual(expect.any(String));
    // No admin token configured: the admin API does not exist.
    await request(fx.app('url')).get('/api/videos').expect(404);
  });
});
