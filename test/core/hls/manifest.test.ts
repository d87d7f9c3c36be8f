// Table-driven over test/corpus: every playlist x signing mode x key. The checks use their own
// line scanner and their own policy reconstruction (not manifest.ts / signer.ts), verify every
// signature with the PUBLIC key, and compare the presentation with m3u8-parser.
import type { KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Parser } from 'm3u8-parser';
import { describe, expect, it } from 'vitest';
import {
  compilePlaylist,
  PlaylistError,
  renderPlaylist,
  rewritePlaylist,
  type CompileOptions,
  type OutOfScopeReason,
  type PlaylistErrorCode,
} from '../../../src/core/hls/manifest.js';
import { createMediaSigner, type SigningMode } from '../../../src/core/cloudfront/media-signer.js';
import { samePresentation } from '../../helpers/presentation.js';
import { loadSigningKey, type SigningKey } from '../../../src/core/cloudfront/signer.js';
import { policyVerifies, resourceMatches, signedUrlPolicy } from '../../helpers/cloudfront.js';
import { testKeyPair, type TestKeyType } from '../../helpers/keys.js';

const CORPUS = fileURLToPath(new URL('../../corpus/', import.meta.url));
const ROOT = 'https://cdn.example/videos/v1/';
const MULTIVARIANT_URL = `${ROOT}index.m3u8`;
const MEDIA_URL = `${ROOT}720p/index.m3u8`;
const ROUTE = '/videos/v1/media/';
const EXPIRES = 1_900_000_000;

// ---------------------------------------------------------------------------------------------
// Keys: RSA-2048 with SHA1 (CloudFront's default) and ECDSA P-256 with SHA256.

interface TestKey {
  name: string;
  key: SigningKey;
  publicKey: KeyObject;
}

function makeKey(type: TestKeyType, keyPairId: string, hash: 'SHA1' | 'SHA256'): TestKey {
  const pair = testKeyPair(type);
  return { name: `${type.toUpperCase()} ${hash}`, key: loadSigningKey({ keyPairId, privateKeyPem: pair.privateKeyPem, hash }), publicKey: pair.publicKey };
}

const KEYS: TestKey[] = [makeKey('rsa', 'KRSATEST1', 'SHA1'), makeKey('ec', 'KECTEST256', 'SHA256')];
const MODES: SigningMode[] = ['url', 'wildcard'];

// ---------------------------------------------------------------------------------------------
// The corpus table. Files starting with `h-` are hostile; the rest must be rewritten.

interface ValidCase {
  file: string;
  kind: 'multivariant' | 'media';
  /** Default: MULTIVARIANT_URL for multivariant playlists, MEDIA_URL for media playlists. */
  playlistUrl?: string;
  options?: Pick<CompileOptions, 'queryParams' | 'importedVariables'>;
  /** Non-http key URIs that pass through untouched. */
  passthroughKeys?: number;
}

interface HostileCase {
  file: string;
  code: PlaylistErrorCode;
  /** 1-based line of the error, when one line is at fault. */
  line?: number;
  /** With outOfScope: 'keep', the reasons reported, in order (OutOfScope cases only). */
  keep?: OutOfScopeReason[];
  playlistUrl?: string;
  options?: Pick<CompileOptions, 'queryParams' | 'importedVariables' | 'maxBytes'>;
}

