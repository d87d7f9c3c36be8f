// One video's playlists checked as the service would serve them: the top playlist found, parsed by
// the rewriting core, every URI in scope (or passing by policy), every nested playlist found and
// parsed, the total duration and the signature expiry it gets. `hlsgate doctor` runs it on S3,
// `hlsgate import` on the local folder before uploading; the web admin can run it with its deps.
import { SourceError, type PlaylistSource } from '../adapters/s3-playlist-source.js';
import { decodeKeyPath, keyToCdnUrl } from '../core/cdn-url.js';
import { compilePlaylist, PlaylistError, type CompiledPlaylist } from '../core/hls/manifest.js';
import { OUT_OF_SCOPE_TEXT, rootUrlOf } from '../core/scope.js';

export interface VideoCheckDeps {
  /** A playlist's bytes by object key; undefined when there is no such object (other failures throw). */
  load: (key: string) => Promise<Uint8Array | undefined>;
  /** When given, every media URI in scope is checked to exist (import checks its folder; doctor does not list S3). */
  exists?: (key: string) => Promise<boolean>;
  /** The CDN base URL the service signs for (URIs resolve against it). */
  cdnBaseUrl: string;
  maxPlaylistBytes?: number;
  /** FOREIGN_URIS: URIs on other hosts pass unsigned (`pass`, the default) or refuse the playlist. */
  foreignUris?: 'pass' | 'refuse';
  /** The expiry (epoch seconds) the service gives a playlist's signatures (playback's signatureExpiry). */
  expiry: (compiled: Pick<CompiledPlaylist, 'totalDuration' | 'endList' | 'playlistType'>) => number;
}

/** The step of the check a problem belongs to (how the web admin groups them; doctor prints them in order). */
export type VideoCheckStep = 'found' | 'parses' | 'scope' | 'nested' | 'media';

export interface VideoCheckFinding {
  step: VideoCheckStep;
  /** The same sentence as in `problems` / `warnings`. */
  message: string;
}

export interface VideoCheckResult {
  id: string;
  playlistKey: string;
  ok: boolean;
  /** Each a sentence naming the object: what the service would refuse. */
  problems: string[];
  /** What plays but deserves a look (URIs passing unsigned). */
  warnings: string[];
  /** `problems` and `warnings` with the step each belongs to, in the same order. */
  findings: { problems: VideoCheckFinding[]; warnings: VideoCheckFinding[] };
  /** Origins of the URIs that pass through unsigned (FOREIGN_URIS=pass), each once. */
  foreignOrigins: string[];
  /** Playlist keys read (top first). */
  playlists: string[];
  /** Seconds: the longest media playlist's total. */
  totalDuration: number;
  /** Epoch seconds the signatures get (undefined when nothing parsed). */
  expires?: number;
  /** One media URL in scope (for a live probe through the CDN). */
  sampleMediaUrl?: string;
}

const MAX_PLAYLISTS = 200;

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A loader over the service's playlist source (S3, or its caching front): a missing object is undefined. */
export function playlistSourceLoader(source: Pick<PlaylistSource, 'get'>): VideoCheckDeps['load'] {
  return async (key) => {
    try {
      const got = await source.get(key);
      if (got.notModified) throw new Error('unexpected 304');
      return got.body;
    } catch (err) {
      if (err instanceof SourceError && err.code === 'NotFound') return undefined;
      throw err;
    }
  };
}

