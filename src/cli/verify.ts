// `hlsgate verify <signed-url> --public-key-file F`: what CloudFront would say about a signed URL,
// with its policy in plain words. Exit 0 only when CloudFront would accept it.
import { describePolicy, verifySignedRequest } from '../edge/cf-verify.js';
import { parse, required, str, UsageError } from './args.js';
import type { Command } from './command.js';
import { readPublicKey } from './keys.js';
import { parseTime } from './time.js';

export const verify: Command = {
  usage: '  verify <signed-url> --public-key-file F [--key-pair-id ID] [--now <time>] [--ip <addr>]',
  run(args, io) {
    const { flags, positionals } = parse(args, {
      'public-key-file': { type: 'string' },
      'key-pair-id': { type: 'string' },
      now: { type: 'string' },
      ip: { type: 'string' },
    });
    const url = positionals[0];
    if (!url || positionals.length > 1) throw new UsageError('verify takes exactly one signed URL');
    const realNow = Math.floor(io.now() / 1000);
    const nowText = str(flags, 'now');
    const now = nowText === undefined ? realNow : parseTime(nowText, realNow, '--now');
    const publicKey = readPublicKey(str(flags, 'public-key-file') ?? io.env.CLOUDFRONT_PUBLIC_KEY_FILE ?? required(flags, 'public-key-file'));
    if (!URL.canParse(url)) throw new UsageError(`"${url.slice(0, 200)}" is not an absolute URL`);
    const query = new URL(url).searchParams;
    // The trusted key id: the one given, else the service's, else whatever the URL claims (then
    // only the signature, times, IP and resource are checked).
    const trustedId = str(flags, 'key-pair-id') ?? io.env.CLOUDFRONT_KEY_PAIR_ID ?? query.get('Key-Pair-Id') ?? '';
    const result = verifySignedRequest({
      url,
      publicKeys: new Map([[trustedId, publicKey]]),
      now,
      clientIp: str(flags, 'ip'),
    });
    const keyId = result.keyPairId ?? query.get('Key-Pair-Id') ?? '(none)';
    io.stdout(`url: ${url.split('?')[0]}`);
    io.stdout(`key pair id: ${keyId}${keyId === trustedId ? '' : ` (trusted: ${trustedId || '(none)'})`}`);
    if (result.policy) for (const line of describePolicy(result.policy, now)) io.stdout(line);
    if (result.ok) {
      io.stdout(`hash: ${result.hash}`);
      io.stdout('verdict: OK — CloudFront would accept this URL');
      return 0;
    }
    io.stdout(`verdict: ${result.reason} — ${result.message}`);
    return 1;
  },
};
