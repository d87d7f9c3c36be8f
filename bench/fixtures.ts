// Benchmark data: a two-hour VOD (1200 segments of 6 s) in four renditions and its multivariant
// playlist, as an S3 store would hold them.

export const BUCKET = 'hlsgate-bench';
export const VIDEO_ID = 'bench';
export const ROOT_PREFIX = 'videos/bench/';
export const MASTER_KEY = `${ROOT_PREFIX}master.m3u8`;
export const RENDITIONS = ['1080p', '720p', '480p', '360p'] as const;
/** The playlist every HTTP case requests: the 1200-segment 720p media playlist. */
export const BENCH_REL_PATH = '720p/index.m3u8';
export const BENCH_PATH = `/videos/${VIDEO_ID}/media/${BENCH_REL_PATH}`;
export const CDN_BASE_URL = 'https://d111111abcdef8.cloudfront.net';
export const KEY_PAIR_ID = 'KBENCHKEYPAIR1';
export const SEGMENTS = 1200;
export const SEGMENT_SECONDS = 6;

export function mediaPlaylist(rendition: string): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${SEGMENT_SECONDS}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD'];
  for (let i = 0; i < SEGMENTS; i++) lines.push(`#EXTINF:${SEGMENT_SECONDS}.000000,`, `${rendition}_${String(i).padStart(5, '0')}.ts`);
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}

export function multivariantPlaylist(): string {
  const bw: Record<string, [number, string]> = { '1080p': [5_000_000, '1920x1080'], '720p': [2_800_000, '1280x720'], '480p': [1_400_000, '854x480'], '360p': [800_000, '640x360'] };
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const r of RENDITIONS) {
    const [bandwidth, resolution] = bw[r]!;
    lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${bandwidth},RESOLUTION=${resolution},CODECS="avc1.64001f,mp4a.40.2"`, `${r}/index.m3u8`);
  }
  return `${lines.join('\n')}\n`;
}