export async function checkVideo(video: { id: string; playlistKey: string; rootPrefix: string }, deps: VideoCheckDeps): Promise<VideoCheckResult> {
  const result: VideoCheckResult = {
    id: video.id,
    playlistKey: video.playlistKey,
    ok: false,
    problems: [],
    warnings: [],
    findings: { problems: [], warnings: [] },
    foreignOrigins: [],
    playlists: [],
    totalDuration: 0,
  };
  const problem = (step: VideoCheckStep, message: string): void => {
    result.problems.push(message);
    result.findings.problems.push({ step, message });
  };
  const warning = (step: VideoCheckStep, message: string): void => {
    result.warnings.push(message);
    result.findings.warnings.push({ step, message });
  };
  const rootUrl = rootUrlOf(deps.cdnBaseUrl, video.rootPrefix);
  let longest: CompiledPlaylist | undefined;
  const seen = new Set<string>();

  const visit = async (key: string, imported: Record<string, string> | undefined, from: string | undefined): Promise<void> => {
    if (seen.has(key) || seen.size >= MAX_PLAYLISTS) return;
    seen.add(key);
    let body: Uint8Array | undefined;
    try {
      body = await deps.load(key);
    } catch (err) {
      problem(from === undefined ? 'found' : 'nested', `${key}: cannot be read: ${describeError(err)}`);
      return;
    }
    if (body === undefined) {
      if (from === undefined) problem('found', `playlist ${key} not found`);
      else problem('nested', `nested playlist ${key} (named in ${from}) not found`);
      return;
    }
    result.playlists.push(key);
    let compiled: CompiledPlaylist;
    try {
      compiled = compilePlaylist(body, {
        playlistUrl: keyToCdnUrl(deps.cdnBaseUrl, key),
        rootUrl,
        outOfScope: 'keep',
        ...(deps.maxPlaylistBytes !== undefined ? { maxBytes: deps.maxPlaylistBytes } : {}),
        ...(imported ? { importedVariables: imported } : {}),
      });
    } catch (err) {
      if (err instanceof PlaylistError) {
        problem('parses', `${key}: hlsgate would refuse it: ${err.message}`);
        return;
      }
      throw err;
    }
    for (const u of compiled.outOfScope) {
      const where = `${key} line ${u.line} (${u.tag})`;
      if (u.reason === 'not-http') continue; // data:, skd://: never fetched from the CDN
      if (u.reason === 'foreign-host' && (deps.foreignUris ?? 'pass') === 'pass') {
        warning('scope', `${where}: ${u.origin} ${OUT_OF_SCOPE_TEXT[u.reason]}: it passes through unsigned (FOREIGN_URIS=pass)`);
        if (!result.foreignOrigins.includes(u.origin)) result.foreignOrigins.push(u.origin);
        continue;
      }
      problem('scope', `${where}: URI "${u.uri.slice(0, 120)}" ${OUT_OF_SCOPE_TEXT[u.reason]}: hlsgate would refuse the playlist`);
    }
    if (compiled.kind === 'media' && (longest === undefined || compiled.totalDuration > longest.totalDuration)) longest = compiled;
    const nested: string[] = [];
    for (const slot of compiled.slots) {
      if (slot.kind === 'playlist') {
        const rel = decodeKeyPath(slot.path);
        if (rel === undefined) problem('nested', `${key}: nested playlist path "${slot.path}" is not decodable`);
        else nested.push(video.rootPrefix + rel);
        continue;
      }
      if (result.sampleMediaUrl === undefined && !/\.m3u8$/i.test(new URL(slot.url).pathname)) result.sampleMediaUrl = slot.url;
      if (deps.exists) {
        const rel = decodeKeyPath(new URL(slot.url).pathname.slice(new URL(rootUrl).pathname.length));
        const mediaKey = rel === undefined ? undefined : video.rootPrefix + rel;
        if (mediaKey === undefined || !(await deps.exists(mediaKey))) problem('media', `${key}: ${mediaKey ?? slot.url} (named in it) not found`);
      }
    }
    for (const n of nested) await visit(n, compiled.kind === 'multivariant' ? compiled.variables : imported, key);
  };

  await visit(video.playlistKey, undefined, undefined);
  if (longest) {
    result.totalDuration = longest.totalDuration;
    result.expires = deps.expiry(longest);
  }
  if (result.problems.length === 0 && longest === undefined && result.playlists.length > 0) problem('parses', `${video.playlistKey}: no media playlist found under it`);
  result.ok = result.problems.length === 0;
  return result;
}