const VALID: ValidCase[] = [
  { file: 'mv-basic.m3u8', kind: 'multivariant' },
  { file: 'mv-alt-audio-subs.m3u8', kind: 'multivariant' },
  { file: 'mv-iframe.m3u8', kind: 'multivariant' },
  { file: 'mv-session-data.m3u8', kind: 'multivariant' },
  { file: 'mv-session-key.m3u8', kind: 'multivariant', passthroughKeys: 1 },
  { file: 'mv-define-value.m3u8', kind: 'multivariant' },
  { file: 'mv-define-queryparam.m3u8', kind: 'multivariant', options: { queryParams: new URLSearchParams('lang=fr-CA&other=1') } },
  { file: 'mv-fmp4.m3u8', kind: 'multivariant' },
  { file: 'mv-absolute-path.m3u8', kind: 'multivariant' },
  { file: 'mv-absolute-same-host.m3u8', kind: 'multivariant' },
  { file: 'mv-content-steering.m3u8', kind: 'multivariant' },
  { file: 'mv-crlf.m3u8', kind: 'multivariant' },
  { file: 'mv-bom-crlf.m3u8', kind: 'multivariant' },
  { file: 'vod-ts.m3u8', kind: 'media' },
  { file: 'vod-fmp4-map.m3u8', kind: 'media' },
  { file: 'vod-aes128.m3u8', kind: 'media' },
  { file: 'vod-sample-aes-fairplay.m3u8', kind: 'media', passthroughKeys: 1 },
  { file: 'vod-sample-aes-http.m3u8', kind: 'media' },
  { file: 'vod-widevine-data-uri.m3u8', kind: 'media', passthroughKeys: 2 },
  { file: 'vod-byterange.m3u8', kind: 'media' },
  { file: 'vod-map-byterange.m3u8', kind: 'media' },
  { file: 'iframes-only.m3u8', kind: 'media' },
  { file: 'll-hls.m3u8', kind: 'media' },
  { file: 'll-hls-skip.m3u8', kind: 'media' },
  { file: 'live.m3u8', kind: 'media' },
  { file: 'event.m3u8', kind: 'media' },
  { file: 'discontinuity.m3u8', kind: 'media' },
  { file: 'daterange-pdt.m3u8', kind: 'media' },
  { file: 'interstitials.m3u8', kind: 'media' },
  { file: 'gap.m3u8', kind: 'media' },
  { file: 'define-import.m3u8', kind: 'media', options: { importedVariables: { quality: 'hd 1080', unused: 'x' } } },
  { file: 'define-value-media.m3u8', kind: 'media' },
  { file: 'spaces.m3u8', kind: 'media' },
  { file: 'percent-encoded.m3u8', kind: 'media' },
  { file: 'non-ascii.m3u8', kind: 'media' },
  { file: 'special-chars.m3u8', kind: 'media' },
  { file: 'query-strings.m3u8', kind: 'media' },
  { file: 'absolute-path.m3u8', kind: 'media' },
  { file: 'absolute-same-host.m3u8', kind: 'media' },
  { file: 'dotdot-inside.m3u8', kind: 'media' },
  { file: 'unknown-tags.m3u8', kind: 'media' },
  { file: 'attr-spacing.m3u8', kind: 'media' },
  { file: 'empty-media.m3u8', kind: 'media' },
  { file: 'no-final-newline.m3u8', kind: 'media' },
  { file: 'crlf-media.m3u8', kind: 'media' },
  { file: 'mixed-line-endings.m3u8', kind: 'media' },
  { file: 'bom-media.m3u8', kind: 'media' },
  { file: 'trailing-whitespace.m3u8', kind: 'media' },
];

const HOSTILE: HostileCase[] = [
  { file: 'h-foreign-host.m3u8', code: 'OutOfScope', line: 6, keep: ['foreign-host'] },
  { file: 'h-dotdot-escape.m3u8', code: 'OutOfScope', line: 6, keep: ['outside-root'] },
  { file: 'h-protocol-relative.m3u8', code: 'OutOfScope', line: 4, keep: ['foreign-host'] },
  { file: 'h-javascript-uri.m3u8', code: 'OutOfScope', line: 4, keep: ['not-http'] },
  { file: 'h-data-uri-segment.m3u8', code: 'OutOfScope', line: 3, keep: ['not-http'] },
  { file: 'h-already-signed.m3u8', code: 'OutOfScope', line: 4, keep: ['already-signed'] },
  { file: 'h-already-signed-policy.m3u8', code: 'OutOfScope', line: 3, keep: ['already-signed'] },
  { file: 'h-foreign-key.m3u8', code: 'OutOfScope', line: 3, keep: ['foreign-host'] },
  { file: 'h-foreign-media-group.m3u8', code: 'OutOfScope', line: 2, keep: ['foreign-host'], playlistUrl: MULTIVARIANT_URL },
  { file: 'h-foreign-variant.m3u8', code: 'OutOfScope', line: 5, keep: ['foreign-host'], playlistUrl: MULTIVARIANT_URL },
  { file: 'h-sibling-prefix.m3u8', code: 'OutOfScope', line: 4, keep: ['outside-root'] },
  { file: 'h-encoded-dotdot.m3u8', code: 'OutOfScope', line: 4, keep: ['outside-root'] },
  { file: 'h-userinfo.m3u8', code: 'OutOfScope', line: 4, keep: ['outside-root'] },
  { file: 'h-define-escape.m3u8', code: 'OutOfScope', line: 5, keep: ['outside-root'] },
  { file: 'h-other-scheme-port.m3u8', code: 'OutOfScope', line: 4, keep: ['foreign-host', 'foreign-host', 'not-http'] },
  { file: 'h-foreign-part.m3u8', code: 'OutOfScope', line: 6, keep: ['foreign-host', 'outside-root'] },
  { file: 'h-binary-nul.m3u8', code: 'Binary' },
  { file: 'h-binary-mpegts.m3u8', code: 'Binary' },
  { file: 'h-invalid-utf8.m3u8', code: 'Binary' },
  { file: 'h-missing-extm3u.m3u8', code: 'NotAPlaylist', line: 1 },
  { file: 'h-html.m3u8', code: 'NotAPlaylist', line: 1 },
  { file: 'h-empty.m3u8', code: 'NotAPlaylist', line: 1 },
  { file: 'h-undefined-variable.m3u8', code: 'UndefinedVariable', line: 5 },
  { file: 'h-variable-before-define.m3u8', code: 'UndefinedVariable', line: 4 },
  { file: 'h-queryparam-missing.m3u8', code: 'UndefinedVariable', line: 2, playlistUrl: MULTIVARIANT_URL },
  { file: 'h-import-missing.m3u8', code: 'UndefinedVariable', line: 3 },
  { file: 'h-duplicate-define.m3u8', code: 'Malformed', line: 4 },
  { file: 'h-escaped-quote.m3u8', code: 'Malformed', line: 3 },
  { file: 'h-unterminated-quote.m3u8', code: 'Malformed', line: 3 },
  { file: 'h-unquoted-uri.m3u8', code: 'Malformed', line: 3 },
  { file: 'h-mixed-kinds.m3u8', code: 'Malformed', line: 4 },
  { file: 'h-bad-extinf.m3u8', code: 'Malformed', line: 3 },
  // A valid playlist over a small bound.
  { file: 'vod-ts.m3u8', code: 'TooLarge', options: { maxBytes: 100 } },
];

