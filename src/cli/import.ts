// `hlsgate import <folder|video file> --id ID [--title T] [--prefix P] [--playlist NAME] [--ts]
// [--encrypt] [--app-url URL]`: a video into the bucket and the catalog in one command. A video
// file is transcoded first (transcode.ts); the folder's playlists are checked with the rewriting
// core before anything is sent (src/aws/video-check.ts), then uploaded (src/aws/upload.ts) and
// registered. With no AWS variables it imports into the running embedded demo (through DATA_DIR).
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { isValidVideoId, openCatalog } from '../adapters/catalog.js';
import { loadConfig } from '../config.js';
import { AwsCallError } from '../aws/errors.js';
import { listFolder, uploadFolder } from '../aws/upload.js';
import { checkVideo } from '../aws/video-check.js';
import { parse, str, UsageError } from './args.js';
import type { CliIO, Command } from './command.js';
import { findRunningDemo } from './local-stack.js';
import { createProgress, formatBytes, type ProgressSink } from './progress.js';
import { ToolError, transcode, VIDEO_FILE } from './transcode.js';

const USAGE = '  import <folder|video file> --id ID [--title T] [--prefix P] [--playlist NAME] [--ts] [--encrypt] [--app-url URL]';

interface Target {
  s3: S3Client;
  bucket: string;
  cdnBaseUrl: string;
  databaseUrl: string;
  pageBase: string;
  where: string;
  foreignUris: 'pass' | 'refuse';
}

function target(io: CliIO, appUrl: string | undefined): Target {
  const loaded = loadConfig(io.env);
  if (loaded.kind === 'embedded') {
    const demo = findRunningDemo(io.env);
    return {
      s3: new S3Client({ endpoint: demo.s3Endpoint, forcePathStyle: true, region: demo.region, credentials: demo.credentials }),
      bucket: demo.bucket,
      cdnBaseUrl: demo.edgeUrl,
      databaseUrl: demo.databaseUrl,
      pageBase: appUrl ?? demo.appUrl,
      where: `s3://${demo.bucket} (embedded demo, ${demo.s3Endpoint})`,
      foreignUris: loaded.foreignUris,
    };
  }
  const c = loaded.config;
  return {
    s3: new S3Client({ region: c.s3.region, forcePathStyle: c.s3.forcePathStyle, ...(c.s3.endpoint ? { endpoint: c.s3.endpoint } : {}) }),
    bucket: c.s3.bucket,
    cdnBaseUrl: c.cdnBaseUrl,
    databaseUrl: c.databaseUrl,
    pageBase: appUrl ?? `http://${c.host === '0.0.0.0' ? '127.0.0.1' : c.host}:${c.port}`,
    where: `s3://${c.s3.bucket}`,
    foreignUris: c.foreignUris,
  };
}

export interface ImportOptions {
  /** Where progress goes (process.stderr by default). */
  progress?: ProgressSink;
}

