// Content types the local edge sends, by file extension (what CloudFront would pass on from an
// origin that sets them correctly). Anything unknown is application/octet-stream.
const TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.m4s': 'video/mp4',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.key': 'application/octet-stream',
  '.vtt': 'text/vtt',
  '.webvtt': 'text/vtt',
};

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** The content type for an object key or path (case-insensitive extension). */
export function contentTypeFor(keyOrPath: string): string {
  const name = keyOrPath.slice(keyOrPath.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return DEFAULT_CONTENT_TYPE;
  return TYPES[name.slice(dot).toLowerCase()] ?? DEFAULT_CONTENT_TYPE;
}
