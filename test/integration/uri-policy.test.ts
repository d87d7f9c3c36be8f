// Real-world playlists through the service (a real S3-compatible store on loopback, createApp),
// in both signed-URL modes and in cookies mode: URIs on other hosts (the operator's key server,
// ad segments from another CDN) pass through unchanged and are logged once per playlist version
// by host and tag only; skd:// and data: URIs pass untouched; everything under the video's root
// is signed (verified with the public key); a URI on the CDN host outside the root, or already
// signed, refuses the playlist. And the hostile playlists of issue 9, each with its bound.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKey } from '../../src/core/cloudfront/signer.js';
import { createPlaybackCache } from '../../src/playback/playback-cache.js';
import { setCookies, startPlaybackFixture, testApp, testConfig, type PlaybackFixture } from '../helpers/app.js';
import { signedCookiePolicy, signedUrlPolicy, verifiedUrlPolicy, policyVerifies, resourceMatches } from '../helpers/cloudfront.js';
import { ecKeyPair } from '../helpers/keys.js';

const CDN = 'https://cdn.example.com';
const ROOT = `${CDN}/videos/rw/`;

const REAL_WORLD = [
  '#EXTM3U',
  '#EXT-X-VERSION:7',
  '#EXT-X-TARGETDURATION:6',
  '#EXT-X-PLAYLIST-TYPE:VOD',
  '#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example.net/k?id=7&token=abc",IV=0x00000000000000000000000000000001',
  '#EXTINF:6.0,',
  'seg0.ts',
  '#EXT-X-DISCONTINUITY',
  '#EXTINF:6.0,',
  'https://ads.example.org/bumper/ad0.ts',
  '#EXT-X-DISCONTINUITY',
  '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://asset-7",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1"',
  '#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI="data:text/plain;base64,AAAAAA==",KEYFORMAT="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"',
  '#EXTINF:6.0,',
  'seg1.ts',
  '#EXT-X-ENDLIST',
  '',
].join('\n');

const OUTSIDE_ROOT = '#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\n../other/seg0.ts\n#EXT-X-ENDLIST\n';
const ALREADY_SIGNED = '#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nseg0.ts?Expires=1&Signature=STOREDSIGNATUREVALUE&Key-Pair-Id=KX\n#EXT-X-ENDLIST\n';
// Issue 9, hole 3: 99,000 one-character URIs (198 KB) rendered to 58 MB per response.
const AMPLIFIER = `#EXTM3U\n${'a\n'.repeat(99_000)}`;
const STEERING = '#EXTM3U\n#EXT-X-CONTENT-STEERING:SERVER-URI="steering.json",PATHWAY-ID="A"\n#EXT-X-STREAM-INF:BANDWIDTH=1,PATHWAY-ID="A"\n360p/index.m3u8\n';
const INTERSTITIAL =
  '#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:00.000Z\n' +
  '#EXT-X-DATERANGE:ID="ad",CLASS="com.apple.hls.interstitial",START-DATE="2024-05-01T10:00:06.000Z",X-ASSET-URI="ads/break.m3u8",X-ASSET-LIST="ads/list.json"\n' +
  '#EXT-X-DATERANGE:ID="x",START-DATE="2024-05-01T10:00:06.000Z",x-asset-uri="lower.m3u8"\n' +
  '#EXTINF:6.0,\nseg0.ts\n#EXT-X-ENDLIST\n';

const pair = ecKeyPair();
const signingKey = loadSigningKey({ keyPairId: 'KPOLICY', privateKeyPem: pair.privateKeyPem, hash: 'SHA256' });
let fx: PlaybackFixture;

beforeAll(async () => {
  fx = await startPlaybackFixture({
    objects: {
      'videos/rw/index.m3u8': REAL_WORLD,
      'videos/outside/index.m3u8': OUTSIDE_ROOT,
      'videos/signed/index.m3u8': ALREADY_SIGNED,
      'videos/amp/index.m3u8': AMPLIFIER,
      'videos/steer/master.m3u8': STEERING,
      'videos/inter/index.m3u8': INTERSTITIAL,
    },
    videos: [
      { id: 'rw', playlistKey: 'videos/rw/index.m3u8' },
      { id: 'outside', playlistKey: 'videos/outside/index.m3u8' },
      { id: 'signed', playlistKey: 'videos/signed/index.m3u8' },
      { id: 'amp', playlistKey: 'videos/amp/index.m3u8' },
      { id: 'steer', playlistKey: 'videos/steer/master.m3u8' },
      { id: 'inter', playlistKey: 'videos/inter/index.m3u8' },
    ],
  });
});