function read(file: string): string {
  return readFileSync(`${CORPUS}${file}`, 'utf8');
}

function urlOf(c: { file: string; playlistUrl?: string }, kind?: 'multivariant' | 'media'): string {
  return c.playlistUrl ?? (kind === 'multivariant' || c.file.startsWith('mv-') ? MULTIVARIANT_URL : MEDIA_URL);
}

// ---------------------------------------------------------------------------------------------
// An independent URI scanner (regexes over lines; shares nothing with manifest.ts).

interface FoundUri {
  /** Offsets of the URI in the text. */
  start: number;
  end: number;
  text: string;
  role: 'media' | 'playlist';
}

/** The URI attributes of each tag and what they name (RFC 8216 and 8216bis; names are case-sensitive, 4.2). */
const URI_ATTRIBUTES: Record<string, Record<string, 'media' | 'playlist'>> = {
  KEY: { URI: 'media' },
  'SESSION-KEY': { URI: 'media' },
  MAP: { URI: 'media' },
  PART: { URI: 'media' },
  'PRELOAD-HINT': { URI: 'media' },
  'SESSION-DATA': { URI: 'media' },
  MEDIA: { URI: 'playlist' },
  'I-FRAME-STREAM-INF': { URI: 'playlist' },
  'RENDITION-REPORT': { URI: 'playlist' },
  'CONTENT-STEERING': { 'SERVER-URI': 'media' },
  DATERANGE: { 'X-ASSET-URI': 'playlist', 'X-ASSET-LIST': 'media' },
};
const URI_TAG = /^#EXT-X-([A-Z-]+):/; // 1: the tag name after EXT-X-
/** `NAME="..."` as an attribute (after ':' or ','): 1 the name, 2 the value. */
const QUOTED_ATTRIBUTE = /[:,]\s*([A-Z0-9-]+)="([^"]*)"/g;
const NON_HTTP_SCHEME = /^(?!https?:)[a-z][a-z0-9+.-]*:/i;

function scanUris(text: string): FoundUri[] {
  const found: FoundUri[] = [];
  let afterStreamInf = false;
  for (const m of text.matchAll(/[^\n]*/g)) {
    const raw = m[0].replace(/\r$/, '');
    const offset = m.index;
    const line = raw.replace(/^\uFEFF/, '');
    const lineOffset = offset + (raw.length - line.length);
    const trimmed = line.trim();
    if (trimmed === '' || trimmed === '#EXTM3U') continue;
    if (trimmed.startsWith('#')) {
      if (trimmed.startsWith('#EXT-X-STREAM-INF:')) afterStreamInf = true;
      const tag = URI_TAG.exec(trimmed)?.[1];
      const attributes = tag === undefined ? undefined : URI_ATTRIBUTES[tag];
      if (!attributes) continue;
      const isKey = tag === 'KEY' || tag === 'SESSION-KEY';
      if (isKey && /(^|[:,])METHOD=NONE(,|$)/.test(trimmed)) continue;
      for (const a of line.matchAll(QUOTED_ATTRIBUTE)) {
        const role = attributes[a[1] ?? ''];
        if (role === undefined) continue;
        const value = a[2] ?? '';
        if (isKey && NON_HTTP_SCHEME.test(value)) continue;
        const start = lineOffset + a.index + a[0].length - 1 - value.length;
        found.push({ start, end: start + value.length, text: value, role });
      }
      continue;
    }
    const start = lineOffset + line.indexOf(trimmed);
    found.push({ start, end: start + trimmed.length, text: trimmed, role: afterStreamInf ? 'playlist' : 'media' });
    afterStreamInf = false;
  }
  return found;
}

