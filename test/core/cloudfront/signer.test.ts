// The signer checked the way CloudFront checks it: every signature is verified with the PUBLIC key
// against a policy this test rebuilds from the emitted URL by itself (textual removal of the
// signing parameters, hand-written canned policy JSON), never against strings the signer produced.
import { describe, it, expect } from 'vitest';
import { generateKeyPairSync, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import {
  loadSigningKey,
  signUrl,
  signedCookies,
  normalizeCidr,
  SignerError,
  type HashAlgorithm,
  type SigningKey,
} from '../../../src/core/cloudfront/signer.js';
import { verifySignedRequest } from '../../../src/edge/cf-verify.js';
import { testKeyPair, type TestKeyType } from '../../helpers/keys.js';

const KEY_ID = 'K2JCJMDEHXQW5F';
const EXPIRES = 1_900_000_000; // 2030-03-17
const NOW = EXPIRES - 600;

// --- test-side CloudFront model (independent of the code under test) -----------------------------

const SIGNING = ['Expires', 'Policy', 'Signature', 'Key-Pair-Id', 'Hash-Algorithm'];

/** Splits a signed URL textually: the URL minus signing params, and the signing params' values. */
function splitSigned(url: string): { resource: string; params: Record<string, string> } {
  const q = url.indexOf('?');
  if (q === -1) return { resource: url, params: {} };
  const kept: string[] = [];
  const params: Record<string, string> = {};
  for (const seg of url.slice(q + 1).split('&')) {
    const name = seg.split('=', 1)[0] ?? '';
    if (SIGNING.includes(name)) params[name] = seg.slice(name.length + 1);
    else kept.push(seg);
  }
  return { resource: kept.length ? `${url.slice(0, q)}?${kept.join('&')}` : url.slice(0, q), params };
}

/** CloudFront base64 -> bytes, written out here rather than borrowed from the signer. */
function unCf(text: string): Buffer {
  expect(text).toMatch(/^[A-Za-z0-9_~-]+$/);
  return Buffer.from(text.replaceAll('-', '+').replaceAll('_', '=').replaceAll('~', '/'), 'base64');
}

function canned(resource: string, expires: number): string {
  return '{"Statement":[{"Resource":' + JSON.stringify(resource) + ',"Condition":{"DateLessThan":{"AWS:EpochTime":' + expires + '}}}]}';
}

function sigOk(pub: KeyObject, hash: HashAlgorithm, data: Buffer | string, sig: Buffer): boolean {
  return cryptoVerify(hash === 'SHA256' ? 'sha256' : 'sha1', typeof data === 'string' ? Buffer.from(data, 'utf8') : data, pub, sig);
}

function key(type: TestKeyType, hash: HashAlgorithm): SigningKey {
  return loadSigningKey({ keyPairId: KEY_ID, privateKeyPem: testKeyPair(type).privateKeyPem, hash });
}

// --- URLs that break naive implementations --------------------------------------------------------

const URLS: [label: string, input: string][] = [
  ['plain', 'https://d111111abcdef8.cloudfront.net/videos/v1/seg-001.ts'],
  ['space', 'https://d111111abcdef8.cloudfront.net/videos/my video/seg 1.ts'],
  ['percent-encoded %', 'https://d111111abcdef8.cloudfront.net/videos/100%25 done/seg.ts'],
  ['bare %', 'https://d111111abcdef8.cloudfront.net/videos/50%zz/seg.ts'],
  ['= , + ~', 'https://d111111abcdef8.cloudfront.net/videos/a=b,c+d~e/seg.ts'],
  ["apostrophe", "https://d111111abcdef8.cloudfront.net/videos/it's/seg.ts"],
  ['non-ASCII', 'https://d111111abcdef8.cloudfront.net/vidéos/日本/сегмент 1.ts'],
  ['existing query', 'https://d111111abcdef8.cloudfront.net/videos/v1/seg.ts?lang=en&x=a b'],
  ['query with specials', "https://d111111abcdef8.cloudfront.net/v/seg.ts?a=%2F&b=é&c=it's&d=1+2&e=~"],
  ['empty query', 'https://d111111abcdef8.cloudfront.net/v/seg.ts?'],
  ['trailing &', 'https://d111111abcdef8.cloudfront.net/v/seg.ts?a=1&'],
  ['& ending the path', 'https://d111111abcdef8.cloudfront.net/v/seg&'],
  ['empty query parameters inside', 'https://d111111abcdef8.cloudfront.net/v/seg.ts?&a=1&&b'],
  ['fragment, dots, upper-case host', 'https://D111111ABCDEF8.cloudfront.net/videos/x/../v1/./seg.ts#t=10'],
  ['local edge with port', 'http://127.0.0.1:8443/videos/v1/seg 1.ts'],
];

const COMBOS: [TestKeyType, HashAlgorithm, 'canned' | 'custom'][] = [];
for (const t of ['rsa', 'ec'] as const) for (const h of ['SHA1', 'SHA256'] as const) for (const k of ['canned', 'custom'] as const) COMBOS.push([t, h, k]);

const CASES = COMBOS.flatMap(([type, hash, kind]) => URLS.map(([label, url]) => ({ type, hash, kind, label, url })));

describe('signUrl: every signature verifies against the policy CloudFront rebuilds', () => {
  it.each(CASES)('$type $hash $kind: $label', ({ type, hash, kind, url }) => {
    const k = key(type, hash);
    const emitted =
      kind === 'canned' ? signUrl(url, k, { expires: EXPIRES }) : signUrl(url, k, { expires: EXPIRES, notBefore: EXPIRES - 7200 });

    // Emitted in the exact form a browser requests.
    expect(emitted).toBe(new URL(emitted).href);
    // Same object as the input URL (the signing params are only added to the query).
    const browser = new URL(url);
    expect(new URL(emitted).pathname).toBe(browser.pathname);
    expect(new URL(emitted).host).toBe(browser.host);

    const { resource, params } = splitSigned(emitted);
    expect(params['Key-Pair-Id']).toBe(KEY_ID);
    expect(params['Hash-Algorithm']).toBe(hash === 'SHA256' ? 'SHA256' : undefined);
    const sig = unCf(params.Signature ?? '');
    const pub = testKeyPair(type).publicKey;

    if (kind === 'canned') {
      expect(params.Policy).toBeUndefined();
      expect(params.Expires).toBe(String(EXPIRES));
      expect(sigOk(pub, hash, canned(resource, EXPIRES), sig)).toBe(true);
    } else {
      expect(params.Expires).toBeUndefined();
      const policy = unCf(params.Policy ?? '');
      expect(sigOk(pub, hash, policy, sig)).toBe(true);
      const doc = JSON.parse(policy.toString('utf8')) as { Statement: { Resource: string; Condition: Record<string, { 'AWS:EpochTime': number }> }[] };
      expect(doc.Statement).toHaveLength(1);
      expect(doc.Statement[0]?.Resource).toBe(resource);
      expect(doc.Statement[0]?.Condition.DateLessThan?.['AWS:EpochTime']).toBe(EXPIRES);
      expect(doc.Statement[0]?.Condition.DateGreaterThan?.['AWS:EpochTime']).toBe(EXPIRES - 7200);
    }
    // A signature over a different URL must not verify (the check above is not vacuous).
    expect(sigOk(pub, hash, canned(resource + 'x', EXPIRES), sig)).toBe(false);
    // And the verifier the edge and the CLI use agrees.
    const v = verifySignedRequest({ url: emitted, publicKeys: new Map([[KEY_ID, pub]]), now: NOW });
    expect(v).toMatchObject({ ok: true, hash, source: 'query' });
  });

  it('refuses a URL that already carries signing parameters, and non-http(s) URLs', () => {
    const k = key('rsa', 'SHA1');
    expect(() => signUrl('https://cdn.example/a.ts?Expires=1', k, { expires: EXPIRES })).toThrow(/already carries the CloudFront parameter "Expires"/);
    expect(() => signUrl('ftp://cdn.example/a.ts', k, { expires: EXPIRES })).toThrow(/not an http\(s\) URL/);
    expect(() => signUrl('/relative.ts', k, { expires: EXPIRES })).toThrow(/not an absolute URL/);
  });

  it('wildcard resource: one custom policy whose signature covers the pattern', () => {
    const k = key('ec', 'SHA256');
    const emitted = signUrl('https://cdn.example/videos/v1/a.ts', k, { expires: EXPIRES, resource: 'https://cdn.example/videos/v1/*' });
    const { params } = splitSigned(emitted);
    const policy = unCf(params.Policy ?? '');
    expect(JSON.parse(policy.toString()).Statement[0].Resource).toBe('https://cdn.example/videos/v1/*');
    expect(sigOk(testKeyPair('ec').publicKey, 'SHA256', policy, unCf(params.Signature ?? ''))).toBe(true);
  });
});

describe('custom policies with IP restrictions', () => {
  it.each([
    ['IPv4 CIDR', '203.0.113.0/24', '203.0.113.0/24', '203.0.113.77', '198.51.100.1'],
    ['IPv4 address', '192.0.2.10', '192.0.2.10/32', '192.0.2.10', '192.0.2.11'],
    ['IPv6 CIDR', '2001:db8::/32', '2001:db8::/32', '2001:db8:1::5', '2001:db9::1'],
    ['IPv6 address', '2001:db8::1', '2001:db8::1/128', '2001:db8::1', '2001:db8::2'],
  ])('%s', (_label, ip, inPolicy, inside, outside) => {
    const k = key('rsa', 'SHA1');
    const emitted = signUrl('https://cdn.example/v/seg.ts', k, { expires: EXPIRES, ip });
    const { params } = splitSigned(emitted);
    const policy = unCf(params.Policy ?? '');
    expect(sigOk(testKeyPair('rsa').publicKey, 'SHA1', policy, unCf(params.Signature ?? ''))).toBe(true);
    expect(JSON.parse(policy.toString()).Statement[0].Condition.IpAddress).toEqual({ 'AWS:SourceIp': inPolicy });
    const keys = new Map([[KEY_ID, testKeyPair('rsa').publicKey]]);
    expect(verifySignedRequest({ url: emitted, publicKeys: keys, now: NOW, clientIp: inside }).ok).toBe(true);
    expect(verifySignedRequest({ url: emitted, publicKeys: keys, now: NOW, clientIp: outside })).toMatchObject({ ok: false, reason: 'IpMismatch' });
  });

  it.each([
    ['300.1.1.1/24', /IP address "300\.1\.1\.1\/24" is invalid: expected an IPv4 or IPv6 address or CIDR/],
    ['10.0.0.0/33', /IP address "10\.0\.0\.0\/33" is invalid: prefix length must be 0-32/],
    ['2001:db8::/129', /prefix length must be 0-128/],
    ['10.0.0.0/x', /prefix length "x" is not a number/],
    ['10.0.0.0/', /prefix length "" is not a number/],
    ['10.0.0.0/8/8', /expected an IPv4 or IPv6 address or CIDR/],
    ['example.com', /IP address "example\.com" is invalid/],
  ])('bad CIDR %s', (cidr, message) => {
    expect(() => normalizeCidr(cidr)).toThrow(message);
    expect(() => signUrl('https://cdn.example/a.ts', key('rsa', 'SHA1'), { expires: EXPIRES, ip: cidr })).toThrow(SignerError);
  });

  it('not-before must precede the expiry', () => {
    expect(() => signUrl('https://cdn.example/a.ts', key('rsa', 'SHA1'), { expires: EXPIRES, notBefore: EXPIRES })).toThrow(/not-before must be earlier than the expiry/);
  });
});

describe('signed cookies', () => {
  it.each(COMBOS.filter(([, , kind]) => kind === 'custom').map(([t, h]) => [t, h] as const))('%s %s', (type, hash) => {
    const k = key(type, hash);
    const cookies = signedCookies(k, { resource: 'https://cdn.example/videos/v1/*', dateLessThan: EXPIRES });
    expect(cookies['CloudFront-Key-Pair-Id']).toBe(KEY_ID);
    expect(cookies['CloudFront-Hash-Algorithm']).toBe(hash === 'SHA256' ? 'SHA256' : undefined);
    const policy = unCf(cookies['CloudFront-Policy'] ?? '');
    expect(sigOk(testKeyPair(type).publicKey, hash, policy, unCf(cookies['CloudFront-Signature'] ?? ''))).toBe(true);
    expect(JSON.parse(policy.toString())).toEqual({
      Statement: [{ Resource: 'https://cdn.example/videos/v1/*', Condition: { DateLessThan: { 'AWS:EpochTime': EXPIRES } } }],
    });
    const v = verifySignedRequest({ url: 'https://cdn.example/videos/v1/seg 1.ts', cookies, publicKeys: new Map([[KEY_ID, testKeyPair(type).publicKey]]), now: NOW });
    expect(v).toMatchObject({ ok: true, source: 'cookie', hash });
  });
});

describe('loadSigningKey', () => {
  const rsaPem = (): string => testKeyPair('rsa').privateKeyPem;
  const gen = {
    encrypted: () =>
      generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' },
      }).privateKey,
    rsa: (bits: number) =>
      generateKeyPairSync('rsa', { modulusLength: bits, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }).privateKey,
    p384: () =>
      generateKeyPairSync('ec', { namedCurve: 'secp384r1', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }).privateKey,
    ed25519: () =>
      generateKeyPairSync('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }).privateKey,
  };

  it.each([
    ['missing key pair id', () => ({ keyPairId: undefined, privateKeyPem: rsaPem() }), /^missing key pair id \(CLOUDFRONT_KEY_PAIR_ID \/ --key-pair-id\)/],
    ['blank key pair id', () => ({ keyPairId: '  ', privateKeyPem: rsaPem() }), /^missing key pair id/],
    ['key pair id with a space', () => ({ keyPairId: 'K 1', privateKeyPem: rsaPem() }), /key pair id "K 1" is not a CloudFront key id/],
    ['empty PEM', () => ({ keyPairId: KEY_ID, privateKeyPem: '\n' }), /^private key is empty$/],
    ['garbage', () => ({ keyPairId: KEY_ID, privateKeyPem: 'not a key at all' }), /^private key is not PEM/],
    ['garbage inside PEM armour', () => ({ keyPairId: KEY_ID, privateKeyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }), /^private key PEM could not be parsed/],
    ['encrypted PEM', () => ({ keyPairId: KEY_ID, privateKeyPem: gen.encrypted() }), /^private key is encrypted \(passphrase-protected PEM\); decrypt it first/],
    ['public key PEM', () => ({ keyPairId: KEY_ID, privateKeyPem: testKeyPair('rsa').publicKeyPem }), /^expected a PRIVATE key, got a public key or certificate$/],
    ['RSA-1024', () => ({ keyPairId: KEY_ID, privateKeyPem: gen.rsa(1024) }), /^RSA key is 1024 bits; CloudFront requires RSA-2048$/],
    ['RSA-4096', () => ({ keyPairId: KEY_ID, privateKeyPem: gen.rsa(4096) }), /^RSA key is 4096 bits; CloudFront requires RSA-2048$/],
    ['EC secp384r1', () => ({ keyPairId: KEY_ID, privateKeyPem: gen.p384() }), /^ECDSA key is on curve secp384r1; CloudFront requires P-256 \(prime256v1\)$/],
    ['ed25519', () => ({ keyPairId: KEY_ID, privateKeyPem: gen.ed25519() }), /^key type ed25519 is not supported; CloudFront requires RSA-2048 or ECDSA P-256$/],
    ['hash MD5', () => ({ keyPairId: KEY_ID, privateKeyPem: rsaPem(), hash: 'MD5' as HashAlgorithm }), /hash algorithm "MD5" is not SHA1 or SHA256/],
  ])('%s', (_label, input, message) => {
    let err: unknown;
    try {
      loadSigningKey(input());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SignerError);
    expect((err as Error).message).toMatch(message);
  });

  it('accepts PKCS#8, PKCS#1 (RSA PRIVATE KEY) and SEC1 (EC PRIVATE KEY) PEMs', () => {
    const rsa = testKeyPair('rsa').privateKey;
    const ec = testKeyPair('ec').privateKey;
    expect(loadSigningKey({ keyPairId: KEY_ID, privateKeyPem: testKeyPair('rsa').privateKeyPem })).toMatchObject({ keyType: 'rsa', hash: 'SHA1', keyPairId: KEY_ID });
    expect(loadSigningKey({ keyPairId: KEY_ID, privateKeyPem: rsa.export({ type: 'pkcs1', format: 'pem' }).toString() }).keyType).toBe('rsa');
    expect(loadSigningKey({ keyPairId: KEY_ID, privateKeyPem: ec.export({ type: 'sec1', format: 'pem' }).toString(), hash: 'SHA256' })).toMatchObject({ keyType: 'ec', hash: 'SHA256' });
  });
});

