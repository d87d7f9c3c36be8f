// Did a rewrite keep the presentation? Parses the input and the output with m3u8-parser (a second,
// independent parser: manifest.ts has its own tokenizer) and compares everything but the URIs:
// segments (count, durations, byte ranges, discontinuities, timelines, program date times, keys'
// METHOD/IV, maps), parts and preload hints, variants and their attributes (BANDWIDTH,
// RESOLUTION, CODECS...), I-frame playlists, media groups, date ranges, server control, etc.
//
// Used by tests and usable as a debug check in the service. Pure.
import { Parser, type Manifest } from 'm3u8-parser';

export type PresentationCheck = { same: true } | { same: false; difference: string };

/** Keys holding URIs (m3u8-parser's camelCased names and the raw attribute names). */
const URI_KEYS = new Set(['uri', 'URI', 'resolvedUri', 'serverUri', 'SERVER-URI', 'xAssetUri', 'X-ASSET-URI', 'xAssetList', 'X-ASSET-LIST']);
const MAX_VALUE_TEXT = 80;

function parse(text: string): Manifest {
  const parser = new Parser();
  parser.push(text);
  parser.end();
  return parser.manifest;
}

function show(v: unknown): string {
  let s: string;
  if (v instanceof Date) s = v.toISOString();
  else if (typeof v === 'object' && v !== null) s = JSON.stringify(v) ?? Object.prototype.toString.call(v);
  else s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > MAX_VALUE_TEXT ? `${s.slice(0, MAX_VALUE_TEXT)}…` : s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** First path where a and b differ, ignoring URI keys; undefined when equal. */
function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (a instanceof Date || b instanceof Date) {
    if (a instanceof Date && b instanceof Date && a.getTime() === b.getTime()) return undefined;
    return `${path}: ${show(a)} in the input, ${show(b)} in the output`;
  }
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
      const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      if (x.length === y.length && x.every((v, i) => v === y[i])) return undefined;
    }
    return `${path}: binary data differs`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: ${a.length} entries in the input, ${b.length} in the output`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (isRecord(a) && isRecord(b) && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      if (URI_KEYS.has(k)) continue;
      if (!(k in a)) return `${path}.${k}: absent in the input, ${show(b[k])} in the output`;
      if (!(k in b)) return `${path}.${k}: ${show(a[k])} in the input, absent in the output`;
      const d = firstDifference(a[k], b[k], `${path}.${k}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return `${path}: ${show(a)} in the input, ${show(b)} in the output`;
}

/**
 * Compares the presentation of two playlists (typically a playlist and its rewrite). The
 * difference names the first field that differs, e.g. `segments[3].duration: 4 in the input, 5 in
 * the output`.
 */
export function samePresentation(inputText: string, outputText: string): PresentationCheck {
  let input: Manifest;
  let output: Manifest;
  try {
    input = parse(inputText);
    output = parse(outputText);
  } catch (err) {
    return { same: false, difference: `m3u8-parser failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  // The counts first: they are what a reader wants to see when they differ.
  if (input.segments.length !== output.segments.length) {
    return { same: false, difference: `segment count: ${input.segments.length} in the input, ${output.segments.length} in the output` };
  }
  const variantsIn = input.playlists?.length ?? 0;
  const variantsOut = output.playlists?.length ?? 0;
  if (variantsIn !== variantsOut) return { same: false, difference: `variant count: ${variantsIn} in the input, ${variantsOut} in the output` };
  const difference = firstDifference(input, output, 'manifest');
  return difference === undefined ? { same: true } : { same: false, difference };
}