function withPlaceholders(text: string, uris: FoundUri[]): string {
  let out = '';
  let at = 0;
  for (const u of uris) {
    out += `${text.slice(at, u.start)}<URI>`;
    at = u.end;
  }
  return out + text.slice(at);
}

/** EXT-X-DEFINE variables, read the simple way, for the expected URLs. */
function variablesOf(text: string, options: ValidCase['options']): Map<string, string> {
  const vars = new Map<string, string>();
  for (const m of text.matchAll(/^#EXT-X-DEFINE:(.*)$/gm)) {
    const attrs = m[1] ?? '';
    const name = /NAME="([^"]*)"/.exec(attrs)?.[1];
    const value = /VALUE="([^"]*)"/.exec(attrs)?.[1];
    const imported = /IMPORT="([^"]*)"/.exec(attrs)?.[1];
    const query = /QUERYPARAM="([^"]*)"/.exec(attrs)?.[1];
    if (name !== undefined && value !== undefined) vars.set(name, value);
    if (imported !== undefined) vars.set(imported, options?.importedVariables?.[imported] ?? '');
    if (query !== undefined) vars.set(query, options?.queryParams?.get(query) ?? '');
  }
  return vars;
}

function expectedHref(uri: string, vars: Map<string, string>, base: string): string {
  const substituted = uri.replace(/\{\$([A-Za-z0-9_-]+)\}/g, (_m, n: string) => vars.get(n) ?? `{$${n}}`);
  const href = new URL(substituted, base).href;
  return href.split('#')[0] ?? href;
}

// ---------------------------------------------------------------------------------------------
// Signature checks: rebuild the policy as CloudFront would, verify with the public key
// (test/helpers/cloudfront.ts, written independently of the signer).

interface Checked {
  /** The URL without its signing parameters (the resource CloudFront checks). */
  bare: string;
  policy: 'canned' | 'custom';
  signature: string;
}

/** Verifies one signed URL like CloudFront would; returns the URL minus signing parameters. */
function checkSignedUrl(signed: string, k: TestKey, mode: SigningMode): Checked {
  expect(signed.indexOf('?'), `no query in ${signed}`).toBeGreaterThan(0);
  const p = signedUrlPolicy(signed);
  const bare = p.url ?? '';
  expect(p.keyPairId).toBe(k.key.keyPairId);
  expect(p.hash).toBe(k.key.hash);
  expect(p.dateLessThan).toBe(EXPIRES);
  if (p.kind === 'custom') {
    const resource = p.statement.Resource ?? '*';
    expect(resourceMatches(resource, bare), `policy resource ${resource} does not cover ${bare}`).toBe(true);
    if (mode === 'wildcard') expect(resource).toBe(`${ROOT}*`);
  }
  expect(p.kind).toBe(mode === 'wildcard' ? 'custom' : 'canned');
  expect(policyVerifies(p, k.publicKey), `signature does not verify for ${signed}`).toBe(true);
  expect(bare.startsWith(ROOT), `${bare} is not under ${ROOT}`).toBe(true);
  return { bare, policy: p.kind, signature: p.signatureText };
}

/** What CloudFront compares against: the href without a lone `?` or trailing `&`. */
function asRequested(href: string): string {
  return href.replace(/\?&*$|&+$/, '');
}

// ---------------------------------------------------------------------------------------------
// Generated playlists

function bigVod(n: number): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:6', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD'];
  for (let i = 0; i < n; i++) {
    if (i % 100 === 0) lines.push(`#EXT-X-KEY:METHOD=AES-128,URI="keys/key-${i / 100}.bin",IV=0x${i.toString(16).padStart(32, '0')}`);
    lines.push(`#EXTINF:${i === n - 1 ? '2.002' : '6.006'},`, `segments/segment_${String(i).padStart(5, '0')}.ts`);
  }
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}