describe('cross-check with @aws-sdk/cloudfront-signer on a plain ASCII URL', () => {
  const url = 'https://d111111abcdef8.cloudfront.net/videos/v1/seg-001.ts?lang=en';
  it.each(COMBOS.filter(([, , kind]) => kind === 'canned').map(([t, h]) => [t, h] as const))('%s %s', (type, hash) => {
    const ours = splitSigned(signUrl(url, key(type, hash), { expires: EXPIRES }));
    const theirs = splitSigned(
      getSignedUrl({ url, keyPairId: KEY_ID, privateKey: testKeyPair(type).privateKeyPem, dateLessThan: new Date(EXPIRES * 1000), algorithm: hash }),
    );
    expect(theirs.resource).toBe(ours.resource);
    expect(theirs.params.Expires).toBe(ours.params.Expires);
    expect(theirs.params['Key-Pair-Id']).toBe(ours.params['Key-Pair-Id']);
    expect(theirs.params['Hash-Algorithm']).toBe(ours.params['Hash-Algorithm']);
    const policy = canned(ours.resource, EXPIRES);
    const pub = testKeyPair(type).publicKey;
    expect(sigOk(pub, hash, policy, unCf(ours.params.Signature ?? ''))).toBe(true);
    expect(sigOk(pub, hash, policy, unCf(theirs.params.Signature ?? ''))).toBe(true);
    // RSA PKCS#1 v1.5 is deterministic: the same key and policy give the same signature.
    if (type === 'rsa') expect(ours.params.Signature).toBe(theirs.params.Signature);
  });
});
