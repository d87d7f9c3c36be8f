// HLS playlist text -> the same text with every URI replaced: media resources by signed CDN URLs,
// nested playlists by hlsgate's own route. This module is the public face of src/core/hls/; the
// work is done in the modules it re-exports.
//
// Pure: text, URLs and callbacks in, text out. No I/O, no clock, no keys.
//
// Two phases. compilePlaylist() (compile.ts) checks the input, reads it line by line (RFC 8216
// section 4.1: a line is a URI, a blank, a comment or a tag), resolves every URI against the
// playlist's CDN URL (uris.ts), decides whether it may be signed (../scope.ts), and returns the
// text cut into constant chunks around "slots". renderPlaylist() (render.ts) fills the slots for
// one request (signature or route) and concatenates. The compiled form depends only on the text and
// the CompileOptions (see `dependsOn` for the request values it read), so it can be cached per S3
// ETag and rendered many times.
//
// Everything that is not a URI passes through byte for byte: line endings (LF or CRLF), a BOM,
// unknown tags, comments, attribute order, blank lines, trailing whitespace. Only the URI value of
// a quoted attribute is replaced; the quotes stay.
//
// Modules: text.ts (input checks, 4.1), tags.ts (the tags read, 4.3), attribute-list.ts (4.2),
// variables.ts (EXT-X-DEFINE, 8216bis), uris.ts (resolution), compile.ts, render.ts, errors.ts, and
// facts.ts (a cheap scan of what a body is, for layers that must not compile it).
//
// m3u8-parser is not used here: it does not round-trip text. The tests use it as a second,
// independent parser to check that a rewrite kept the presentation.
import { compilePlaylist, type CompileOptions, type CompiledPlaylist } from './compile.js';
import { renderPlaylist, type RenderOptions } from './render.js';

export { compilePlaylist, type CompileOptions, type CompiledPlaylist, type OutOfScopeUri } from './compile.js';
export { renderPlaylist, type RenderOptions } from './render.js';
export { PlaylistError, type PlaylistErrorCode } from './errors.js';
export type { Slot } from './uris.js';
export type { OutOfScopeReason } from '../scope.js';
export { playlistFacts, type PlaylistFacts } from './facts.js';

/** compilePlaylist then renderPlaylist, for one-off use (CLI, tests). */
export function rewritePlaylist(text: string | Uint8Array, o: CompileOptions & RenderOptions): { text: string; compiled: CompiledPlaylist } {
  const compiled = compilePlaylist(text, o);
  return { text: renderPlaylist(compiled, o), compiled };
}
