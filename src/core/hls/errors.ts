// Why hlsgate refuses a playlist, and where: the error every HLS module throws.
//
// Messages follow one shape, `TAG: what is wrong (line N: "the line")`, so an operator can find
// the line without the file. The line is quoted truncated: a playlist line can be megabytes long.

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

/** Longest excerpt of a line or URI quoted in a message. */
export const QUOTE_MAX = 120;

// A CloudFront signing parameter (or a token) and its value, in a query string (1: `&name=`).
const SIGNING_VALUE = /([?&;](?:Signature|Policy|Key-Pair-Id|Expires|Hash-Algorithm|token)=)[^&#"\s]*/gi;

/**
 * `text` with the values of signing parameters and tokens replaced: messages quoting a playlist
 * end up in logs, and a stored signature must not.
 */
export function hideSigningValues(text: string): string {
  return text.replace(SIGNING_VALUE, '$1[redacted]');
}

export function quoteLine(line: string): string {
  const shown = hideSigningValues(line);
  return `"${shown.length > QUOTE_MAX ? `${shown.slice(0, QUOTE_MAX)}…` : shown}"`;
}

/** Throws a PlaylistError about the line being read; `what` says what is wrong with it. */
export type Fail = (code: PlaylistErrorCode, what: string) => never;

/** The line being read, for error messages: its number, its text and the tag it holds ('' if none). */
export class LineContext {
  lineNo = 0;
  line = '';
  /** Tag name, or a description such as 'media segment URI'; prefixes messages when set. */
  tag = '';

  /** Bound once, so that lexers and handlers can take it as a plain function. */
  readonly fail: Fail = (code, what) => {
    throw new PlaylistError(code, `${this.tag ? `${this.tag}: ` : ''}${what} (line ${this.lineNo}: ${quoteLine(this.line)})`, this.lineNo);
  };
}
