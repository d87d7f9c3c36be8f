// `hlsgate rewrite [file|-] --playlist-url <url> --expires <time>`: a playlist with every URI in
// scope signed, as the service would serve it.
import { readFileSync } from 'node:fs';
import { createMediaSigner, type SigningMode } from '../core/cloudfront/media-signer.js';
import { compilePlaylist, renderPlaylist } from '../core/hls/manifest.js';
import { hideSigningValues } from '../core/hls/uris.js';
import { uriPolicy } from '../core/scope.js';
import { readVariables } from '../config.js';
import { parse, required, str, UsageError } from './args.js';
import type { Command } from './command.js';
import { KEY_OPTIONS, signingKeyFrom } from './keys.js';
import { parseTime } from './time.js';

export const rewrite: Command = {
  usage: `  rewrite [file|-] --playlist-url <url> --expires <time> [--mode url|wildcard]
       [--media-route <template with {path}>] [--root-url <folder URL>] [--out-of-scope policy|refuse|keep]
       [--key-pair-id ID] [--private-key-file F]`,
  async run(args, io) {
    const { flags, positionals } = parse(args, {
      ...KEY_OPTIONS,
      'playlist-url': { type: 'string' },
      expires: { type: 'string' },
      mode: { type: 'string' },
      'media-route': { type: 'string' },
      'out-of-scope': { type: 'string' },
      'root-url': { type: 'string' },
    });
    const source = positionals[0] ?? '-';
    if (positionals.length > 1) throw new UsageError('rewrite takes at most one file');
    const text = source === '-' ? await io.readStdin() : readFileSync(source);
    const playlistUrl = new URL(required(flags, 'playlist-url'));
    // The root prefix is the playlist's directory unless --root-url widens it (e.g. to the video's
    // folder when a rendition's key lives in a sibling `../keys/`).
    const rootUrl = new URL(str(flags, 'root-url') ?? './', playlistUrl).href;
    if (!rootUrl.endsWith('/') || !playlistUrl.href.startsWith(rootUrl)) {
      throw new UsageError(`--root-url: "${rootUrl}" must be a folder URL (ending in /) containing the playlist`);
    }
    const modeText = str(flags, 'mode') ?? 'wildcard';
    if (modeText !== 'url' && modeText !== 'wildcard') throw new UsageError(`--mode: "${modeText}" is not url or wildcard`);
    const mode: SigningMode = modeText;
    // The service's URI policy by default (FOREIGN_URIS: other hosts pass, or refuse; outside the
    // root refused); `refuse` refuses every unsignable URI, `keep` leaves every one as written.
    const outOfScopeText = str(flags, 'out-of-scope') ?? 'policy';
    if (outOfScopeText !== 'policy' && outOfScopeText !== 'refuse' && outOfScopeText !== 'keep') {
      throw new UsageError(`--out-of-scope: "${outOfScopeText}" is not policy, refuse or keep`);
    }
    const outOfScope = outOfScopeText === 'policy' ? uriPolicy(readVariables(io.env, ['FOREIGN_URIS']).FOREIGN_URIS) : outOfScopeText;
    const now = Math.floor(io.now() / 1000);
    const expires = parseTime(required(flags, 'expires'), now, '--expires');
    const key = signingKeyFrom(flags, io.env);
    const route = str(flags, 'media-route');
    if (route !== undefined && !route.includes('{path}')) throw new UsageError('--media-route must contain {path}');
    const compiled = compilePlaylist(text, { playlistUrl: playlistUrl.href, rootUrl, outOfScope });
    const out = renderPlaylist(compiled, {
      signMedia: createMediaSigner({ mode, key, rootUrl, expires }),
      // Without a route, nested playlist references stay relative to where the output is served.
      routePlaylist: (path) => (route === undefined ? path : route.replaceAll('{path}', path)),
    });
    for (const o of compiled.outOfScope) io.stderr(`warning: line ${o.line}: ${o.tag} left unsigned (${o.reason}): ${hideSigningValues(o.uri)}`);
    io.stdout(out.replace(/\r?\n$/, ''));
    return 0;
  },
};
