// `hlsgate sign <url> --expires <time>`: one CloudFront signed URL (canned, or custom with
// --policy-resource / --not-before / --ip).
import { signUrl } from '../core/cloudfront/signer.js';
import { parse, required, str, UsageError } from './args.js';
import type { Command } from './command.js';
import { KEY_OPTIONS, signingKeyFrom } from './keys.js';
import { parseTime } from './time.js';

export const sign: Command = {
  usage: `  sign <url> --expires <time> [--policy-resource <pattern>] [--not-before <time>] [--ip <cidr>]
       [--hash SHA1|SHA256] [--key-pair-id ID] [--private-key-file F]`,
  run(args, io) {
    const { flags, positionals } = parse(args, {
      ...KEY_OPTIONS,
      expires: { type: 'string' },
      'policy-resource': { type: 'string' },
      'not-before': { type: 'string' },
      ip: { type: 'string' },
    });
    const url = positionals[0];
    if (!url || positionals.length > 1) throw new UsageError('sign takes exactly one URL');
    const now = Math.floor(io.now() / 1000);
    const expires = parseTime(required(flags, 'expires'), now, '--expires');
    const notBeforeText = str(flags, 'not-before');
    const key = signingKeyFrom(flags, io.env);
    io.stdout(
      signUrl(url, key, {
        expires,
        notBefore: notBeforeText === undefined ? undefined : parseTime(notBeforeText, now, '--not-before'),
        ip: str(flags, 'ip'),
        resource: str(flags, 'policy-resource'),
      }),
    );
    return 0;
  },
};
