// m3u8-parser ships no types; this declares the part hlsgate uses (test/helpers/presentation.ts).
// The manifest object is loosely shaped (fields appear as tags are met), so it stays a record:
// we only ever walk it generically.
declare module 'm3u8-parser' {
  export interface ParserEvent {
    message: string;
  }
  export interface ParserOptions {
    /** URL of the playlist, for EXT-X-DEFINE QUERYPARAM. */
    uri?: string;
    /** Variables of the multivariant playlist, for EXT-X-DEFINE IMPORT. */
    mainDefinitions?: Record<string, string>;
  }
  export interface Manifest {
    segments: Record<string, unknown>[];
    playlists?: Record<string, unknown>[];
    iFramePlaylists: Record<string, unknown>[];
    mediaGroups?: Record<string, Record<string, Record<string, Record<string, unknown>>>>;
    discontinuityStarts: number[];
    dateRanges: Record<string, unknown>[];
    targetDuration?: number;
    endList?: boolean;
    playlistType?: string;
    definitions?: Record<string, string>;
    [key: string]: unknown;
  }
  export class Parser {
    constructor(options?: ParserOptions);
    manifest: Manifest;
    push(chunk: string): void;
    end(): void;
    on(type: 'info' | 'warn' | 'error', listener: (event: ParserEvent) => void): void;
  }
}
