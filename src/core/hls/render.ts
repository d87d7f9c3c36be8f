// The render pass: a compiled playlist's slots filled for one request (see manifest.ts). What goes
// in a slot is a URI (RFC 8216 section 4.1: a URI line, or a quoted-string attribute value, 4.2),
// so it must not hold what would end either.
import type { CompiledPlaylist } from './compile.js';
import { PlaylistError, QUOTE_MAX } from './errors.js';
import type { Slot } from './uris.js';

export interface RenderOptions {
  /** Signed URL for one media URL (a slot's `url`). */
  signMedia: (url: string) => string;
  /** hlsgate URL for a nested playlist, from its path relative to the root prefix. */
  routePlaylist: (path: string) => string;
  /**
   * Bound on the output, in UTF-16 code units (a lower bound of its UTF-8 bytes). Signatures make
   * a playlist grow: a small playlist of many short URIs could render to many megabytes. Rendering
   * stops as soon as the output passes it (TooLarge); nothing is built past the bound.
   */
  maxLength?: number;
}

/** What a rendered slot must never contain: it would end the quoted-string or the line. */
const UNSAFE_IN_SLOT = /["\r\n]/;

/** Fills the slots of a compiled playlist: signs media URLs, routes nested playlists. */
export function renderPlaylist(c: CompiledPlaylist, o: RenderOptions): string {
  let out = c.chunks[0] ?? '';
  const { slots, chunks } = c;
  const maxLength = o.maxLength ?? Infinity;
  for (let i = 0; i < slots.length; i++) {
    if (out.length > maxLength) throw new PlaylistError('TooLarge', `the rewritten playlist is larger than the ${maxLength}-byte response limit`);
    const slot = slots[i] as Slot;
    const value = slot.kind === 'media' ? o.signMedia(slot.url) : o.routePlaylist(slot.path);
    // A '"' would end the quoted-string, a CR/LF the line: the playlist would change meaning.
    if (UNSAFE_IN_SLOT.test(value)) throw new Error(`${slot.kind === 'media' ? 'signMedia' : 'routePlaylist'} returned a value with '"', CR or LF: ${value.slice(0, QUOTE_MAX)}`);
    out += value + (chunks[i + 1] ?? '');
  }
  if (out.length > maxLength) throw new PlaylistError('TooLarge', `the rewritten playlist is larger than the ${maxLength}-byte response limit`);
  return out;
}
