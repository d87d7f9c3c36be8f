// What other layers need to know about a playlist body without compiling it: how long it may be
// cached and whether compiling it needs the multivariant playlist's variables. RFC 8216 sections
// 4.3.2.1 (EXTINF), 4.3.3 (EXT-X-TARGETDURATION, EXT-X-ENDLIST, EXT-X-PLAYLIST-TYPE), 4.3.4 (the
// multivariant tags), 8216bis 4.4.2.3 (EXT-X-DEFINE IMPORT).
//
// A cheap scan, not a parse: no decoding, no validation (a body compile.ts would refuse still gets
// facts), a handful of native byte searches for the tags that matter, each kept only where it
// starts a line (after blanks). Lines end at LF or CR; for the EXT-X-DEFINE check also at
// U+2028/U+2029: the answers are exactly those of the regular expressions this scan replaced (one
// of them ran on the UTF-8 text, where those end a line).
import { MEDIA_TAGS, MULTIVARIANT_TAGS } from './tags.js';

export interface PlaylistFacts {
  /**
   * `finished`: EXT-X-ENDLIST or EXT-X-PLAYLIST-TYPE:VOD (wins over the others). `multivariant`:
   * a variant or rendition tag. `live`: a media playlist still growing (EXTINF or
   * EXT-X-TARGETDURATION). `other`: none of these (not a playlist, or an empty one).
   */
  kind: 'finished' | 'live' | 'multivariant' | 'other';
  /** The first EXT-X-TARGETDURATION whose value starts with a decimal number, in seconds. */
  targetDuration?: number;
  /** An EXT-X-DEFINE with an IMPORT attribute: compiling needs the multivariant playlist's variables. */
  importsVariables: boolean;
}

const LF = 0x0a;
const CR = 0x0d;
/** U+2028 and U+2029 in UTF-8: E2 80 A8, E2 80 A9. */
const LS_PS_LEAD = 0xe2;

/** What ends a media tag's name: ':' or whitespace (space, TAB, VT, FF, NBSP in Latin-1, CR, LF). */
const NAME_END = new Set([0x3a /* : */, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0]);

/** The facts of a body; linear in its size, whatever its shape. */
export function playlistFacts(body: Uint8Array): PlaylistFacts {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let kind: PlaylistFacts['kind'] = 'other';
  if (someTagLine(buf, ENDLIST, isLineEnd) || someTagLine(buf, PLAYLIST_TYPE, isVod)) kind = 'finished';
  else if (MULTIVARIANT_PREFIXES.some((tag) => someTagLine(buf, tag, always))) kind = 'multivariant';
  else if (MEDIA_PREFIXES.some((tag) => someTagLine(buf, tag, endsName))) kind = 'live';
  const targetDuration = firstTargetDuration(buf);
  return { kind, ...(targetDuration === undefined ? {} : { targetDuration }), importsVariables: importsVariables(buf) };
}

// The same tags as compile.ts's kind check. A multivariant tag counts only with its ':' (they all
// carry attributes); a media tag when its name ends (endsName).
const MULTIVARIANT_PREFIXES = [...MULTIVARIANT_TAGS].map((tag) => needle(`#${tag}:`));
const MEDIA_PREFIXES = [...MEDIA_TAGS].map((tag) => needle(`#${tag}`));
const ENDLIST = needle('#EXT-X-ENDLIST');
const PLAYLIST_TYPE = needle('#EXT-X-PLAYLIST-TYPE:');
const TARGET_DURATION = needle('#EXT-X-TARGETDURATION:');
const DEFINE = needle('#EXT-X-DEFINE:');
const IMPORT = needle('IMPORT=');

/** Searched for as bytes: a string needle would be encoded again on every indexOf. */
function needle(ascii: string): Buffer {
  return Buffer.from(ascii, 'latin1');
}

/** What follows a tag (from offset `at`) for the line to count. */
type Rest = (buf: Buffer, at: number) => boolean;

const always: Rest = () => true;

