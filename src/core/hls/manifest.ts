// HLS playlist text -> the same text with every URI replaced: media resources by signed CDN URLs,
// nested playlists by hlsgate's own route (DESIGN.md, "HLS: every URI").
//
// Pure: text, URLs and callbacks in, text out. No I/O, no clock, no keys.
//
// Two phases. compilePlaylist() checks the input, tokenizes it line by line (RFC 8216 section 4.1:
// a line is a URI, a blank, a comment or a tag), resolves every URI against the playlist's CDN URL,
// decides whether it may be signed, and returns the text cut into constant chunks around "slots".
// renderPlaylist() fills the slots for one request (signature or route) and concatenates. The
// compiled form depends only on the text and the CompileOptions (see `dependsOn` for the request
// values it read), so it can be cached per S3 ETag and rendered many times.
//
// Everything that is not a URI passes through byte for byte: line endings (LF or CRLF), a BOM,
// unknown tags, comments, attribute order, blank lines, trailing whitespace. Only the URI value of
// a quoted attribute is replaced; the quotes stay.
//
// m3u8-parser is not used here: it does not round-trip text. src/services/presentation.ts uses it
// as a second, independent parser to check that a rewrite kept the presentation.
import { classifyUri, OUT_OF_SCOPE_TEXT, type OutOfScopeReason } from '../scope.js';

// ---------------------------------------------------------------------------------------------
// Public types

export type PlaylistErrorCode = 'NotAPlaylist' | 'Binary' | 'TooLarge' | 'UndefinedVariable' | 'OutOfScope' | 'Malformed';

/** A playlist hlsgate refuses to serve. The message names the tag and quotes the offending line. */
export class PlaylistError extends Error {
  override name = 'PlaylistError';
  readonly code: PlaylistErrorCode;
  /** 1-based line number in the input, when one line is at fault. */
  readonly line?: number;
  constructor(code: PlaylistErrorCode, message: string, line?: number) {
    super(message);
    this.code = code;
    if (line !== undefined) this.line = line;
  }
}