function bigSingleFile(n: number): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:2', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-MAP:URI="all in one.mp4",BYTERANGE="812@0"'];
  let offset = 812;
  for (let i = 0; i < n; i++) {
    const len = 100_000 + (i % 7) * 1000;
    lines.push('#EXTINF:2.0,', `#EXT-X-BYTERANGE:${len}@${offset}`, 'all in one.mp4');
    offset += len;
  }
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\r\n');
}

const GENERATED: (ValidCase & { text: string })[] = [
  { file: '(generated) 1200-segment TS VOD', kind: 'media', text: bigVod(1200) },
  { file: '(generated) 1200-segment single-file fMP4, CRLF', kind: 'media', text: bigSingleFile(1200) },
];

// ---------------------------------------------------------------------------------------------

describe('corpus', () => {
  it('every file in test/corpus is in a table', () => {
    const listed = new Set([...VALID, ...HOSTILE].map((c) => c.file));
    expect(readdirSync(CORPUS).filter((f) => !listed.has(f))).toEqual([]);
    expect(readdirSync(CORPUS).length).toBeGreaterThanOrEqual(45);
  });
});

const ALL_VALID: (ValidCase & { text: string })[] = [...VALID.map((c) => ({ ...c, text: read(c.file) })), ...GENERATED];

describe.each(ALL_VALID)('$file', (c) => {
  const playlistUrl = urlOf(c, c.kind);
  const inputUris = scanUris(c.text);
  const vars = variablesOf(c.text, c.options);

  it('compiles as the right kind, with m3u8-parser agreeing', () => {
    const compiled = compilePlaylist(c.text, { playlistUrl, rootUrl: ROOT, ...c.options });
    expect(compiled.kind).toBe(c.kind);
    expect(compiled.chunks.length).toBe(compiled.slots.length + 1);
    expect(compiled.slots.length).toBe(inputUris.length);
    expect(compiled.outOfScope).toEqual([]);
    const parser = new Parser();
    parser.push(c.text);
    parser.end();
    expect((parser.manifest.playlists?.length ?? 0) > 0).toBe(c.kind === 'multivariant' && c.text.includes('#EXT-X-STREAM-INF'));
    const durations = parser.manifest.segments.reduce((sum, s) => sum + (typeof s.duration === 'number' ? s.duration : 0), 0);
    expect(compiled.totalDuration).toBeCloseTo(durations, 6);
    expect(compiled.endList).toBe(c.text.includes('#EXT-X-ENDLIST'));
    // Each slot URL is the WHATWG resolution of the (substituted) URI, minus the fragment.
    compiled.slots.forEach((slot, i) => {
      const found = inputUris[i];
      expect(slot.kind).toBe(found?.role);
      expect(slot.url).toBe(expectedHref(found?.text ?? '', vars, playlistUrl));
      if (slot.kind === 'playlist') expect(ROOT + slot.path).toBe(slot.url.split('?')[0]);
    });
  });

  if (c.passthroughKeys !== undefined) {
    it('leaves non-http key URIs (skd://, data:) untouched', () => {
      const { text } = rewritePlaylist(c.text, { playlistUrl, rootUrl: ROOT, ...c.options, signMedia: (u) => u, routePlaylist: (p) => p });
      const keyUris = [...c.text.matchAll(/URI="((?:skd|data):[^"]*)"/g)].map((m) => m[1]);
      expect(keyUris.length).toBe(c.passthroughKeys);
      for (const u of keyUris) expect(text).toContain(`URI="${u}"`);
    });
  }

  describe.each(MODES)('%s mode', (mode) => {
    it.each(KEYS)('$name: every URI rewritten and verified, the rest byte for byte, same presentation', (k) => {
      const signMedia = createMediaSigner({ mode, key: k.key, rootUrl: ROOT, expires: EXPIRES });
      const { text: out } = rewritePlaylist(c.text, {
        playlistUrl,
        rootUrl: ROOT,
        ...c.options,
        signMedia,
        routePlaylist: (path) => ROUTE + path,
      });
      const outputUris = scanUris(out);
      // Same number of URIs, each in the same role: signed CDN URL or hlsgate route.
      expect(outputUris.length).toBe(inputUris.length);
      const signatures = new Set<string>();
      outputUris.forEach((o, i) => {
        const input = inputUris[i];
        expect(o.role).toBe(input?.role);
        const expected = expectedHref(input?.text ?? '', vars, playlistUrl);
        if (o.role === 'playlist') {
          expect(o.text).toBe(ROUTE + expected.slice(ROOT.length).split('?')[0]);
        } else {
          const checked = checkSignedUrl(o.text, k, mode);
          expect(checked.bare).toBe(asRequested(expected));
          signatures.add(checked.signature);
        }
      });
      if (mode === 'wildcard') expect(signatures.size).toBeLessThanOrEqual(1);
      // Nothing else changed.
      expect(withPlaceholders(out, outputUris)).toBe(withPlaceholders(c.text, inputUris));
      // No variable reference left in a rewritten URI.
      for (const o of outputUris) expect(o.text).not.toContain('{$');
      expect(samePresentation(c.text, out)).toEqual({ same: true });
    });
  });
});

