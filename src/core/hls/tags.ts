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

const uri = (role: UriRole): ReadonlyMap<string, UriRole> => new Map([['URI', role]]);

/**
 * Tags with attributes that name a resource: attribute name -> role. Attribute names are
 * case-sensitive (4.2): a lower-case `uri=` is some other attribute and passes through.
 */
export const URI_ATTRIBUTE_TAGS: ReadonlyMap<string, ReadonlyMap<string, UriRole>> = new Map([
  ['EXT-X-KEY', uri('key')], // 4.3.2.4
  ['EXT-X-SESSION-KEY', uri('key')], // 4.3.4.5
  ['EXT-X-MAP', uri('media')], // 4.3.2.5
  ['EXT-X-PART', uri('media')], // 8216bis 4.4.4.9
  ['EXT-X-PRELOAD-HINT', uri('media')], // 8216bis 4.4.5.3
  ['EXT-X-SESSION-DATA', uri('media')], // 4.3.4.4
  ['EXT-X-MEDIA', uri('playlist')], // 4.3.4.1
  ['EXT-X-I-FRAME-STREAM-INF', uri('playlist')], // 4.3.4.3
  ['EXT-X-RENDITION-REPORT', uri('playlist')], // 8216bis 4.4.5.4
  // 8216bis 4.4.6.6: the steering manifest is JSON the player fetches from the CDN: signed.
  ['EXT-X-CONTENT-STEERING', new Map<string, UriRole>([['SERVER-URI', 'media']])],
  // HLS interstitials (8216bis Appendix D): X-ASSET-URI is a playlist (routed), X-ASSET-LIST JSON (signed).
  [
    'EXT-X-DATERANGE',
    new Map<string, UriRole>([
      ['X-ASSET-URI', 'playlist'],
      ['X-ASSET-LIST', 'media'],
    ]),
  ],
]);

/** What error messages call a URI line: after EXT-X-STREAM-INF (4.3.4.2) a variant, else a segment (4.3.2). */
export const VARIANT_URI_LINE = 'EXT-X-STREAM-INF URI';
export const SEGMENT_URI_LINE = 'media segment URI';