export interface CompileOptions {
  /** Absolute CDN URL of this playlist; its URIs resolve against it. */
  playlistUrl: string;
  /** Absolute CDN URL of the video's root prefix, ending in '/'. Nothing outside it is ever signed. */
  rootUrl: string;
  /** 'refuse' (default): a URI outside the root throws OutOfScope. 'keep': left as written, reported. */
  outOfScope?: 'keep' | 'refuse';
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

/**
 * A place in the output where a URI goes. `media`: a resource to sign (`url` is absolute, the
 * normalized WHATWG href, no fragment). `playlist`: a nested playlist for hlsgate's route (`path`
 * is the encoded path relative to rootUrl, no query, e.g. `720p/index.m3u8`; `url` as for media).
 */
export type Slot = { kind: 'media'; url: string } | { kind: 'playlist'; path: string; url: string };

export type { OutOfScopeReason };

export interface OutOfScopeUri {
  /** 1-based line number. */
  line: number;
  /** The URI as written in the playlist (before variable substitution). */
  uri: string;
  reason: OutOfScopeReason;
}

export interface CompiledPlaylist {
  kind: 'multivariant' | 'media';
  /** Constant text; `chunks.length === slots.length + 1`. Output = chunks[0] + slot0 + chunks[1] + ... */
  chunks: string[];
  slots: Slot[];
  /** URIs left as written ('keep' mode only; 'refuse' throws instead). */
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

export interface RenderOptions {
  /** Signed URL for one media URL (a slot's `url`). */
  signMedia: (url: string) => string;
  /** hlsgate URL for a nested playlist, from its path relative to the root prefix. */
  routePlaylist: (path: string) => string;
}

// ---------------------------------------------------------------------------------------------
// Grammar (RFC 8216 section 4.2 and the 8216bis draft)

/** Lines are split on LF; a CR before the LF belongs to the line ending and is kept. */
const EXTM3U = '#EXTM3U';
const BOM = '\uFEFF';
/** AttributeName: [A-Z0-9-] in the RFC; lower case tolerated. */
const ATTRIBUTE_NAME = /^[A-Za-z0-9_-]+$/;
/** Variable Name of EXT-X-DEFINE: [a-zA-Z0-9-_]. */
const VARIABLE_NAME = /^[A-Za-z0-9_-]+$/;
/** Variable Reference `{$name}` (group 1: the name). */
const VARIABLE_REFERENCE = /\{\$([A-Za-z0-9_-]+)\}/g;
/** A URI with a scheme (group 1: the scheme), RFC 3986 section 3.1. */
const URI_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
/** Lone UTF-16 surrogates: a string that cannot be encoded as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** decimal-floating-point (EXTINF duration, EXT-X-TARGETDURATION). */
const DECIMAL = /^\d+(?:\.\d*)?$/;
/** What a rendered slot must never contain: it would end the quoted-string or the line. */
const UNSAFE_IN_SLOT = /["\r\n]/;

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_URIS = 100_000;
/** CloudFront refuses longer URLs; also bounds what EXT-X-DEFINE substitution may build. */
const MAX_URI_LENGTH = 8192;
const QUOTE_MAX = 120;

/** Tags of a multivariant playlist only (RFC 8216 4.3.4) vs of a media playlist only (4.3.2, 4.3.3). */
const MULTIVARIANT_TAGS = new Set(['EXT-X-STREAM-INF', 'EXT-X-I-FRAME-STREAM-INF', 'EXT-X-MEDIA']);
const MEDIA_TAGS = new Set(['EXTINF', 'EXT-X-TARGETDURATION']);

type UriRole = 'media' | 'playlist' | 'key';

/** Tags whose URI attribute names a resource, and what kind (DESIGN.md "HLS: every URI"). */
const URI_ATTRIBUTE_TAGS: ReadonlyMap<string, UriRole> = new Map<string, UriRole>([
  ['EXT-X-KEY', 'key'],
  ['EXT-X-SESSION-KEY', 'key'],
  ['EXT-X-MAP', 'media'],
  ['EXT-X-PART', 'media'],
  ['EXT-X-PRELOAD-HINT', 'media'],
  ['EXT-X-SESSION-DATA', 'media'],
  ['EXT-X-MEDIA', 'playlist'],
  ['EXT-X-I-FRAME-STREAM-INF', 'playlist'],
  ['EXT-X-RENDITION-REPORT', 'playlist'],
]);

interface Attribute {
  name: string;
  value: string;
  quoted: boolean;
  /** Offsets of the value in the whole text (inside the quotes for a quoted-string). */
  start: number;
  end: number;
}

function quoteLine(line: string): string {
  return `"${line.length > QUOTE_MAX ? `${line.slice(0, QUOTE_MAX)}…` : line}"`;
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Offset of `ch` in text[from, to), or -1. Never searches past `to` (the end of the line): an
 * unbounded indexOf would make a playlist of many lines without that character quadratic.
 */
function findIn(text: string, ch: string, from: number, to: number): number {
  const code = ch.charCodeAt(0);
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === code) return i;
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Input checks

function decodeInput(input: string | Uint8Array, maxBytes: number): string {
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

function assertRootUrl(rootUrl: string, playlistUrl: string): { rootHref: string; rootOrigin: string; base: URL } {
  let root: URL;
  let base: URL;
  try {
    root = new URL(rootUrl);
    base = new URL(playlistUrl);
  } catch {
    throw new TypeError(`rootUrl "${rootUrl}" and playlistUrl "${playlistUrl}" must be absolute URLs`);
  }
  if (root.protocol !== 'https:' && root.protocol !== 'http:') throw new TypeError(`rootUrl "${rootUrl}" must be http(s)`);
  if (root.search || root.hash || root.username || root.password || !root.pathname.endsWith('/')) {
    throw new TypeError(`rootUrl "${rootUrl}" must end in "/" and carry no query, fragment or credentials`);
  }
  return { rootHref: root.href, rootOrigin: root.origin, base };
}

// ---------------------------------------------------------------------------------------------
// Compile

/**
 * Checks and tokenizes a playlist; see the file comment. Throws PlaylistError for input hlsgate
 * refuses, TypeError for bad options (a programming error).
 */
export function compilePlaylist(input: string | Uint8Array, o: CompileOptions): CompiledPlaylist {
  const text = decodeInput(input, o.maxBytes ?? DEFAULT_MAX_BYTES);
  const { rootHref, rootOrigin, base } = assertRootUrl(o.rootUrl, o.playlistUrl);
  const keep = o.outOfScope === 'keep';
  const maxUris = o.maxUris ?? DEFAULT_MAX_URIS;

  const chunks: string[] = [];
  const slots: Slot[] = [];
  const outOfScope: OutOfScopeUri[] = [];
  const variables = new Map<string, string>();
  const dependsOn = { queryParams: [] as string[], imports: [] as string[] };
  let copiedTo = 0; // text before this offset is already in `chunks`
  let totalDuration = 0;
  let targetDuration: number | undefined;
  let endList = false;
  let playlistType: 'VOD' | 'EVENT' | undefined;
  let multivariantLine = 0; // first line of a multivariant-only tag
  let mediaLine = 0; // first line of a media-only tag
  let variantPending = false; // an EXT-X-STREAM-INF waits for its URI line

  let lineNo = 0;
  let line = '';
  let tag = '';

  const fail = (code: PlaylistErrorCode, what: string): never => {
    throw new PlaylistError(code, `${tag ? `${tag}: ` : ''}${what} (line ${lineNo}: ${quoteLine(line)})`, lineNo);
  };

  const substitute = (uri: string): string => {
    if (!uri.includes('{$')) return uri;
    let out = '';
    let copied = 0;
    for (const m of uri.matchAll(VARIABLE_REFERENCE)) {
      const name = m[1] as string;
      const value = variables.get(name);
      if (value === undefined) return fail('UndefinedVariable', `variable "${name}" is used but not defined by an earlier EXT-X-DEFINE`);
      out += uri.slice(copied, m.index) + value;
      copied = m.index + m[0].length;
      // Checked as it grows: a long VALUE referenced many times must not build a huge string.
      if (out.length > MAX_URI_LENGTH) return fail('TooLarge', `URI is longer than ${MAX_URI_LENGTH} characters after variable substitution`);
    }
    return out + uri.slice(copied);
  };

  /** Records the URI written at [start, end) of the text as a slot, or refuses/keeps it. */
  const addUri = (raw: string, start: number, end: number, role: UriRole): void => {
    const uri = substitute(raw);
    const scheme = URI_SCHEME.exec(uri)?.[1]?.toLowerCase();
    let reason: OutOfScopeReason | undefined;
    let href = '';
    let url: URL | undefined;
    if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
      // Key URIs with another scheme (skd:// FairPlay, data: Widevine PSSH) are not fetched from
      // the CDN: they pass through untouched.
      if (role === 'key') return;
      reason = 'not-http';
    } else {
      try {
        url = new URL(uri, base);
      } catch {
        return fail('Malformed', `URI "${raw.slice(0, QUOTE_MAX)}" is not a valid URL`);
      }
      href = url.href;
      const hash = href.indexOf('#'); // '#' elsewhere in a serialized URL is percent-encoded
      if (hash !== -1) href = href.slice(0, hash);
      if (href.length > MAX_URI_LENGTH) return fail('TooLarge', `URI is ${href.length} characters long, over CloudFront's ${MAX_URI_LENGTH}`);
      reason = classifyUri(url, href, { origin: rootOrigin, href: rootHref });
    }
    if (reason !== undefined) {
      if (!keep) return fail('OutOfScope', `URI "${raw.slice(0, QUOTE_MAX)}" ${OUT_OF_SCOPE_TEXT[reason]}; hlsgate only signs URLs under ${rootHref}`);
      outOfScope.push({ line: lineNo, uri: raw, reason });
      return;
    }
    if (slots.length >= maxUris) return fail('TooLarge', `playlist has more than ${maxUris} URIs`);
    chunks.push(text.slice(copiedTo, start));
    copiedTo = end;
    if (role === 'playlist') {
      const rest = href.slice(rootHref.length);
      const query = rest.indexOf('?');
      slots.push({ kind: 'playlist', path: query === -1 ? rest : rest.slice(0, query), url: href });
    } else {
      slots.push({ kind: 'media', url: href });
    }
  };

  /** Parses the attribute-list of the current tag line, from `from` to `to` (offsets in text). */
  const attributes = (from: number, to: number): Attribute[] => {
    const list: Attribute[] = [];
    let i = from;
    while (i < to) {
      while (i < to && isBlank(text.charCodeAt(i))) i++;
      if (i >= to) break;
      if (text[i] === ',') {
        i++; // tolerate empty entries and a trailing comma
        continue;
      }
      const eq = findIn(text, '=', i, to);
      if (eq === -1) return fail('Malformed', `attribute "${text.slice(i, Math.min(to, i + 40))}" has no "="`);
      const name = text.slice(i, eq).trim();
      if (!ATTRIBUTE_NAME.test(name)) return fail('Malformed', `"${name.slice(0, 40)}" is not an attribute name`);
      i = eq + 1;
      while (i < to && isBlank(text.charCodeAt(i))) i++;
      if (text[i] === '"') {
        // quoted-string: no escapes in HLS; it ends at the next '"'.
        const close = findIn(text, '"', i + 1, to);
        if (close === -1) return fail('Malformed', `the quoted-string of ${name} is not terminated`);
        list.push({ name, value: text.slice(i + 1, close), quoted: true, start: i + 1, end: close });
        i = close + 1;
        while (i < to && isBlank(text.charCodeAt(i))) i++;
        if (i < to && text[i] !== ',') return fail('Malformed', `unexpected text after the quoted-string of ${name}`);
        i++;
      } else {
        let comma = findIn(text, ',', i, to);
        if (comma === -1) comma = to;
        let end = comma;
        while (end > i && isBlank(text.charCodeAt(end - 1))) end--;
        const value = text.slice(i, end);
        if (value.includes('"')) return fail('Malformed', `stray '"' in the value of ${name}`);
        list.push({ name, value, quoted: false, start: i, end });
        i = comma + 1;
      }
    }
    return list;
  };

  const define = (attrs: Attribute[]): void => {
    const get = (n: string): Attribute | undefined => attrs.find((a) => a.name === n);
    const nameAttr = get('NAME');
    const importAttr = get('IMPORT');
    const queryAttr = get('QUERYPARAM');
    if ([nameAttr, importAttr, queryAttr].filter((a) => a !== undefined).length !== 1) {
      return fail('Malformed', 'needs exactly one of NAME, IMPORT or QUERYPARAM');
    }
    let name: string;
    let value: string | undefined;
    if (nameAttr) {
      name = nameAttr.value;
      const valueAttr = get('VALUE');
      if (!valueAttr || !valueAttr.quoted) return fail('Malformed', `NAME="${name}" needs a quoted VALUE`);
      value = valueAttr.value;
    } else if (importAttr) {
      name = importAttr.value;
      const imported = o.importedVariables;
      value = imported && Object.hasOwn(imported, name) ? imported[name] : undefined;
      if (value === undefined) return fail('UndefinedVariable', `variable "${name}" is imported but the multivariant playlist does not define it`);
      dependsOn.imports.push(name);
    } else {
      name = (queryAttr as Attribute).value;
      value = o.queryParams?.get(name) ?? undefined;
      if (!value) return fail('UndefinedVariable', `variable "${name}" comes from the query parameter "${name}", which the request does not carry (or is empty)`);
      dependsOn.queryParams.push(name);
    }
    if (!VARIABLE_NAME.test(name)) return fail('Malformed', `"${name.slice(0, 40)}" is not a variable name ([A-Za-z0-9_-])`);
    if (variables.has(name)) return fail('Malformed', `variable "${name}" is defined twice`);
    variables.set(name, value);
  };

  const onTag = (s: number, lineEnd: number): void => {
    // s: offset of '#'. The tag name runs to ':' or the end of the line.
    const colon = findIn(text, ':', s, lineEnd);
    let nameEnd = colon === -1 ? lineEnd : colon;
    while (nameEnd > s && isBlank(text.charCodeAt(nameEnd - 1))) nameEnd--;
    tag = text.slice(s + 1, nameEnd);
    const valueStart = colon === -1 ? lineEnd : colon + 1;

    if (MULTIVARIANT_TAGS.has(tag) && multivariantLine === 0) multivariantLine = lineNo;
    if (MEDIA_TAGS.has(tag) && mediaLine === 0) mediaLine = lineNo;
    if (multivariantLine !== 0 && mediaLine !== 0) {
      return fail('Malformed', `a playlist is either multivariant or media; this one mixes both (line ${multivariantLine} and line ${mediaLine})`);
    }

    switch (tag) {
      case 'EXTINF': {
        const comma = findIn(text, ',', valueStart, lineEnd);
        const duration = text.slice(valueStart, comma === -1 ? lineEnd : comma).trim();
        if (!DECIMAL.test(duration)) return fail('Malformed', `duration "${duration.slice(0, 40)}" is not a decimal number of seconds`);
        totalDuration += Number(duration);
        return;
      }
      case 'EXT-X-TARGETDURATION': {
        const value = text.slice(valueStart, lineEnd).trim();
        if (!DECIMAL.test(value)) return fail('Malformed', `"${value.slice(0, 40)}" is not a number of seconds`);
        targetDuration = Number(value);
        return;
      }
      case 'EXT-X-ENDLIST':
        endList = true;
        return;
      case 'EXT-X-PLAYLIST-TYPE': {
        const value = text.slice(valueStart, lineEnd).trim();
        if (value === 'VOD' || value === 'EVENT') playlistType = value;
        return;
      }
      case 'EXT-X-STREAM-INF':
        variantPending = true;
        return;
      case 'EXT-X-DEFINE':
        define(attributes(valueStart, lineEnd));
        return;
      default:
        break;
    }
    const role = URI_ATTRIBUTE_TAGS.get(tag);
    if (role === undefined) return; // any other tag passes through untouched
    const attrs = attributes(valueStart, lineEnd);
    if (role === 'key' && attrs.some((a) => a.name === 'METHOD' && a.value === 'NONE')) return;
    for (const a of attrs) {
      if (a.name !== 'URI') continue;
      if (!a.quoted) return fail('Malformed', 'URI must be a quoted-string (URI="...")');
      addUri(a.value, a.start, a.end, role);
    }
  };

  // The lexical pass: one line at a time, offsets into `text`.
  let pos = 0;
  for (;;) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl;
    const lineEnd = end > pos && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
    lineNo++;
    let s = pos;
    if (lineNo === 1) {
      if (text.startsWith(BOM)) s++;
      const first = text.slice(s, lineEnd);
      if (first.trimEnd() !== EXTM3U) {
        line = first;
        throw new PlaylistError(
          'NotAPlaylist',
          text.length === 0 ? 'playlist is empty (an HLS playlist starts with #EXTM3U)' : `not an HLS playlist: the first line must be #EXTM3U, got ${quoteLine(first)}`,
          1,
        );
      }
    } else {
      line = text.slice(pos, lineEnd);
      tag = '';
      while (s < lineEnd && isBlank(text.charCodeAt(s))) s++;
      if (s < lineEnd) {
        if (text.charCodeAt(s) === 0x23 /* # */) {
          if (text.startsWith('#EXT', s)) onTag(s, lineEnd);
          // else: a comment
        } else {
          let e = lineEnd;
          while (e > s && isBlank(text.charCodeAt(e - 1))) e--;
          tag = variantPending ? 'EXT-X-STREAM-INF URI' : 'media segment URI'; // for messages
          addUri(text.slice(s, e), s, e, variantPending ? 'playlist' : 'media');
          variantPending = false;
        }
      }
    }
    if (nl === -1) break;
    pos = nl + 1;
  }
  chunks.push(text.slice(copiedTo));

  const compiled: CompiledPlaylist = {
    kind: multivariantLine !== 0 ? 'multivariant' : 'media',
    chunks,
    slots,
    outOfScope,
    totalDuration,
    endList,
    variables: Object.fromEntries(variables),
    dependsOn,
  };
  if (targetDuration !== undefined) compiled.targetDuration = targetDuration;
  if (playlistType !== undefined) compiled.playlistType = playlistType;
  return compiled;
}


// ---------------------------------------------------------------------------------------------
// Render

/** Fills the slots of a compiled playlist: signs media URLs, routes nested playlists. */
export function renderPlaylist(c: CompiledPlaylist, o: RenderOptions): string {
  let out = c.chunks[0] ?? '';
  const { slots, chunks } = c;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i] as Slot;
    const value = slot.kind === 'media' ? o.signMedia(slot.url) : o.routePlaylist(slot.path);
    // A '"' would end the quoted-string, a CR/LF the line: the playlist would change meaning.
    if (UNSAFE_IN_SLOT.test(value)) throw new Error(`${slot.kind === 'media' ? 'signMedia' : 'routePlaylist'} returned a value with '"', CR or LF: ${value.slice(0, QUOTE_MAX)}`);
    out += value + (chunks[i + 1] ?? '');
  }
  return out;
}

/** compilePlaylist then renderPlaylist, for one-off use (CLI, tests). */
export function rewritePlaylist(text: string | Uint8Array, o: CompileOptions & RenderOptions): { text: string; compiled: CompiledPlaylist } {
  const compiled = compilePlaylist(text, o);
  return { text: renderPlaylist(compiled, o), compiled };
}