export function createImportCommand(o: ImportOptions = {}): Command {
  return {
    usage: USAGE,
    async run(args, io) {
      const { flags, positionals } = parse(args, {
        id: { type: 'string' },
        title: { type: 'string' },
        prefix: { type: 'string' },
        playlist: { type: 'string' },
        ts: { type: 'boolean' },
        encrypt: { type: 'boolean' },
        'app-url': { type: 'string' },
      });
      const [sourceArg, ...extra] = positionals;
      if (!sourceArg || extra.length) throw new UsageError(`usage: hlsgate${USAGE}`);
      const id = str(flags, 'id');
      if (!id) throw new UsageError('--id is required');
      if (!isValidVideoId(id)) throw new UsageError(`--id: "${id}" must be 1-64 characters: ASCII letters, digits, "_" and "-", starting with a letter or digit`);
      const prefix = str(flags, 'prefix') ?? `videos/${id}/`;
      if (!prefix.endsWith('/') || prefix.startsWith('/') || prefix.split('/').slice(0, -1).some((s) => s === '' || s === '.' || s === '..')) {
        throw new UsageError(`--prefix: "${prefix}" must be a key prefix ending in "/", e.g. videos/${id}/`);
      }
      const source = resolve(sourceArg);
      if (!existsSync(source)) throw new UsageError(`${source}: no such file or folder`);
      const isDir = statSync(source).isDirectory();
      if (!isDir && !VIDEO_FILE.test(source)) throw new UsageError(`${source}: expected an HLS folder or a video file (mp4, mov, mkv, webm)`);
      if (isDir && (flags.ts || flags.encrypt)) throw new UsageError('--ts and --encrypt apply to a video file (a folder is uploaded as it is)');

      const sink: ProgressSink = o.progress ?? { isTTY: process.stderr.isTTY, write: (t) => void process.stderr.write(t), now: io.now };
      let t: Target;
      try {
        t = target(io, str(flags, 'app-url'));
      } catch (err) {
        if (err instanceof Error && err.name !== 'ConfigError') {
          io.stderr(`hlsgate import: ${err.message}`);
          return 1;
        }
        throw err;
      }
      let work: string | undefined;
      try {
        let folder = source;
        let playlistName = str(flags, 'playlist');
        if (!isDir) {
          work = mkdtempSync(join(tmpdir(), 'hlsgate-import-'));
          const bar = createProgress(sink, 'transcode', 'seconds');
          const made = await transcode({ input: source, outDir: work, ts: flags.ts === true, encrypt: flags.encrypt === true, onProgress: (d, total) => bar.update(d, total) });
          bar.finish(`${made.renditions.map((r) => `${r.height}p`).join('/')} ${flags.ts ? 'MPEG-TS' : 'fMP4'}${flags.encrypt ? ' AES-128' : ''}, ${made.info.duration.toFixed(1)} s from ${basename(source)}`);
          folder = work;
          playlistName = made.playlist;
        }
        playlistName ??= ['master.m3u8', 'index.m3u8'].find((n) => existsSync(join(folder, n)));
        if (!playlistName || !existsSync(join(folder, playlistName))) {
          io.stderr(`hlsgate import: no top playlist in ${folder} (master.m3u8 or index.m3u8); name it with --playlist`);
          return 1;
        }
        const playlistKey = prefix + playlistName.split('\\').join('/');

        // The rewriting core reads every playlist as the service will, before anything is sent.
        const local = (key: string): string => join(folder, ...key.slice(prefix.length).split('/'));
        const check = await checkVideo(
          { id, playlistKey, rootPrefix: prefix },
          {
            load: async (key) => (key.startsWith(prefix) && existsSync(local(key)) ? new Uint8Array(await readFile(local(key))) : undefined),
            exists: (key) => Promise.resolve(key.startsWith(prefix) && existsSync(local(key))),
            cdnBaseUrl: t.cdnBaseUrl,
            foreignUris: t.foreignUris,
            // import signs nothing: the expiry is doctor's concern.
            expiry: () => 0,
          },
        );
        for (const w of check.warnings) io.stderr(`hlsgate import: warning: ${w}`);
        if (!check.ok) {
          for (const p of check.problems) io.stderr(`hlsgate import: ${p}`);
          io.stderr(`hlsgate import: ${check.problems.length} problem(s) in ${folder}; nothing was uploaded`);
          return 1;
        }

        const files = await listFolder(folder);
        const bar = createProgress(sink, 'upload', 'bytes');
        const up = await uploadFolder({
          s3: t.s3,
          bucket: t.bucket,
          prefix,
          files,
          onProgress: (p) => bar.update(p.bytesDone, p.bytesTotal, `${p.filesDone}/${p.filesTotal} files`),
        });
        bar.finish(`${up.uploaded.length} uploaded (${formatBytes(up.bytes)}), ${up.skipped.length} already there`);
        io.stdout(`${t.where.replace(/^(s3:\/\/[^ ]+)/, `$1/${prefix}`)}: ${up.uploaded.length} uploaded, ${up.skipped.length} unchanged (${files.length} files, ${check.playlists.length} playlists, ${check.totalDuration.toFixed(1)} s)`);

        const catalog = openCatalog(t.databaseUrl, { clock: io.now });
        try {
          const title = str(flags, 'title');
          const { video, created } = await catalog.upsert({ id, playlistKey, rootPrefix: prefix, ...(title !== undefined ? { title } : {}) });
          io.stdout(`${created ? 'added' : 'updated'} ${video.id}\t${video.playlistKey}\t${video.rootPrefix}\t${video.title}`);
        } finally {
          await catalog.close();
        }
        io.stdout(`${t.pageBase.replace(/\/+$/, '')}/videos/${encodeURIComponent(id)}`);
        return 0;
      } catch (err) {
        if (err instanceof AwsCallError || err instanceof ToolError) {
          io.stderr(`hlsgate import: ${err.message}`);
          return 1;
        }
        throw err;
      } finally {
        t.s3.destroy();
        if (work) rmSync(work, { recursive: true, force: true });
      }
    },
  };
}

export const importCommand: Command = createImportCommand();
