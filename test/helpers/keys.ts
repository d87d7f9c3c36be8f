// Test key pairs, generated once per process (RSA-2048 generation takes ~100 ms) and cached.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

export type TestKeyType = 'rsa' | 'ec';

export interface TestKeyPair {
  readonly type: TestKeyType;
  /** PKCS#8 PEM, unencrypted. */
  readonly privateKeyPem: string;
  /** SPKI PEM. */
  readonly publicKeyPem: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const cache = new Map<string, TestKeyPair>();

function generate(type: TestKeyType): TestKeyPair {
  const { privateKey: privateKeyPem, publicKey: publicKeyPem } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', {
          modulusLength: 2048,
          publicKeyEncoding: { type: 'spki', format: 'pem' },
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        })
      : generateKeyPairSync('ec', {
          namedCurve: 'prime256v1',
          publicKeyEncoding: { type: 'spki', format: 'pem' },
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        });
  return { type, privateKeyPem, publicKeyPem, privateKey: createPrivateKey(privateKeyPem), publicKey: createPublicKey(publicKeyPem) };
}

/**
 * A key pair of the given type. `slot` gives independent pairs of the same type (e.g. a second RSA
 * key to sign with a key the verifier does not trust); the same (type, slot) always returns the
 * same pair within a process.
 */
export function testKeyPair(type: TestKeyType, slot = 0): TestKeyPair {
  const id = `${type}:${slot}`;
  let pair = cache.get(id);
  if (!pair) {
    pair = generate(type);
    cache.set(id, pair);
  }
  return pair;
}

export const rsaKeyPair = (): TestKeyPair => testKeyPair('rsa');
export const ecKeyPair = (): TestKeyPair => testKeyPair('ec');

export type PrivateKeyFormat = 'pkcs8' | 'pkcs1' | 'sec1';

/**
 * The pair's private key as PEM in another container: PKCS#8 (`BEGIN PRIVATE KEY`), PKCS#1
 * (`BEGIN RSA PRIVATE KEY`, RSA only) or SEC1 (`BEGIN EC PRIVATE KEY`, EC only); encrypted with
 * AES-256-CBC when a passphrase is given (`BEGIN ENCRYPTED PRIVATE KEY` for PKCS#8, a
 * `Proc-Type: 4,ENCRYPTED` header otherwise).
 */
export function privateKeyPemAs(pair: TestKeyPair, format: PrivateKeyFormat, passphrase?: string): string {
  const cipher = passphrase === undefined ? {} : { cipher: 'aes-256-cbc', passphrase };
  return pair.privateKey.export({ type: format, format: 'pem', ...cipher }).toString();
}
