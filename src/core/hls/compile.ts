// The compile pass: playlist text to constant chunks around slots (see manifest.ts).
//
// RFC 8216 section 4.1: a playlist is lines, each a URI, a blank, a comment or a tag (4.3), and
// starts with #EXTM3U (4.3.1.1). One pass reads them in order; a tag is handled by the function
// TAG_HANDLERS names for it, URI lines (4.3.2, 4.3.4.2) and URI attributes become slots (uris.ts
// decides whether they may), EXT-X-DEFINE feeds variables.ts. The state of the pass is one Compiler.
import { KEEP_ALL, REFUSE_ALL, type OutOfScopePolicy, type OutOfScopeReason } from '../scope.js';
import { decimalFloatingPoint, enumeratedStringIs, parseAttributeList } from './attribute-list.js';
import { LineContext, PlaylistError, quoteLine, type Fail } from './errors.js';
import { BOM, EXTM3U, MEDIA_TAGS, MULTIVARIANT_TAGS, SEGMENT_URI_LINE, URI_ATTRIBUTE_TAGS, VARIANT_URI_LINE, type UriRole } from './tags.js';
import { DEFAULT_MAX_BYTES, decodeInput, findIn, skipBlanks, trimBlanksEnd } from './text.js';
import { outOfScopeMessage, resolveUri, uriScope, type Slot, type UriScope } from './uris.js';
import { Variables } from './variables.js';

export interface CompileOptions {
  /** Absolute CDN URL of this playlist; its URIs resolve against it. */
  playlistUrl: string;
  /** Absolute CDN URL of the video's root prefix, ending in '/'. Nothing outside it is ever signed. */
  rootUrl: string;
  /**
   * What to do with a URI that will not be signed, by reason (scope.ts `uriPolicy`): `pass` leaves
   * it as written and reports it in `outOfScope`, `refuse` throws OutOfScope. 'refuse' (default):
   * refuse all; 'keep': pass all.
   */
  outOfScope?: 'keep' | 'refuse' | OutOfScopePolicy;
  /** Input size bound in bytes (UTF-8); default 4 MiB. */
  maxBytes?: number;
  /**
   * Bound on the number of URIs rewritten; default 100 000 (a 4 MiB playlist of real segments
   * holds fewer). Each slot grows by a signature when rendered: without a bound, 4 MiB of
   * one-character URI lines would render to gigabytes.
   */
  maxUris?: number;
  /** Query of the request for the multivariant playlist, for EXT-X-DEFINE QUERYPARAM. */
  queryParams?: URLSearchParams;
  /** Variables of the multivariant playlist, for EXT-X-DEFINE IMPORT in a media playlist. */
  importedVariables?: Record<string, string>;
}

export interface OutOfScopeUri {
  /** 1-based line number. */
  line: number;
  /** The URI as written in the playlist (before variable substitution). */
  uri: string;
  /** Where it was: the tag (`EXT-X-KEY`) or the URI line (`media segment URI`). */
  tag: string;
  /** Scheme and host of the URI as resolved (`https://keys.example.com`, `data:`), never its path or query. */
  origin: string;
  reason: OutOfScopeReason;
}

export interface CompiledPlaylist {
  kind: 'multivariant' | 'media';
  /** Constant text; `chunks.length === slots.length + 1`. Output = chunks[0] + slot0 + chunks[1] + ... */
  chunks: string[];
  slots: Slot[];
  /** URIs left as written (those the policy passes; the others throw instead). */
  outOfScope: OutOfScopeUri[];
  /** EXT-X-TARGETDURATION, media playlists. */
  targetDuration?: number;
  /** Sum of the EXTINF durations, seconds. */
  totalDuration: number;
  /** EXT-X-ENDLIST present. */
  endList: boolean;
  playlistType?: 'VOD' | 'EVENT';
  /** Every EXT-X-DEFINE variable of this playlist (pass them as importedVariables to its media playlists). */
  variables: Record<string, string>;
  /**
   * The request values this compiled form was built from (EXT-X-DEFINE QUERYPARAM names and
   * IMPORT names). A cache keyed by ETag alone is only valid when both lists are empty; otherwise
   * the key must also hold those values.
   */
  dependsOn: { queryParams: string[]; imports: string[] };
}

const DEFAULT_MAX_URIS = 100_000;

/**
 * Checks and tokenizes a playlist; see manifest.ts. Throws PlaylistError for input hlsgate
 * refuses, TypeError for bad options (a programming error).
 */
export function compilePlaylist(input: string | Uint8Array, o: CompileOptions): CompiledPlaylist {
  const text = decodeInput(input, o.maxBytes ?? DEFAULT_MAX_BYTES);
  return new Compiler(text, uriScope(o.rootUrl, o.playlistUrl), o).run();
}

// ---------------------------------------------------------------------------------------------
// Tag handlers. Each gets the tag's value as text[from, to) (after the ':', up to the line ending).

type TagHandler = (c: Compiler, from: number, to: number) => void;