describe.each(HOSTILE)('hostile: $file', (c) => {
  const bytes = readFileSync(`${CORPUS}${c.file}`);
  const playlistUrl = urlOf(c);

  it(`refuses with ${c.code}`, () => {
    let error: unknown;
    try {
      compilePlaylist(new Uint8Array(bytes), { playlistUrl, rootUrl: ROOT, ...c.options });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PlaylistError);
    const e = error as PlaylistError;
    expect(e.code).toBe(c.code);
    if (c.line !== undefined) expect(e.line).toBe(c.line);
    if (c.line !== undefined && c.code !== 'NotAPlaylist') {
      // The message quotes the offending line, with the values of signing parameters hidden (it
      // ends up in logs, and a stored signature must not).
      const line = bytes.toString('utf8').split('\n')[c.line - 1]?.replace(/\r$/, '') ?? '';
      const shown = line.replace(/([?&;](?:Signature|Policy|Key-Pair-Id|Expires|Hash-Algorithm|token)=)[^&#"\s]*/gi, '$1[redacted]');
      expect(e.message).toContain(`"${shown.slice(0, 120)}`);
      for (const secret of line.matchAll(/(?:Signature|Policy)=([^&#"\s]{4,})/g)) expect(e.message).not.toContain(secret[1]);
    }
  });

  if (c.keep !== undefined) {
    it('keep mode: left as written and reported', () => {
      const text = bytes.toString('utf8');
      const signMedia = createMediaSigner({ mode: 'wildcard', key: KEYS[1]!.key, rootUrl: ROOT, expires: EXPIRES });
      const { text: out, compiled } = rewritePlaylist(text, { playlistUrl, rootUrl: ROOT, outOfScope: 'keep', signMedia, routePlaylist: (p) => ROUTE + p });
      expect(compiled.outOfScope.map((o) => o.reason)).toEqual(c.keep);
      expect(compiled.outOfScope[0]?.line).toBe(c.line);
      for (const o of compiled.outOfScope) {
        expect(out.split('\n')[o.line - 1]).toBe(text.split('\n')[o.line - 1]);
        expect(out).toContain(o.uri);
      }
      // Everything else is still rewritten.
      expect(compiled.slots.length + compiled.outOfScope.length).toBe(scanUris(text).length);
      expect(samePresentation(text, out)).toEqual({ same: true });
    });
  }
});

describe('input checks', () => {
  const base = { playlistUrl: MEDIA_URL, rootUrl: ROOT };

  it('refuses a playlist over 4 MiB by default (TooLarge), as text and as bytes', () => {
    const big = bigVod(120_000);
    expect(Buffer.byteLength(big)).toBeGreaterThan(4 * 1024 * 1024);
    expect(() => compilePlaylist(big, base)).toThrow(expect.objectContaining({ code: 'TooLarge' }));
    expect(() => compilePlaylist(Buffer.from(big), base)).toThrow(expect.objectContaining({ code: 'TooLarge' }));
  });

  it('counts UTF-8 bytes, not characters, against maxBytes', () => {
    const text = `#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\n${'é'.repeat(60)}.ts\n`;
    expect(text.length).toBeLessThan(130);
    expect(() => compilePlaylist(text, { ...base, maxBytes: 130 })).toThrow(expect.objectContaining({ code: 'TooLarge' }));
    expect(compilePlaylist(text, { ...base, maxBytes: 200 }).slots).toHaveLength(1);
  });

  it('takes bytes and strings alike, keeping a BOM', () => {
    const text = read('bom-media.m3u8');
    const render = { signMedia: (u: string) => `S(${u})`, routePlaylist: (p: string) => p };
    const fromBytes = rewritePlaylist(new Uint8Array(readFileSync(`${CORPUS}bom-media.m3u8`)), { ...base, ...render }).text;
    expect(fromBytes).toBe(rewritePlaylist(text, { ...base, ...render }).text);
    expect(fromBytes.startsWith('\uFEFF#EXTM3U\n')).toBe(true);
  });

  it('tolerates a trailing comma in an attribute list (m3u8-parser does not)', () => {
    const c = compilePlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MAP:URI="init.mp4",\n#EXTINF:6,\ns.m4s\n', base);
    expect(renderPlaylist(c, { signMedia: () => 'S', routePlaylist: (p) => p })).toBe('#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MAP:URI="S",\n#EXTINF:6,\nS\n');
  });

  it('refuses a string with a lone surrogate (Binary)', () => {
    expect(() => compilePlaylist('#EXTM3U\n#EXTINF:1,\na\uD800.ts\n', base)).toThrow(expect.objectContaining({ code: 'Binary' }));
  });

  it('error messages name the tag and truncate a long line', () => {
    const long = `#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MAP:URI="https://evil.example/${'x'.repeat(500)}.mp4"\n`;
    try {
      compilePlaylist(long, base);
      expect.unreachable();
    } catch (err) {
      const e = err as PlaylistError;
      expect(e.code).toBe('OutOfScope');
      expect(e.message).toMatch(/^EXT-X-MAP: /);
      expect(e.message).toContain('line 3');
      expect(e.message.length).toBeLessThan(450);
    }
  });

  it('names what holds the URI in messages for URI lines too', () => {
    expect(() => compilePlaylist(read('h-foreign-host.m3u8'), base)).toThrow(/^media segment URI: URI "https:\/\/evil\.example\/videos\/v1\/seg1\.ts" points to another host/);
    expect(() => compilePlaylist(read('h-foreign-variant.m3u8'), { ...base, playlistUrl: MULTIVARIANT_URL })).toThrow(/^EXT-X-STREAM-INF URI: /);
  });

  it('stays linear on hostile shapes (lines without ":", ",", "=")', () => {
    for (const line of ['#EXT-X-GAP\n', '#EXTINF:6\n', '#EXT-X-KEY:METHOD=NONE\n']) {
      const text = `#EXTM3U\n${line.repeat(Math.floor((4 * 1024 * 1024 - 10) / line.length))}`;
      const t = performance.now();
      compilePlaylist(text, base);
      // Was about 11 s per case when tag parsing searched past the end of the line.
      expect(performance.now() - t).toBeLessThan(2000);
    }
  });

  it('bounds what a playlist can make the server build: URIs (maxUris) and substituted URI length', () => {
    const many = `#EXTM3U\n${'a\n'.repeat(101)}`;
    expect(() => compilePlaylist(many, { ...base, maxUris: 100 })).toThrow(expect.objectContaining({ code: 'TooLarge', line: 102 }));
    expect(compilePlaylist(many, { ...base, maxUris: 101 }).slots).toHaveLength(101);
    const tiny = `#EXTM3U\n${'a\n'.repeat(1_000_000)}`;
    expect(() => compilePlaylist(tiny, base)).toThrow(/more than 100000 URIs/);
    const bomb = `#EXTM3U\n#EXT-X-DEFINE:NAME="v",VALUE="${'x'.repeat(100_000)}"\n#EXTINF:1,\n${'{$v}'.repeat(100_000)}\n`;
    expect(() => compilePlaylist(bomb, base)).toThrow(expect.objectContaining({ code: 'TooLarge', line: 4 }));
    expect(() => compilePlaylist(`#EXTM3U\n#EXTINF:1,\n${'a'.repeat(9000)}.ts\n`, base)).toThrow(expect.objectContaining({ code: 'TooLarge' }));
  });

  it('rejects a bad rootUrl as a programming error', () => {
    expect(() => compilePlaylist('#EXTM3U\n', { playlistUrl: MEDIA_URL, rootUrl: 'https://cdn.example/videos/v1' })).toThrow(TypeError);
    expect(() => compilePlaylist('#EXTM3U\n', { playlistUrl: MEDIA_URL, rootUrl: 'ftp://cdn.example/' })).toThrow(TypeError);
  });
});

describe('compile once, render many', () => {
  const text = read('mv-alt-audio-subs.m3u8');
  const compiled = compilePlaylist(text, { playlistUrl: MULTIVARIANT_URL, rootUrl: ROOT });

  it('renders per request without touching the compiled form', () => {
    const snapshot = JSON.stringify(compiled);
    const a = renderPlaylist(compiled, { signMedia: (u) => `${u}?a`, routePlaylist: (p) => `/a/${p}` });
    const b = renderPlaylist(compiled, { signMedia: (u) => `${u}?b`, routePlaylist: (p) => `/b/${p}` });
    expect(a).not.toBe(b);
    expect(a).toContain('URI="/a/audio/en/index.m3u8"');
    expect(b).toContain('\n/b/video/720p.m3u8\n');
    expect(JSON.stringify(compiled)).toBe(snapshot);
  });

  it('refuses a route or signature that would break the quoted-string or the line', () => {
    expect(() => renderPlaylist(compiled, { signMedia: (u) => u, routePlaylist: (p) => `${p}"` })).toThrow(/routePlaylist/);
    expect(() => renderPlaylist(compiled, { signMedia: (u) => u, routePlaylist: (p) => `${p}\n#EXT-X-ENDLIST` })).toThrow(/routePlaylist/);
  });

  it('reports the request values a compiled form depends on (cache keys)', () => {
    expect(compiled.dependsOn).toEqual({ queryParams: [], imports: [] });
    const q = compilePlaylist(read('mv-define-queryparam.m3u8'), { playlistUrl: MULTIVARIANT_URL, rootUrl: ROOT, queryParams: new URLSearchParams('lang=de') });
    expect(q.dependsOn).toEqual({ queryParams: ['lang'], imports: [] });
    expect(q.variables).toEqual({ lang: 'de', dir: 'hd' });
    expect(q.slots.map((s) => s.url)).toEqual([`${ROOT}audio/de/index.m3u8`, `${ROOT}hd/index.m3u8?lang=de`]);
  });

  it('passes variables from a multivariant playlist to IMPORT in its media playlists', () => {
    const top = compilePlaylist('#EXTM3U\n#EXT-X-DEFINE:NAME="quality",VALUE="sd"\n#EXT-X-STREAM-INF:BANDWIDTH=1\n{$quality}/index.m3u8\n', { playlistUrl: MULTIVARIANT_URL, rootUrl: ROOT });
    expect(top.slots[0]).toEqual({ kind: 'playlist', path: 'sd/index.m3u8', url: `${ROOT}sd/index.m3u8` });
    const media = compilePlaylist(read('define-import.m3u8'), { playlistUrl: MEDIA_URL, rootUrl: ROOT, importedVariables: top.variables });
    expect(media.dependsOn.imports).toEqual(['quality']);
    expect(media.slots.map((s) => s.url)).toEqual([`${ROOT}720p/sd/init.mp4`, `${ROOT}720p/sd/seg0.m4s`, `${ROOT}720p/sd/seg1.m4s`]);
  });

  it('gives playlist paths encoded and relative to the root', () => {
    const c = compilePlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nmy vidéo/index.m3u8?x=1\n', { playlistUrl: MULTIVARIANT_URL, rootUrl: ROOT });
    expect(c.slots[0]).toEqual({ kind: 'playlist', path: 'my%20vid%C3%A9o/index.m3u8', url: `${ROOT}my%20vid%C3%A9o/index.m3u8?x=1` });
  });

  it('reports media playlist facts', () => {
    const c = compilePlaylist(read('event.m3u8'), { playlistUrl: MEDIA_URL, rootUrl: ROOT });
    expect(c).toMatchObject({ kind: 'media', targetDuration: 10, totalDuration: 30, endList: false, playlistType: 'EVENT' });
    const big = compilePlaylist(bigVod(1200), { playlistUrl: MEDIA_URL, rootUrl: ROOT });
    expect(big).toMatchObject({ targetDuration: 6, endList: true, playlistType: 'VOD' });
    expect(big.totalDuration).toBeCloseTo(1199 * 6.006 + 2.002, 6);
    expect(big.slots).toHaveLength(1212);
  });
});

describe('samePresentation', () => {
  const text = read('vod-aes128.m3u8');
  it('spots a changed duration, a dropped segment, a changed key method and a changed attribute', () => {
    expect(samePresentation(text, text.replace('#EXTINF:5.5,', '#EXTINF:5.6,'))).toEqual({ same: false, difference: expect.stringContaining('duration') });
    expect(samePresentation(text, text.replace('#EXTINF:6.0,\nclear7796.ts\n', ''))).toEqual({ same: false, difference: expect.stringContaining('segment count') });
    expect(samePresentation(text, text.replace('METHOD=NONE', 'METHOD=AES-128,URI="x"'))).toMatchObject({ same: false });
    const mv = read('mv-alt-audio-subs.m3u8');
    expect(samePresentation(mv, mv.replace('BANDWIDTH=2560000', 'BANDWIDTH=2560001'))).toEqual({ same: false, difference: expect.stringContaining('BANDWIDTH') });
    expect(samePresentation(mv, mv.replace('NAME="Français"', 'NAME="French"'))).toMatchObject({ same: false });
  });
  it('ignores URIs', () => {
    expect(samePresentation(text, text.replace(/seg(\d+)\.ts/g, 'https://x.example/s$1.ts?sig=1').replace('keys/key1.bin', 'k'))).toEqual({ same: true });
  });
});