afterAll(async () => {
  await fx?.close();
});

type Mode = 'wildcard' | 'url' | 'cookies';

function app(mode: Mode, o: { foreignUris?: 'pass' | 'refuse'; bindIp?: boolean; lines?: string[] } = {}) {
  const lines = o.lines ?? [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  return testApp({
    catalog: fx.catalog,
    source: fx.source,
    signingKey,
    logger,
    clock: () => Date.parse('2026-12-02T12:00:00Z'),
    playbackCache: createPlaybackCache({ maxBytes: 16 << 20 }),
    config: testConfig({
      cdnBaseUrl: CDN,
      foreignUris: o.foreignUris ?? 'pass',
      bindIp: o.bindIp ?? false,
      trustProxy: 'loopback',
      responseMaxBytes: 1 << 20,
      s3: { maxPlaylistBytes: 1 << 20 },
      signing: { mode },
    }),
  });
}

/** The URI of each non-comment line, in order. */
function uriLines(body: string): string[] {
  return body.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe.each<Mode>(['wildcard', 'url', 'cookies'])('a real-world playlist in %s mode', (mode) => {
  it('signs what is under the root, passes other hosts, skd:// and data: untouched, and logs the hosts once', async () => {
    const lines: string[] = [];
    const a = app(mode, { lines });
    const res = await request(a).get('/videos/rw/playlist.m3u8').expect(200);
    const body = res.text;
    // Foreign URIs, byte for byte (their own query included), and the non-HTTP key URIs.
    expect(body).toContain('URI="https://keys.example.net/k?id=7&token=abc"');
    expect(uriLines(body)[1]).toBe('https://ads.example.org/bumper/ad0.ts');
    expect(body).toContain('URI="skd://asset-7"');
    expect(body).toContain('URI="data:text/plain;base64,AAAAAA=="');
    const own = uriLines(body).filter((u) => u.startsWith(ROOT));
    expect(own.map((u) => u.split('?')[0])).toEqual([`${ROOT}seg0.ts`, `${ROOT}seg1.ts`]);
    if (mode === 'cookies') {
      for (const u of own) expect(u).not.toContain('?');
      const values = Object.fromEntries(setCookies(res).map((c) => c.split(';')[0]!.split('=') as [string, string]));
      const policy = signedCookiePolicy(values);
      expect(policyVerifies(policy, pair.publicKey)).toBe(true);
      expect(policy.statement.Resource).toBe(`${ROOT}*`);
    } else {
      for (const u of own) {
        const p = verifiedUrlPolicy(u, pair.publicKey);
        expect(resourceMatches(p.statement.Resource ?? '', u.split('?')[0]!)).toBe(true);
        // Nothing a signature covers reaches another host or another folder.
        expect(resourceMatches(p.statement.Resource ?? '', 'https://ads.example.org/bumper/ad0.ts')).toBe(false);
        expect(resourceMatches(p.statement.Resource ?? '', `${CDN}/videos/other/seg0.ts`)).toBe(false);
      }
    }
    // Reported once per playlist version: the hosts and tags, never a path or a query.
    await request(a).get('/videos/rw/playlist.m3u8').expect(200);
    const reports = lines.filter((l) => l.includes('pass through unsigned'));
    expect(reports).toHaveLength(1);
    const report = JSON.parse(reports[0]!) as { passed: { origin: string; reason: string; tags: string[] }[] };
    expect(report.passed).toEqual(
      expect.arrayContaining([
        { origin: 'https://keys.example.net', reason: 'foreign-host', tags: ['EXT-X-KEY'], count: 1 },
        { origin: 'https://ads.example.org', reason: 'foreign-host', tags: ['media segment URI'], count: 1 },
      ]),
    );
    expect(reports[0]).not.toContain('token=abc');
    expect(reports[0]).not.toContain('/bumper/');
  });

  it('refuses it with FOREIGN_URIS=refuse, naming the fix in the log', async () => {
    const lines: string[] = [];
    const res = await request(app(mode, { foreignUris: 'refuse', lines })).get('/videos/rw/playlist.m3u8').expect(502);
    expect(res.text).toBe("502 playlist references media outside the video's folder\n");
    expect(lines.join('')).toContain('FOREIGN_URIS=pass');
  });

  it('refuses a URI on the CDN host outside the root (it could not play), naming the fix', async () => {
    const lines: string[] = [];
    const res = await request(app(mode, { lines })).get('/videos/outside/playlist.m3u8').expect(502);
    expect(res.text).toContain("outside the video's folder");
    expect(lines.join('')).toContain("widen the video's rootPrefix");
  });
});

describe('hostile playlists through the service', () => {
  // Issue 9, hole 7: the refusal was logged with the stored Signature= value in clear.
  it('refuses an already-signed URI without logging its signature', async () => {
    const lines: string[] = [];
    await request(app('wildcard', { lines })).get('/videos/signed/playlist.m3u8').expect(502);
    const log = lines.join('');
    expect(log).toContain('already carries CloudFront signing parameters');
    expect(log).not.toContain('STOREDSIGNATUREVALUE');
  });

  // Issue 9, hole 3.
  it.each<Mode>(['wildcard', 'url'])('bounds the rendered response (%s): 502 instead of megabytes, and keeps serving', async (mode) => {
    const a = app(mode);
    const res = await request(a).get('/videos/amp/playlist.m3u8').expect(502);
    expect(res.text).toBe("502 this video's playlist is larger than the configured limit\n");
    expect(Number(res.headers['content-length'])).toBeLessThan(200);
    await request(a).get('/videos/rw/playlist.m3u8').expect(200);
  });

  // Issue 9, hole 5: url mode with IP binding signed `seg*.ts` as a wildcard that also opened `seg.ts`.
  it('signs exact resources in url mode with IP binding: "*" is percent-encoded, the policy matches only that URL', async () => {
    await fx.s3.put('videos/star/index.m3u8', '#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nseg*.ts\n#EXT-X-ENDLIST\n');
    await fx.catalog.upsert({ id: 'star', playlistKey: 'videos/star/index.m3u8' });
    const res = await request(app('url', { bindIp: true })).get('/videos/star/playlist.m3u8').set('X-Forwarded-For', '203.0.113.9').expect(200);
    const [url] = uriLines(res.text);
    expect(url).toMatch(/^https:\/\/cdn\.example\.com\/videos\/star\/seg%2A\.ts\?Policy=/);
    const p = verifiedUrlPolicy(url!, pair.publicKey);
    expect(p.statement.Resource).toBe(`${CDN}/videos/star/seg%2A.ts`);
    expect(p.statement.Condition.IpAddress?.['AWS:SourceIp']).toBe('203.0.113.9/32');
    for (const sibling of ['seg.ts', 'seg1.ts', 'seg*.ts', 'segments/a.ts']) {
      expect(resourceMatches(p.statement.Resource!, `${CDN}/videos/star/${sibling}`)).toBe(false);
    }
    expect(signedUrlPolicy(url!).kind).toBe('custom');
  });

  // Issue 9, hole 10.
  it('signs the content steering manifest and routes interstitial assets; lower-case attributes stay', async () => {
    const steer = await request(app('wildcard')).get('/videos/steer/playlist.m3u8').expect(200);
    const serverUri = /SERVER-URI="([^"]+)"/.exec(steer.text)?.[1] ?? '';
    expect(serverUri.startsWith(`${CDN}/videos/steer/steering.json?Policy=`)).toBe(true);
    expect(policyVerifies(signedUrlPolicy(serverUri), pair.publicKey)).toBe(true);
    const inter = await request(app('url')).get('/videos/inter/playlist.m3u8').expect(200);
    expect(inter.text).toContain('X-ASSET-URI="/videos/inter/media/ads/break.m3u8"');
    const list = /X-ASSET-LIST="([^"]+)"/.exec(inter.text)?.[1] ?? '';
    expect(verifiedUrlPolicy(list, pair.publicKey).url).toBe(`${CDN}/videos/inter/ads/list.json`);
    expect(inter.text).toContain('x-asset-uri="lower.m3u8"');
  });
});