/** EXTINF:<duration>,[<title>] (4.3.2.1): adds to the total duration (it sets the VOD signature expiry). */
function onExtinf(c: Compiler, from: number, to: number): void {
  const comma = findIn(c.text, ',', from, to);
  const duration = c.text.slice(from, comma === -1 ? to : comma).trim();
  const seconds = decimalFloatingPoint(duration);
  if (seconds === undefined) return c.fail('Malformed', `duration "${duration.slice(0, 40)}" is not a decimal number of seconds`);
  c.timing.totalDuration += seconds;
}

/** EXT-X-TARGETDURATION:<s> (4.3.3.1). */
function onTargetDuration(c: Compiler, from: number, to: number): void {
  const value = c.text.slice(from, to).trim();
  const seconds = decimalFloatingPoint(value);
  if (seconds === undefined) return c.fail('Malformed', `"${value.slice(0, 40)}" is not a number of seconds`);
  c.timing.targetDuration = seconds;
}

/** EXT-X-ENDLIST (4.3.3.4). */
function onEndList(c: Compiler): void {
  c.timing.endList = true;
}

/** EXT-X-PLAYLIST-TYPE:<VOD|EVENT> (4.3.3.5); another value counts as no type. */
function onPlaylistType(c: Compiler, from: number, to: number): void {
  const value = c.text.slice(from, to).trim();
  if (value === 'VOD' || value === 'EVENT') c.timing.playlistType = value;
}

/** EXT-X-STREAM-INF (4.3.4.2): the next URI line is a variant playlist, not a segment. */
function onStreamInf(c: Compiler): void {
  c.variantPending = true;
}

/** EXT-X-DEFINE (8216bis 4.4.2.3). */
function onDefine(c: Compiler, from: number, to: number): void {
  c.variables.define(parseAttributeList(c.text, from, to, c.fail), c.fail);
}

/** A tag of URI_ATTRIBUTE_TAGS: each URI attribute becomes a slot (METHOD=NONE: a key tag without a key). */
function uriAttributesHandler(roles: ReadonlyMap<string, UriRole>): TagHandler {
  return (c, from, to) => {
    const attrs = parseAttributeList(c.text, from, to, c.fail);
    if (roles.get('URI') === 'key' && enumeratedStringIs(attrs, 'METHOD', 'NONE')) return;
    for (const a of attrs) {
      const role = roles.get(a.name);
      if (role === undefined) continue;
      if (!a.quoted) return c.fail('Malformed', `${a.name} must be a quoted-string (${a.name}="...")`);
      c.addUri(a.value, a.start, a.end, role);
    }
  };
}

/** Every tag hlsgate reads (the two groups are disjoint); any other tag passes through untouched. */
const TAG_HANDLERS: ReadonlyMap<string, TagHandler> = new Map<string, TagHandler>([
  ['EXTINF', onExtinf],
  ['EXT-X-TARGETDURATION', onTargetDuration],
  ['EXT-X-ENDLIST', onEndList],
  ['EXT-X-PLAYLIST-TYPE', onPlaylistType],
  ['EXT-X-STREAM-INF', onStreamInf],
  ['EXT-X-DEFINE', onDefine],
  ...[...URI_ATTRIBUTE_TAGS].map(([tag, roles]): [string, TagHandler] => [tag, uriAttributesHandler(roles)]),
]);

// ---------------------------------------------------------------------------------------------
// The pass

/** The text cut into chunks around slots, as URIs are found. */
class Splicer {
  readonly chunks: string[] = [];
  readonly slots: Slot[] = [];
  private readonly text: string;
  /** Text before this offset is already in `chunks`. */
  private copiedTo = 0;

  constructor(text: string) {
    this.text = text;
  }

  /** text[start, end) is replaced by `slot` in the output. */
  cut(start: number, end: number, slot: Slot): void {
    this.chunks.push(this.text.slice(this.copiedTo, start));
    this.copiedTo = end;
    this.slots.push(slot);
  }

  /** The chunks, the text after the last slot included. */
  finish(): string[] {
    this.chunks.push(this.text.slice(this.copiedTo));
    return this.chunks;
  }
}

class Compiler {
  readonly text: string;
  /** The line being read, for messages. */
  readonly where = new LineContext();
  readonly fail: Fail = this.where.fail;
  readonly variables: Variables;
  /** What the media playlist tags said, for the compiled form. */
  readonly timing: Pick<CompiledPlaylist, 'totalDuration' | 'targetDuration' | 'endList' | 'playlistType'> = { totalDuration: 0, endList: false };
  /** An EXT-X-STREAM-INF waits for its URI line. */
  variantPending = false;

  private readonly scope: UriScope;
  private readonly policy: OutOfScopePolicy;
  private readonly maxUris: number;
  private readonly out: Splicer;
  private readonly outOfScope: OutOfScopeUri[] = [];
  /** First line of a multivariant-only tag, of a media-only tag; 0: none yet. */
  private multivariantLine = 0;
  private mediaLine = 0;

