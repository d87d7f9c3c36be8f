// URI resolution against the playlist URL and the verdict for each role: what becomes a slot
// (and which slot), what is out of scope (and why), what passes through, what is refused.
import { describe, expect, it } from 'vitest';
import { PlaylistError, type Fail } from '../../../src/core/hls/errors.js';
import type { UriRole } from '../../../src/core/hls/tags.js';
import { MAX_URI_LENGTH, resolveUri, uriScope, type UriVerdict } from '../../../src/core/hls/uris.js';

const ROOT = 'https://cdn.example/videos/v1/';
const scope = uriScope(ROOT, `${ROOT}720p/index.m3u8`);
const fail: Fail = (code, what) => {
  throw new PlaylistError(code, what);
};

describe('resolveUri', () => {
  it.each<[string, UriRole, UriVerdict]>([
    ['seg.ts', 'media', { kind: 'slot', slot: { kind: 'media', url: `${ROOT}720p/seg.ts` } }],
    ['../audio/a.aac', 'media', { kind: 'slot', slot: { kind: 'media', url: `${ROOT}audio/a.aac` } }],
    ['/videos/v1/x.ts', 'media', { kind: 'slot', slot: { kind: 'media', url: `${ROOT}x.ts` } }],
    ['seg.ts?v=2#t=10', 'media', { kind: 'slot', slot: { kind: 'media', url: `${ROOT}720p/seg.ts?v=2` } }],
    ['HTTPS://CDN.EXAMPLE/videos/v1/720p/a b.ts', 'media', { kind: 'slot', slot: { kind: 'media', url: `${ROOT}720p/a%20b.ts` } }],
    ['k.key', 'key', { kind: 'slot', slot: { kind: 'media', url: `${ROOT}720p/k.key` } }],
    ['../1080p/index.m3u8?x=1', 'playlist', { kind: 'slot', slot: { kind: 'playlist', path: '1080p/index.m3u8', url: `${ROOT}1080p/index.m3u8?x=1` } }],
    ['https://other.example/videos/v1/a.ts', 'media', { kind: 'out-of-scope', reason: 'foreign-host', origin: 'https://other.example' }],
    ['//other.example/a.ts', 'playlist', { kind: 'out-of-scope', reason: 'foreign-host', origin: 'https://other.example' }],
    ['../../v2/a.ts', 'media', { kind: 'out-of-scope', reason: 'outside-root', origin: 'https://cdn.example' }],
    ['/videos/v10/a.ts', 'media', { kind: 'out-of-scope', reason: 'outside-root', origin: 'https://cdn.example' }],
    ['a.ts?Signature=abc', 'media', { kind: 'out-of-scope', reason: 'already-signed', origin: 'https://cdn.example' }],
    ['data:video/mp2t;base64,AAAA', 'media', { kind: 'out-of-scope', reason: 'not-http', origin: 'data:' }],
    ['javascript:alert(1)', 'playlist', { kind: 'out-of-scope', reason: 'not-http', origin: 'javascript:' }],
    ['skd://key-id', 'key', { kind: 'pass-through' }],
    ['data:text/plain;base64,AAAA', 'key', { kind: 'pass-through' }],
  ])('%s as %s', (uri, role, verdict) => {
    expect(resolveUri(uri, uri, role, scope, fail)).toEqual(verdict);
  });

  it.each<[string, string, string]>([
    ['not a URL', 'http://[::1', 'Malformed'],
    ['too long', `a.ts?${'x'.repeat(MAX_URI_LENGTH)}`, 'TooLarge'],
  ])('refuses a URI that is %s', (_what, uri, code) => {
    expect(() => resolveUri(uri, uri, 'media', scope, fail)).toThrow(expect.objectContaining({ code }));
  });

  it('quotes the URI as written, not as substituted', () => {
    expect(() => resolveUri('http://[::1', '{$host}', 'media', scope, fail)).toThrow('URI "{$host}" is not a valid URL');
  });

  it('bounds the resolved URL, not the written URI', () => {
    const uri = 'a'.repeat(MAX_URI_LENGTH - `${ROOT}720p/`.length);
    expect(resolveUri(uri, uri, 'media', scope, fail).kind).toBe('slot');
    expect(() => resolveUri(`${uri}a`, uri, 'media', scope, fail)).toThrow(`URI is ${MAX_URI_LENGTH + 1} characters long, over CloudFront's ${MAX_URI_LENGTH}`);
  });
});

describe('uriScope', () => {
  it.each([
    ['videos/v1/', `${ROOT}index.m3u8`, 'must be absolute URLs'],
    [ROOT, 'index.m3u8', 'must be absolute URLs'],
    ['ftp://cdn.example/v1/', `${ROOT}index.m3u8`, 'must be http(s)'],
    ['https://cdn.example/videos/v1', `${ROOT}index.m3u8`, 'must end in "/"'],
    ['https://cdn.example/videos/v1/?x=1', `${ROOT}index.m3u8`, 'no query, fragment or credentials'],
    ['https://u:p@cdn.example/videos/v1/', `${ROOT}index.m3u8`, 'no query, fragment or credentials'],
  ])('refuses root %s with playlist %s', (rootUrl, playlistUrl, message) => {
    expect(() => uriScope(rootUrl, playlistUrl)).toThrow(TypeError);
    expect(() => uriScope(rootUrl, playlistUrl)).toThrow(message);
  });

  it('normalizes the root', () => {
    expect(uriScope('HTTPS://CDN.Example:443/videos/v1/', `${ROOT}a.m3u8`)).toMatchObject({ rootHref: ROOT, rootOrigin: 'https://cdn.example' });
  });
});
