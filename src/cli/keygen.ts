// `hlsgate keygen [--type rsa|ecdsa] [--out DIR] [--force]`: a CloudFront key pair as PEM files.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, str, UsageError } from './args.js';
import type { Command } from './command.js';

export const keygen: Command = {
  usage: '  keygen [--type rsa|ecdsa] [--out DIR] [--force]',
  run(args, io) {
    const { flags, positionals } = parse(args, { type: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } });
    if (positionals.length) throw new UsageError('keygen takes no positional arguments');
    const type = str(flags, 'type') ?? 'rsa';
    if (type !== 'rsa' && type !== 'ecdsa') throw new UsageError(`--type: "${type}" is not rsa or ecdsa`);
    const dir = resolve(str(flags, 'out') ?? '.');
    const privatePath = join(dir, 'private_key.pem');
    const publicPath = join(dir, 'public_key.pem');
    if (!flags.force && (existsSync(privatePath) || existsSync(publicPath))) {
      throw new UsageError(`${privatePath} or ${publicPath} already exists; pass --force to overwrite`);
    }
    const pair = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    mkdirSync(dir, { recursive: true });
    writeFileSync(privatePath, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(publicPath, pair.publicKey.export({ type: 'spki', format: 'pem' }));
    io.stdout(privatePath);
    io.stdout(publicPath);
    io.stderr(`upload ${publicPath} to CloudFront (Public keys), add it to a key group, and set CLOUDFRONT_KEY_PAIR_ID to its id`);
    return 0;
  },
};
