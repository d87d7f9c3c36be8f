// playlistFacts: the cheap scan the cache and the playback layer read instead of compiling. Each
// case is a body and the facts it must give; the last test holds the scan to the regular
// expressions it replaced, on generated bodies (line endings, blanks, non-ASCII bytes).
import { describe, expect, it } from 'vitest';
import { playlistFacts, type PlaylistFacts } from '../../../src/core/hls/facts.js';

const VOD = '#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\na.ts\n#EXT-X-ENDLIST\n';
const LIVE = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:4,\na.ts\n';
const MASTER = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv/index.m3u8\n';

function facts(body: string | Uint8Array): PlaylistFacts {
  return playlistFacts(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
}

describe('playlistFacts: kind and target duration', () => {
  it.each<[string, string, PlaylistFacts['kind'], number | undefined]>([
    ['a VOD with ENDLIST', VOD, 'finished', 6],
    ['PLAYLIST-TYPE:VOD without ENDLIST, CRLF', '#EXTM3U\r\n#EXT-X-PLAYLIST-TYPE:VOD\r\n#EXT-X-TARGETDURATION:10\r\n#EXTINF:4,\r\na.ts\r\n', 'finished', 10],
    ['CR-only line endings', '#EXTM3U\r#EXT-X-TARGETDURATION:2\r#EXTINF:2,\ra.ts\r#EXT-X-ENDLIST', 'finished', 2],
    ['blanks around ENDLIST and VOD', '#EXTM3U\n  #EXT-X-PLAYLIST-TYPE: \tVOD \n', 'finished', undefined],
    ['an indented ENDLIST', '#EXTM3U\n#EXTINF:4,\na.ts\n\t#EXT-X-ENDLIST\t\n', 'finished', undefined],
    ['a multivariant playlist with ENDLIST (finished wins)', `${MASTER}#EXT-X-ENDLIST\n`, 'finished', undefined],
    ['a live playlist', LIVE, 'live', 4],
    ['an EVENT playlist', '#EXTM3U\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.ts\n', 'live', 2],
    ['ENDLIST followed by text', '#EXTM3U\n#EXTINF:4,\na.ts\n#EXT-X-ENDLIST x\n', 'live', undefined],
    ['ENDLIST in a comment', '#EXTM3U\n#EXTINF:4,\na.ts\n# #EXT-X-ENDLIST\n', 'live', undefined],
    ['PLAYLIST-TYPE:VODX', '#EXTM3U\n#EXT-X-PLAYLIST-TYPE:VODX\n#EXTINF:4,\na.ts\n', 'live', undefined],
    ['lower-case endlist', '#EXTM3U\n#EXTINF:4,\na.ts\n#ext-x-endlist\n', 'live', undefined],
    ['only a target duration', '#EXTM3U\n#EXT-X-TARGETDURATION:8\n', 'live', 8],
    ['a multivariant playlist', MASTER, 'multivariant', undefined],
    ['renditions only', '#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="en",URI="a.m3u8"\n', 'multivariant', undefined],
    ['I-frame variants only', '#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="i.m3u8"\n', 'multivariant', undefined],
    ['MEDIA-SEQUENCE is not MEDIA', '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:1\n', 'other', undefined],
    ['EXTINFO is not EXTINF', '#EXTM3U\n#EXTINFO:4,\na.ts\n', 'other', undefined],
    ['a tag in a URI line', '#EXTM3U\na.ts#EXTINF:4,\n', 'other', undefined],
    ['not a playlist', 'not a playlist', 'other', undefined],
    ['an empty body', '', 'other', undefined],
    ['the first decimal target duration', '#EXTM3U\n#EXT-X-TARGETDURATION:abc\n#EXT-X-TARGETDURATION: 6.5s\n#EXT-X-TARGETDURATION:9\n', 'live', 6.5],
    ['a target duration with a trailing dot', '#EXTM3U\n#EXT-X-TARGETDURATION:12.\n', 'live', 12],
  ])('%s', (_what, body, kind, targetDuration) => {
    const f = facts(body);
    expect(f.kind).toBe(kind);
    expect(f.targetDuration).toBe(targetDuration);
    expect('targetDuration' in f).toBe(targetDuration !== undefined);
  });

  it('reads a body that is a view into a larger buffer', () => {
    const whole = Buffer.from(`#EXT-X-ENDLIST\n${LIVE}#EXT-X-TARGETDURATION:99\n`);
    const start = whole.indexOf('#EXTM3U');
    expect(playlistFacts(whole.subarray(start, start + LIVE.length))).toEqual({ kind: 'live', targetDuration: 4, importsVariables: false });
  });
});

describe('playlistFacts: importsVariables', () => {
  it.each<[string, string, boolean]>([
    ['IMPORT', '#EXTM3U\n#EXT-X-DEFINE:IMPORT="dir"\n#EXTINF:4,\n{$dir}/a.ts\n', true],
    ['an indented define', '#EXTM3U\n \t#EXT-X-DEFINE:IMPORT="dir"\n', true],
    ['IMPORT after other attributes', '#EXTM3U\r\n#EXT-X-DEFINE:X=1, IMPORT="dir"\r\n', true],
    ['NAME/VALUE', '#EXTM3U\n#EXT-X-DEFINE:NAME="dir",VALUE="a"\n', false],
    ['QUERYPARAM', '#EXTM3U\n#EXT-X-DEFINE:QUERYPARAM="dir"\n', false],
    ['IMPORT as the tail of a name', '#EXTM3U\n#EXT-X-DEFINE:XIMPORT="dir"\n', false],
    ['IMPORT without "="', '#EXTM3U\n#EXT-X-DEFINE:NAME="IMPORT",VALUE="x"\n', false],
    // Accepted as the scan always did: a false positive only costs reading the multivariant playlist.
    ['"IMPORT=" inside a VALUE', '#EXTM3U\n#EXT-X-DEFINE:NAME="a",VALUE="IMPORT=1"\n', true],
    ['a define in a comment', '#EXTM3U\n# #EXT-X-DEFINE:IMPORT="dir"\n', false],
    ['IMPORT on the next line', '#EXTM3U\n#EXT-X-DEFINE:NAME="a",VALUE="b"\nIMPORT="dir"\n', false],
    ['IMPORT in another tag', '#EXTM3U\n#EXT-X-SESSION-DATA:DATA-ID="x",IMPORT="y"\n', false],
    ['IMPORT past a U+2028 (a line end for this check)', '#EXTM3U\n#EXT-X-DEFINE:NAME="a"\u2028IMPORT="b"\n', false],
    ['a define after a U+2029', '#EXTM3U\n#EXT-X-FOO:1\u2029#EXT-X-DEFINE:IMPORT="b"\n', true],
    ['non-ASCII before IMPORT', '#EXTM3U\n#EXT-X-DEFINE:é IMPORT="b"\n', true],
  ])('%s', (_what, body, expected) => {
    expect(facts(body).importsVariables).toBe(expected);
  });
});

// The expressions playlist-cache.ts and load-signed-playlist.ts used before the scan, as the reference.
const REFERENCE = {
  endList: /^[ \t]*#EXT-X-ENDLIST[ \t]*\r?$/m,
  vodType: /^[ \t]*#EXT-X-PLAYLIST-TYPE:[ \t]*VOD[ \t]*\r?$/m,
  targetDuration: /^[ \t]*#EXT-X-TARGETDURATION:[ \t]*(\d+(?:\.\d*)?)/m,
  mediaTag: /^[ \t]*#(?:EXTINF|EXT-X-TARGETDURATION)[:\s]/m,
  multivariantTag: /^[ \t]*#EXT-X-(?:STREAM-INF|I-FRAME-STREAM-INF|MEDIA):/m,
  importDefine: /^[ \t]*#EXT-X-DEFINE:.*\bIMPORT=/m,
};

function referenceFacts(body: Buffer): PlaylistFacts {
  const latin1 = body.toString('latin1');
  const td = REFERENCE.targetDuration.exec(latin1);
  let kind: PlaylistFacts['kind'] = 'other';
  if (REFERENCE.endList.test(latin1) || REFERENCE.vodType.test(latin1)) kind = 'finished';
  else if (REFERENCE.multivariantTag.test(latin1)) kind = 'multivariant';
  else if (REFERENCE.mediaTag.test(latin1)) kind = 'live';
  return { kind, ...(td ? { targetDuration: Number(td[1]) } : {}), importsVariables: REFERENCE.importDefine.test(body.toString('utf8')) };
}

describe('playlistFacts: the same answers as the expressions it replaced', () => {
  const latin1 = (s: string) => Buffer.from(s, 'latin1');
  const heads = ['#EXT-X-TARGETDURATION:', '#EXT-X-DEFINE:', '#EXT-X-ENDLIST', '#EXT-X-PLAYLIST-TYPE:', '#EXTINF', '#EXT-X-MEDIA:', '#EXT-X-STREAM-INF:', ''].map(latin1);
  const pieces = ['VOD', 'EVENT', ':', '6', '.', '5', 'IMPORT=', 'XIMPORT=', ',', '"', ' ', '\t', '\x0b', '\xa0', '\x85', 'a.ts', '#EXTINF', '#EXT-X-ENDLIST']
    .map(latin1)
    .concat([Buffer.from('\u2028'), Buffer.from('\u2029'), Buffer.from([0xe2, 0x80]), Buffer.from([0xf0]), Buffer.from('é')]);
  const endings = ['\n', '\r', '\r\n', ''].map(latin1);
  // A fixed-seed generator (mulberry32): the same bodies on every run.
  let seed = 20261202;
  const rand = (n: number): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const pick = <T>(list: T[]): T => list[rand(list.length)] as T;

  it('on 5000 generated bodies', () => {
    const seen = new Set<string>();
    for (let n = 0; n < 5000; n++) {
      const parts: Buffer[] = [];
      for (let line = rand(6); line > 0; line--) {
        if (rand(3) === 0) parts.push(pick(pieces));
        parts.push(pick(heads));
        for (let k = rand(4); k > 0; k--) parts.push(pick(pieces));
        parts.push(pick(endings));
      }
      const body = Buffer.concat(parts);
      const expected = referenceFacts(body);
      expect(playlistFacts(body), JSON.stringify(body.toString('latin1'))).toEqual(expected);
      seen.add(`${expected.kind} ${expected.importsVariables} ${expected.targetDuration !== undefined}`);
    }
    // The bodies reach every answer, so the comparison means something.
    for (const kind of ['finished', 'live', 'multivariant', 'other']) {
      for (const imports of [true, false]) expect(seen.has(`${kind} ${imports} true`) || seen.has(`${kind} ${imports} false`), `${kind} ${imports}`).toBe(true);
    }
  });
});
