// `hlsgate edge --bucket B --public-key-file F --key-pair-id ID`: the local CloudFront-compatible
// edge in front of a bucket. S3_ENDPOINT and AWS_REGION are read as the service reads them.
import { readVariables } from '../config.js';
import { parse, required, str, UsageError } from './args.js';
import type { Command } from './command.js';
import { readPublicKey } from './keys.js';

export const edge: Command = {
  usage: '  edge --bucket B --public-key-file F --key-pair-id ID [--port P] [--host H] [--s3-endpoint URL]',
  keepsRunning: true,
  async run(args, io) {
    const { flags, positionals } = parse(args, {
      port: { type: 'string' },
      host: { type: 'string' },
      bucket: { type: 'string' },
      'public-key-file': { type: 'string' },
      'key-pair-id': { type: 'string' },
      's3-endpoint': { type: 'string' },
      region: { type: 'string' },
    });
    if (positionals.length) throw new UsageError('edge takes no positional arguments');
    const portText = str(flags, 'port') ?? '8443';
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new UsageError(`--port: "${portText}" is not a TCP port number`);
    const { runEdgeFromCli } = await import('../edge/cli.js');
    await runEdgeFromCli({
      port: Number(portText),
      host: str(flags, 'host') ?? '127.0.0.1',
      bucket: required(flags, 'bucket'),
      publicKeys: new Map([[required(flags, 'key-pair-id'), readPublicKey(required(flags, 'public-key-file'))]]),
      endpoint: str(flags, 's3-endpoint') ?? readVariables(io.env, ['S3_ENDPOINT']).S3_ENDPOINT,
      region: str(flags, 'region') ?? readVariables(io.env, ['AWS_REGION']).AWS_REGION,
      stdout: io.stdout,
    });
    return 0;
  },
};
