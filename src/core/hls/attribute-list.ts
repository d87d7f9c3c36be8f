// Attribute lists (RFC 8216 section 4.2): the lexer and readers for the attribute types hlsgate
// reads.
//
// The lexer keeps the offset of every value in the whole text, because the rewriter replaces a
// URI value in place and copies everything else (order, spacing, quotes) byte for byte. It is more
// tolerant than 4.2 where players are (blanks around '=' and ',', empty entries, lower-case names)
// and strict where a mistake would change what a URI is (an unterminated or stray '"').
import type { Fail } from './errors.js';
import { findIn, skipBlanks, trimBlanksEnd } from './text.js';

export interface Attribute {
  name: string;
  /** The value as written; for a quoted-string, without the quotes (HLS has no escapes). */
  value: string;
  quoted: boolean;
  /** Offsets of the value in the whole text (inside the quotes for a quoted-string). */
  start: number;
  end: number;
}

/** AttributeName: [A-Z0-9-] in the RFC; lower case and '_' tolerated. */
const ATTRIBUTE_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * The attributes of text[from, to) (one tag's value, within one line), in order, duplicates kept.
 * Fails with Malformed on a missing '=', a bad name, or a quoted-string that is not terminated or
 * is followed by more than blanks before the ','.
 */
export function parseAttributeList(text: string, from: number, to: number, fail: Fail): Attribute[] {
  const list: Attribute[] = [];
  let i = from;
  while (i < to) {
    i = skipBlanks(text, i, to);
    if (i >= to) break;
    if (text[i] === ',') {
      i++; // tolerate empty entries and a trailing comma
      continue;
    }
    const eq = findIn(text, '=', i, to);
    if (eq === -1) return fail('Malformed', `attribute "${text.slice(i, Math.min(to, i + 40))}" has no "="`);
    const name = text.slice(i, eq).trim();
    if (!ATTRIBUTE_NAME.test(name)) return fail('Malformed', `"${name.slice(0, 40)}" is not an attribute name`);
    i = skipBlanks(text, eq + 1, to);
    i = text[i] === '"' ? readQuoted(text, name, i, to, list, fail) : readUnquoted(text, name, i, to, list, fail);
  }
  return list;
}

/** quoted-string at text[i] === '"': it ends at the next '"'. Returns the offset after its ','. */
function readQuoted(text: string, name: string, i: number, to: number, list: Attribute[], fail: Fail): number {
  const close = findIn(text, '"', i + 1, to);
  if (close === -1) return fail('Malformed', `the quoted-string of ${name} is not terminated`);
  list.push({ name, value: text.slice(i + 1, close), quoted: true, start: i + 1, end: close });
  const next = skipBlanks(text, close + 1, to);
  if (next < to && text[next] !== ',') return fail('Malformed', `unexpected text after the quoted-string of ${name}`);
  return next + 1;
}

/** Any other value (enumerated-string, decimal-integer, resolution...): up to the ',', blanks trimmed. */
function readUnquoted(text: string, name: string, i: number, to: number, list: Attribute[], fail: Fail): number {
  let comma = findIn(text, ',', i, to);
  if (comma === -1) comma = to;
  const end = trimBlanksEnd(text, i, comma);
  const value = text.slice(i, end);
  if (value.includes('"')) return fail('Malformed', `stray '"' in the value of ${name}`);
  list.push({ name, value, quoted: false, start: i, end });
  return comma + 1;
}

// ---------------------------------------------------------------------------------------------
// Readers. Where a name repeats, the first attribute is the one read.

export function findAttribute(list: readonly Attribute[], name: string): Attribute | undefined {
  return list.find((a) => a.name === name);
}

/** The attribute `name` when it is a quoted-string; undefined when absent or written unquoted. */
export function quotedString(list: readonly Attribute[], name: string): Attribute | undefined {
  const a = findAttribute(list, name);
  return a?.quoted ? a : undefined;
}

/**
 * Whether any attribute `name` is the enumerated-string `value`. Every occurrence counts (not only
 * the first) and quotes are tolerated: `METHOD="NONE"` still means no key.
 */
export function enumeratedStringIs(list: readonly Attribute[], name: string, value: string): boolean {
  return list.some((a) => a.name === name && a.value === value);
}

/** decimal-floating-point, unsigned and without exponent (also accepted for decimal-integer tags). */
const DECIMAL = /^\d+(?:\.\d*)?$/;

/** The number written in `text`, or undefined when it is not a decimal-floating-point. */
export function decimalFloatingPoint(text: string): number | undefined {
  return DECIMAL.test(text) ? Number(text) : undefined;
}