  constructor(text: string, scope: UriScope, o: CompileOptions) {
    this.text = text;
    this.scope = scope;
    this.policy = o.outOfScope === 'keep' ? KEEP_ALL : o.outOfScope === undefined || o.outOfScope === 'refuse' ? REFUSE_ALL : o.outOfScope;
    this.maxUris = o.maxUris ?? DEFAULT_MAX_URIS;
    this.variables = new Variables(o);
    this.out = new Splicer(text);
  }

  run(): CompiledPlaylist {
    const text = this.text;
    // Lines end at LF; a CR before the LF belongs to the line ending and is kept.
    let pos = 0;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      const end = nl === -1 ? text.length : nl;
      const lineEnd = end > pos && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
      this.where.lineNo++;
      if (this.where.lineNo === 1) this.firstLine(lineEnd);
      else this.line(pos, lineEnd);
      if (nl === -1) break;
      pos = nl + 1;
    }
    return this.result();
  }

  /** Line 1 must be #EXTM3U (after a BOM, before trailing whitespace). */
  private firstLine(lineEnd: number): void {
    const text = this.text;
    const first = text.slice(text.startsWith(BOM) ? 1 : 0, lineEnd);
    if (first.trimEnd() === EXTM3U) return;
    throw new PlaylistError(
      'NotAPlaylist',
      text.length === 0 ? 'playlist is empty (an HLS playlist starts with #EXTM3U)' : `not an HLS playlist: the first line must be #EXTM3U, got ${quoteLine(first)}`,
      1,
    );
  }

  /** Any later line, text[pos, lineEnd): blank, comment, tag or URI. */
  private line(pos: number, lineEnd: number): void {
    const text = this.text;
    this.where.line = text.slice(pos, lineEnd);
    this.where.tag = '';
    const s = skipBlanks(text, pos, lineEnd);
    if (s === lineEnd) return;
    if (text.charCodeAt(s) === 0x23 /* # */) {
      if (text.startsWith('#EXT', s)) this.tag(s, lineEnd);
      return; // else a comment
    }
    const e = trimBlanksEnd(text, s, lineEnd);
    const variant = this.variantPending;
    this.where.tag = variant ? VARIANT_URI_LINE : SEGMENT_URI_LINE;
    this.addUri(text.slice(s, e), s, e, variant ? 'playlist' : 'media');
    this.variantPending = false;
  }

  /** A tag line; `s` is the offset of its '#'. The name runs to ':' or the end of the line. */
  private tag(s: number, lineEnd: number): void {
    const colon = findIn(this.text, ':', s, lineEnd);
    const tag = this.text.slice(s + 1, trimBlanksEnd(this.text, s, colon === -1 ? lineEnd : colon));
    this.where.tag = tag;
    this.noteKind(tag);
    TAG_HANDLERS.get(tag)?.(this, colon === -1 ? lineEnd : colon + 1, lineEnd);
  }

  /** Refuses a playlist holding tags of both kinds: which URIs are playlists would be ambiguous. */
  private noteKind(tag: string): void {
    if (this.multivariantLine === 0 && MULTIVARIANT_TAGS.has(tag)) this.multivariantLine = this.where.lineNo;
    if (this.mediaLine === 0 && MEDIA_TAGS.has(tag)) this.mediaLine = this.where.lineNo;
    if (this.multivariantLine !== 0 && this.mediaLine !== 0) {
      this.fail('Malformed', `a playlist is either multivariant or media; this one mixes both (line ${this.multivariantLine} and line ${this.mediaLine})`);
    }
  }

  /** Records the URI written at [start, end) of the text as a slot, or refuses/keeps it. */
  addUri(raw: string, start: number, end: number, role: UriRole): void {
    const verdict = resolveUri(this.variables.substitute(raw, this.fail), raw, role, this.scope, this.fail);
    if (verdict.kind === 'pass-through') return;
    if (verdict.kind === 'out-of-scope') {
      if (this.policy[verdict.reason] === 'refuse') return this.fail('OutOfScope', outOfScopeMessage(raw, verdict.reason, this.scope.rootHref));
      this.outOfScope.push({ line: this.where.lineNo, uri: raw, tag: this.where.tag, origin: verdict.origin, reason: verdict.reason });
      return;
    }
    if (this.out.slots.length >= this.maxUris) return this.fail('TooLarge', `playlist has more than ${this.maxUris} URIs`);
    this.out.cut(start, end, verdict.slot);
  }

  private result(): CompiledPlaylist {
    const { totalDuration, endList, targetDuration, playlistType } = this.timing;
    const compiled: CompiledPlaylist = {
      kind: this.multivariantLine !== 0 ? 'multivariant' : 'media',
      chunks: this.out.finish(),
      slots: this.out.slots,
      outOfScope: this.outOfScope,
      totalDuration,
      endList,
      variables: Object.fromEntries(this.variables.values),
      dependsOn: this.variables.dependsOn,
    };
    if (targetDuration !== undefined) compiled.targetDuration = targetDuration;
    if (playlistType !== undefined) compiled.playlistType = playlistType;
    return compiled;
  }
}