/** Only blanks up to the end of the line. */
const isLineEnd: Rest = (buf, at) => {
  const i = skipBlanks(buf, at);
  return i >= buf.length || buf[i] === LF || buf[i] === CR;
};

const isVod: Rest = (buf, at) => {
  const i = skipBlanks(buf, at);
  return buf[i] === 0x56 && buf[i + 1] === 0x4f && buf[i + 2] === 0x44 /* VOD */ && isLineEnd(buf, i + 3);
};

/** The tag name ends here ('#EXTINF' is not '#EXTINFO'); at the very end of the body it does not. */
const endsName: Rest = (buf, at) => at < buf.length && NAME_END.has(buf[at] as number);

/** Whether `tag` starts some line (after blanks) with `rest` true of what follows it. */
function someTagLine(buf: Buffer, tag: Buffer, rest: Rest): boolean {
  for (let p = buf.indexOf(tag); p !== -1; p = buf.indexOf(tag, p + 1)) {
    if (startsLine(buf, p, false) && rest(buf, p + tag.length)) return true;
  }
  return false;
}

function firstTargetDuration(buf: Buffer): number | undefined {
  for (let p = buf.indexOf(TARGET_DURATION); p !== -1; p = buf.indexOf(TARGET_DURATION, p + 1)) {
    if (!startsLine(buf, p, false)) continue;
    const from = skipBlanks(buf, p + TARGET_DURATION.length);
    let i = skipDigits(buf, from);
    if (i === from) continue;
    if (buf[i] === 0x2e /* . */) i = skipDigits(buf, i + 1);
    return Number(buf.toString('latin1', from, i));
  }
  return undefined;
}

/** An EXT-X-DEFINE line holding `IMPORT=` after the ':', not as the tail of a longer name. */
function importsVariables(buf: Buffer): boolean {
  // `next` only moves forward: each byte is searched a bounded number of times, however many
  // EXT-X-DEFINE lines there are.
  let next = buf.indexOf(IMPORT);
  for (let p = buf.indexOf(DEFINE); p !== -1 && next !== -1; p = buf.indexOf(DEFINE, p + 1)) {
    if (!startsLine(buf, p, true)) continue;
    const from = p + DEFINE.length;
    if (next < from) next = buf.indexOf(IMPORT, from);
    const end = unicodeLineEnd(buf, from);
    for (; next !== -1 && next < end; next = buf.indexOf(IMPORT, next + 1)) {
      if (!isWordByte(buf[next - 1] as number)) return true;
    }
  }
  return false;
}

/** Whether only blanks stand between offset `p` and the start of its line. */
function startsLine(buf: Buffer, p: number, unicodeLines: boolean): boolean {
  let i = p - 1;
  while (i >= 0 && (buf[i] === 0x20 || buf[i] === 0x09)) i--;
  if (i < 0 || buf[i] === LF || buf[i] === CR) return true;
  return unicodeLines && i >= 2 && (buf[i] === 0xa8 || buf[i] === 0xa9) && buf[i - 1] === 0x80 && buf[i - 2] === LS_PS_LEAD;
}

/** Offset of the end of the line holding `from`, with U+2028/U+2029 as line ends too. */
function unicodeLineEnd(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length; i++) {
    const b = buf[i];
    if (b === LF || b === CR) return i;
    if (b === LS_PS_LEAD && buf[i + 1] === 0x80 && (buf[i + 2] === 0xa8 || buf[i + 2] === 0xa9)) return i;
  }
  return buf.length;
}

function skipBlanks(buf: Buffer, from: number): number {
  let i = from;
  while (buf[i] === 0x20 || buf[i] === 0x09) i++;
  return i;
}

function skipDigits(buf: Buffer, from: number): number {
  let i = from;
  while (i < buf.length && (buf[i] as number) >= 0x30 && (buf[i] as number) <= 0x39) i++;
  return i;
}

/** [A-Za-z0-9_]: what a regular expression's \b reads as a word character. */
function isWordByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f;
}
