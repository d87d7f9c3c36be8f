// `hlsgate token <video-id> [--ttl 1h] [--all]`: a viewer token for testing VIEWER_AUTH=jwt, signed
// with the VIEWER_JWT_SECRET the service checks (the VIEWER_JWT_* variables read as the service reads them).
import { readVariables } from '../config.js';
import { mintViewerToken, ViewerAuthConfigError } from '../adapters/viewer-tokens.js';
import { parse, str, UsageError } from './args.js';
import type { Command } from './command.js';
import { parseDuration } from './time.js';

export const token: Command = {
  usage: `  token <video-id> [--ttl 1h] [--all] [--sub S] [--base-url URL]
                              mint a test viewer token (HS256, VIEWER_JWT_SECRET)`,
  async run(args, io) {
    const { flags, positionals } = parse(args, {
      ttl: { type: 'string' },
      all: { type: 'boolean' },
      sub: { type: 'string' },
      'base-url': { type: 'string' },
    });
    const [id, ...extra] = positionals;
    if (extra.length || (!id && !flags.all)) throw new UsageError('usage: hlsgate token <video-id> [--ttl 1h] [--all] [--sub S] [--base-url URL]');
    const ttlText = str(flags, 'ttl') ?? '1h';
    const ttlSeconds = parseDuration(ttlText.trim().replace(/^\+/, '')) ?? 0;
    if (!(ttlSeconds > 0)) throw new UsageError(`--ttl: "${ttlText}" is not a duration (e.g. 90s, 15m, 1h, 7d)`);
    const env = readVariables(io.env, ['VIEWER_JWT_SECRET', 'VIEWER_JWT_AUDIENCE', 'VIEWER_JWT_ISSUER']);
    const secret = env.VIEWER_JWT_SECRET;
    if (!secret) throw new UsageError('VIEWER_JWT_SECRET is not set: the token is signed with the secret the service checks (VIEWER_AUTH=jwt)');
    const base = (str(flags, 'base-url') ?? io.env.HLSGATE_URL ?? `http://127.0.0.1:${readVariables(io.env, ['PORT']).PORT}`).replace(/\/+$/, '');
    let minted: string;
    try {
      minted = await mintViewerToken({
        secret,
        ...(flags.all || id === undefined ? {} : { videos: [id] }),
        ttlSeconds,
        nowMs: io.now(),
        ...(str(flags, 'sub') ? { subject: str(flags, 'sub') } : {}),
        ...(env.VIEWER_JWT_AUDIENCE ? { audience: env.VIEWER_JWT_AUDIENCE } : {}),
        ...(env.VIEWER_JWT_ISSUER ? { issuer: env.VIEWER_JWT_ISSUER } : {}),
      });
    } catch (err) {
      if (err instanceof ViewerAuthConfigError) throw new UsageError(`VIEWER_JWT_SECRET: ${err.message}`);
      throw err;
    }
    io.stdout(minted);
    io.stderr(
      id
        ? `open ${base}/videos/${encodeURIComponent(id)}?token=${minted}  (valid ${ttlText}${flags.all ? ', all videos' : ''})`
        : `send it as "Authorization: Bearer <token>" or open ${base}/videos/<id>?token=<token>  (valid ${ttlText}, all videos)`,
    );
    return 0;
  },
};
