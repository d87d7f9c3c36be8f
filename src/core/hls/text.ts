// Playlist text (RFC 8216 section 4.1): the input checks before any parsing (size, NUL, UTF-8)
// and the character helpers the lexers share.
//
// A BOM is tolerated and kept although 4.1 forbids it: players accept it, and the rewriter passes
// every byte that is not a URI through unchanged.
import { PlaylistError } from './errors.js';

/** Default input size bound in bytes (UTF-8). */
export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/** Lone UTF-16 surrogates: a string that cannot be encoded as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The playlist as a string, or PlaylistError TooLarge / Binary. */
export function decodeInput(input: string | Uint8Array, maxBytes: number): string {
  if (typeof input === 'string') {
    // UTF-8 is at most 3 bytes per UTF-16 code unit: skip the count when it cannot exceed.
    if (input.length * 3 > maxBytes) {
      const bytes = Buffer.byteLength(input, 'utf8');
      if (bytes > maxBytes) throw new PlaylistError('TooLarge', `playlist is ${bytes} bytes, over the ${maxBytes}-byte limit`);
    }
    const nul = input.indexOf('\0');
    if (nul !== -1) throw new PlaylistError('Binary', `playlist is not text: NUL character at offset ${nul}`);
    if (LONE_SURROGATE.test(input)) throw new PlaylistError('Binary', 'playlist is not text: it holds characters that are not valid Unicode');
    return input;
  }
  if (input.byteLength > maxBytes) throw new PlaylistError('TooLarge', `playlist is ${input.byteLength} bytes, over the ${maxBytes}-byte limit`);
  const nul = input.indexOf(0);
  if (nul !== -1) throw new PlaylistError('Binary', `playlist is not text: NUL byte at offset ${nul}`);
  try {
    // ignoreBOM: keep a BOM in the text (it passes through like every other byte).
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
  } catch {
    throw new PlaylistError('Binary', 'playlist is not text: it is not valid UTF-8');
  }
}

/** Space or tab: the whitespace tolerated around tags, attributes and URI lines. */
export function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** First offset in [from, to) that is not blank (`to` if none). */
export function skipBlanks(text: string, from: number, to: number): number {
  let i = from;
  while (i < to && isBlank(text.charCodeAt(i))) i++;
  return i;
}

/** Offset just past the last non-blank character of [from, to) (`from` if none). */
export function trimBlanksEnd(text: string, from: number, to: number): number {
  let end = to;
  while (end > from && isBlank(text.charCodeAt(end - 1))) end--;
  return end;
}

/**
 * Offset of `ch` in text[from, to), or -1. Never searches past `to` (the end of the line): an
 * unbounded indexOf would make a playlist of many lines without that character quadratic.
 */
export function findIn(text: string, ch: string, from: number, to: number): number {
  const code = ch.charCodeAt(0);
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === code) return i;
  return -1;
}
