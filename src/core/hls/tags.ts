// The HLS tags hlsgate reads (RFC 8216 section 4.3 and the 8216bis draft): which ones decide the
// playlist's kind, and which ones carry a URI attribute, of what role. Every other tag passes
// through untouched.

/** First line of every playlist (4.3.1.1). */
export const EXTM3U = '#EXTM3U';
export const BOM = '\uFEFF';

/** Tags of a multivariant playlist only (4.3.4) vs of a media playlist only (4.3.2, 4.3.3). */
export const MULTIVARIANT_TAGS: ReadonlySet<string> = new Set(['EXT-X-STREAM-INF', 'EXT-X-I-FRAME-STREAM-INF', 'EXT-X-MEDIA']);
export const MEDIA_TAGS: ReadonlySet<string> = new Set(['EXTINF', 'EXT-X-TARGETDURATION']);

/**
 * What a URI names. `media`: a resource the player fetches from the CDN (signed). `playlist`: a
 * nested playlist (routed back through hlsgate). `key`: a key; like media, unless its scheme is not
 * http(s) (skd://, data:), then it is not fetched from the CDN and passes through.
 */
export type UriRole = 'media' | 'playlist' | 'key';

/** Tags whose URI attribute names a resource, and its role. */
export const URI_ATTRIBUTE_TAGS: ReadonlyMap<string, UriRole> = new Map<string, UriRole>([
  ['EXT-X-KEY', 'key'], // 4.3.2.4
  ['EXT-X-SESSION-KEY', 'key'], // 4.3.4.5
  ['EXT-X-MAP', 'media'], // 4.3.2.5
  ['EXT-X-PART', 'media'], // 8216bis
  ['EXT-X-PRELOAD-HINT', 'media'], // 8216bis
  ['EXT-X-SESSION-DATA', 'media'], // 4.3.4.4
  ['EXT-X-MEDIA', 'playlist'], // 4.3.4.1
  ['EXT-X-I-FRAME-STREAM-INF', 'playlist'], // 4.3.4.3
  ['EXT-X-RENDITION-REPORT', 'playlist'], // 8216bis
]);

/** What error messages call a URI line: after EXT-X-STREAM-INF (4.3.4.2) a variant, else a segment (4.3.2). */
export const VARIANT_URI_LINE = 'EXT-X-STREAM-INF URI';
export const SEGMENT_URI_LINE = 'media segment URI';
