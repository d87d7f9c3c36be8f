// Keys of the commands: the signing key from flags, falling back to the service's variables read
// as the service reads them (config's readVariables / privateKeyFromEnv: same PEM handling, same
// one-line errors naming the variable), and public keys from PEM files.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { privateKeyFromEnv, readVariables } from '../config.js';
import { loadSigningKey, type HashAlgorithm, type SigningKey } from '../core/cloudfront/signer.js';
import { str, UsageError, type Flags } from './args.js';
import type { CliIO } from './command.js';

/** The flags of the commands that sign. */
export const KEY_OPTIONS = {
  'key-pair-id': { type: 'string' },
  'private-key-file': { type: 'string' },
  hash: { type: 'string' },
} as const;

function hashOf(text: string | undefined): HashAlgorithm | undefined {
  if (text === undefined || text === '') return undefined;
  const upper = text.toUpperCase().replace('-', '');
  if (upper !== 'SHA1' && upper !== 'SHA256') throw new UsageError(`--hash: "${text}" is not SHA1 or SHA256`);
  return upper;
}

function readPrivateKeyFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`private key file "${file}" cannot be read`);
  }
}

/**
 * The signing key from --key-pair-id, --private-key-file and --hash; each one not given comes from
 * CLOUDFRONT_KEY_PAIR_ID, CLOUDFRONT_PRIVATE_KEY_FILE / CLOUDFRONT_PRIVATE_KEY and
 * CLOUDFRONT_HASH_ALGORITHM. A bad variable is a ConfigError naming it.
 */
export function signingKeyFrom(flags: Flags, env: CliIO['env']): SigningKey {
  const file = str(flags, 'private-key-file');
  const pem = file ? readPrivateKeyFile(file) : privateKeyFromEnv(env)?.pem;
  if (!pem) throw new UsageError('no private key: pass --private-key-file or set CLOUDFRONT_PRIVATE_KEY_FILE / CLOUDFRONT_PRIVATE_KEY');
  const keyPairIdFlag = str(flags, 'key-pair-id');
  const hashFlag = str(flags, 'hash');
  const fromEnv = readVariables(env, [
    ...(keyPairIdFlag === undefined ? (['CLOUDFRONT_KEY_PAIR_ID'] as const) : []),
    ...(hashFlag === undefined ? (['CLOUDFRONT_HASH_ALGORITHM'] as const) : []),
  ]);
  return loadSigningKey({
    keyPairId: keyPairIdFlag ?? fromEnv.CLOUDFRONT_KEY_PAIR_ID,
    privateKeyPem: pem,
    hash: hashFlag === undefined ? fromEnv.CLOUDFRONT_HASH_ALGORITHM : hashOf(hashFlag),
  });
}

/** A PEM public key file (verify, edge). */
export function readPublicKey(file: string): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`public key file "${file}" cannot be read`);
  }
  try {
    return createPublicKey(pem);
  } catch {
    throw new UsageError(`public key file "${file}" is not a PEM public key`);
  }
}
