// `hlsgate import <video file>`: the file transcoded with ffmpeg (on PATH) into an HLS ladder sized
// to the source: H.264/AAC renditions of 360p/720p/1080p (those not above the source), 6 s
// segments, fMP4 (or MPEG-TS), optionally AES-128 with a random key stored beside the segments.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const VIDEO_FILE = /\.(mp4|m4v|mov|mkv|webm)$/i;

export interface SourceInfo {
  width: number;
  height: number;
  duration: number;
  hasAudio: boolean;
}

export interface Rendition {
  height: number;
  videoBitrate: number;
}

const LADDER: Rendition[] = [
  { height: 360, videoBitrate: 800_000 },
  { height: 720, videoBitrate: 2_800_000 },
  { height: 1080, videoBitrate: 5_000_000 },
];

/** The renditions for a source: the ladder's steps not above its height (at least one). */
export function ladderFor(height: number): Rendition[] {
  const fit = LADDER.filter((r) => r.height <= height);
  if (fit.length) return fit;
  const h = Math.max(2, height - (height % 2));
  return [{ height: h, videoBitrate: Math.max(200_000, Math.round((800_000 * h) / 360)) }];
}

export class ToolError extends Error {
  override name = 'ToolError';
}

function run(cmd: string, args: string[], onStdoutLine?: (line: string) => void): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    let child;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      stdout += onStdoutLine ? '' : text;
      if (onStdoutLine) {
        pending += text;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const l of lines) onStdoutLine(l.trim());
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-8000);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? new ToolError(`${cmd} is not installed (or not on PATH): install ffmpeg (e.g. apt-get install ffmpeg, brew install ffmpeg) or import an HLS folder instead`) : err);
    });
    child.on('close', (code) => {
      if (code === 0) resolveRun({ stdout, stderr });
      else reject(new ToolError(`${cmd} failed (exit ${code ?? 'signal'}): ${stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 400)}`));
    });
  });
}

export async function probe(file: string): Promise<SourceInfo> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,width,height:format=duration', '-of', 'json', file]);
  const info = JSON.parse(stdout) as { streams?: { codec_type?: string; width?: number; height?: number }[]; format?: { duration?: string } };
  const video = info.streams?.find((s) => s.codec_type === 'video');
  if (!video?.width || !video.height) throw new ToolError(`${file} has no video stream ffmpeg can read`);
  return { width: video.width, height: video.height, duration: Number(info.format?.duration ?? 0) || 0, hasAudio: (info.streams ?? []).some((s) => s.codec_type === 'audio') };
}

export interface TranscodeOptions {
  input: string;
  outDir: string;
  /** MPEG-TS segments instead of fMP4. */
  ts?: boolean;
  /** AES-128 with a random key written to `<outDir>/enc.key`. */
  encrypt?: boolean;
  /** Seconds of output written so far, of the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface TranscodeResult {
  info: SourceInfo;
  renditions: Rendition[];
  /** The top playlist's name in outDir. */
  playlist: string;
}

/** The ffmpeg arguments for a transcode (exported for tests). */
export function ffmpegArgs(o: TranscodeOptions, info: SourceInfo, renditions: Rendition[], keyInfoFile?: string): string[] {
  const ext = o.ts ? 'ts' : 'm4s';
  const args = ['-hide_banner', '-y', '-nostats', '-progress', 'pipe:1', '-i', o.input];
  renditions.forEach(() => {
    args.push('-map', '0:v:0');
    if (info.hasAudio) args.push('-map', '0:a:0');
  });
  args.push('-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p', '-sc_threshold', '0', '-force_key_frames', 'expr:gte(t,n_forced*2)');
  renditions.forEach((r, i) => {
    args.push(`-filter:v:${i}`, `scale=-2:${r.height}`, `-b:v:${i}`, String(r.videoBitrate), `-maxrate:v:${i}`, String(Math.round(r.videoBitrate * 1.1)), `-bufsize:v:${i}`, String(r.videoBitrate * 2));
  });
  if (info.hasAudio) args.push('-c:a', 'aac', '-b:a', '128k', '-ac', '2');
  args.push('-f', 'hls', '-hls_time', '6', '-hls_playlist_type', 'vod', '-hls_flags', 'independent_segments');
  args.push('-hls_segment_type', o.ts ? 'mpegts' : 'fmp4');
  if (!o.ts) args.push('-hls_fmp4_init_filename', 'init.mp4');
  if (keyInfoFile) args.push('-hls_key_info_file', keyInfoFile);
  args.push('-hls_segment_filename', join(o.outDir, 'v%v', `seg_%03d.${ext}`));
  args.push('-master_pl_name', 'master.m3u8');
  args.push('-var_stream_map', renditions.map((_, i) => (info.hasAudio ? `v:${i},a:${i}` : `v:${i}`)).join(' '));
  args.push(join(o.outDir, 'v%v', 'index.m3u8'));
  return args;
}

export async function transcode(o: TranscodeOptions): Promise<TranscodeResult> {
  const info = await probe(o.input);
  const renditions = ladderFor(info.height);
  mkdirSync(o.outDir, { recursive: true });
  let keyInfoFile: string | undefined;
  if (o.encrypt) {
    const keyFile = join(o.outDir, 'enc.key');
    writeFileSync(keyFile, randomBytes(16));
    keyInfoFile = join(o.outDir, '.keyinfo');
    // Line 1: the URI written in the variant playlists (v<N>/index.m3u8 -> the key beside them, one level up).
    writeFileSync(keyInfoFile, `../enc.key\n${keyFile}\n${randomBytes(16).toString('hex')}\n`);
  }
  await run('ffmpeg', ffmpegArgs(o, info, renditions, keyInfoFile), (line) => {
    const m = /^out_time_(?:us|ms)=(\d+)$/.exec(line);
    if (m && o.onProgress) o.onProgress(Math.min(info.duration, Number(m[1]) / 1e6), info.duration);
    if (line === 'progress=end' && o.onProgress) o.onProgress(info.duration, info.duration);
  });
  return { info, renditions, playlist: 'master.m3u8' };
}
