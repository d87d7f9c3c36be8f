// The signer checked the way CloudFront checks it: every signature is verified with the PUBLIC key
// against a policy this test rebuilds from the emitted URL by itself (textual removal of the
// signing parameters, hand-written canned policy JSON), never against strings the signer produced.
import { describe, it, expect } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import {
  loadSigningKey,
  signUrl,
  signedCookies,
  normalizeCidr,
  SignerError,
  type CustomPolicy,
  type HashAlgorithm,
  type SignOptions,
  type SigningKey,
} from '../../../src/core/cloudfront/signer.js';
import { verifySignedRequest } from '../../../src/edge/cf-verify.js';
import {
  cannedPolicy,
  policyVerifies,
  signedCookiePolicy,
  signedUrlPolicy,
  splitSignedUrl,
  verifyCfSignature,
  type SignedPolicy,
} from '../../helpers/cloudfront.js';
import { privateKeyPemAs, testKeyPair, type TestKeyType } from '../../helpers/keys.js';

const KEY_ID = 'K2JCJMDEHXQW5F';
const EXPIRES = 1_900_000_000; // 2030-03-17
const NOW = EXPIRES - 600;

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

    const { resource, params } = splitSignedUrl(emitted);
    const p = signedUrlPolicy(emitted);
    expect(p.url).toBe(resource);
    expect(p.keyPairId).toBe(KEY_ID);
    expect(params.get('Hash-Algorithm')).toBe(hash === 'SHA256' ? 'SHA256' : undefined);
    const pub = testKeyPair(type).publicKey;

    if (kind === 'canned') {
      expect(params.get('Policy')).toBeUndefined();
      expect(params.get('Expires')).toBe(String(EXPIRES));
      // The helper rebuilt the canned policy from the URL it was given and Expires.
      expect(p).toMatchObject({ kind: 'canned', json: cannedPolicy(resource, EXPIRES) });
      expect(policyVerifies(p, pub)).toBe(true);
    } else {
      expect(params.get('Expires')).toBeUndefined();
      expect(p.kind).toBe('custom');
      expect(policyVerifies(p, pub)).toBe(true);
      expect(p.statement.Resource).toBe(resource);
      expect(p.statement.Condition.DateLessThan['AWS:EpochTime']).toBe(EXPIRES);
      expect(p.statement.Condition.DateGreaterThan?.['AWS:EpochTime']).toBe(EXPIRES - 7200);
    }
    // A signature over a different URL must not verify (the check above is not vacuous).
    expect(verifyCfSignature(pub, hash, cannedPolicy(resource + 'x', EXPIRES), p.signature)).toBe(false);
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
    const p = signedUrlPolicy(emitted);
    expect(p).toMatchObject({ kind: 'custom', hash: 'SHA256', statement: { Resource: 'https://cdn.example/videos/v1/*' } });
    expect(policyVerifies(p, testKeyPair('ec').publicKey)).toBe(true);
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
    const p = signedUrlPolicy(emitted);
    expect(policyVerifies(p, testKeyPair('rsa').publicKey)).toBe(true);
    expect(p.statement.Condition.IpAddress).toEqual({ 'AWS:SourceIp': inPolicy });
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
    const p = signedCookiePolicy(cookies);
    expect(p).toMatchObject({ source: 'cookie', kind: 'custom', hash });
    expect(policyVerifies(p, testKeyPair(type).publicKey)).toBe(true);
    expect(JSON.parse(p.json)).toEqual({
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

// --- cross-checks with @aws-sdk/cloudfront-signer ---------------------------------------------------
//
// What the SDK accepts (this version, from node_modules/@aws-sdk/cloudfront-signer/dist-cjs):
// - privateKey: a PEM string or Buffer handed to crypto.createSign().sign({ key, passphrase }), so
//   PKCS#8, PKCS#1 and SEC1 PEMs, encrypted ones with `passphrase`; RSA or ECDSA alike.
// - algorithm: 'SHA1' (default) or 'SHA256', which adds Hash-Algorithm=SHA256.
// - Either url + dateLessThan [+ dateGreaterThan, ipAddress]: it builds the policy itself with
//   JSON.stringify in CloudFront's key order; ipAddress must be IPv4 (its parseCIDR wants four
//   octets). Or a `policy` JSON string, which it signs byte for byte.
// - getSignedUrl re-encodes the URL path (encodeURIComponent per segment): the URL below is plain
//   ASCII so that both sides sign the same resource.
// Both sides sign the same bytes, so Policy values must be identical, and RSA PKCS#1 v1.5 being
// deterministic, so must RSA signatures. ECDSA signatures are randomized: every signature, ours and
// the SDK's, is verified with the public key against the policy the test helper extracts.

const PLAIN = 'https://d111111abcdef8.cloudfront.net/videos/v1/seg-001.ts?lang=en';
const PREFIX = 'https://d111111abcdef8.cloudfront.net/videos/v1/*';
const NOT_BEFORE = EXPIRES - 7200;
const at = (epoch: number): Date => new Date(epoch * 1000);

/** Custom policy JSON written out by hand in CloudFront's documented layout (no whitespace). */
function policyJson(o: { resource?: string; notBefore?: number; ip?: string }): string {
  const resource = o.resource === undefined ? '' : `"Resource":"${o.resource}",`;
  const dgt = o.notBefore === undefined ? '' : `,"DateGreaterThan":{"AWS:EpochTime":${o.notBefore}}`;
  const ip = o.ip === undefined ? '' : `,"IpAddress":{"AWS:SourceIp":"${o.ip}"}`;
  return `{"Statement":[{${resource}"Condition":{"DateLessThan":{"AWS:EpochTime":${EXPIRES}}${dgt}${ip}}}]}`;
}

type SdkInput = { policy: string } | { dateGreaterThan?: Date; ipAddress?: string };
type SdkKey = { privateKey: string | Buffer; passphrase?: string };

function sdkKey(type: TestKeyType): SdkKey {
  return { privateKey: testKeyPair(type).privateKeyPem };
}

function sdkSignedUrl(hash: HashAlgorithm, key: SdkKey, input: SdkInput, url = PLAIN): string {
  const creds = { keyPairId: KEY_ID, algorithm: hash, ...key };
  return 'policy' in input ? getSignedUrl({ ...creds, url, policy: input.policy }) : getSignedUrl({ ...creds, url, dateLessThan: at(EXPIRES), ...input });
}

/** The same policy, signed by us and by the SDK, compared field by field. */
function expectSame(type: TestKeyType, hash: HashAlgorithm, ours: SignedPolicy, theirs: SignedPolicy, kind: 'canned' | 'custom'): void {
  const pub = testKeyPair(type).publicKey;
  expect(ours.kind).toBe(kind);
  expect(theirs.kind).toBe(kind);
  expect(theirs.url).toBe(ours.url);
  expect(theirs.keyPairId).toBe(ours.keyPairId);
  expect(ours.hash).toBe(hash);
  expect(theirs.hash).toBe(hash);
  // The same policy bytes (custom: the Policy values themselves; canned: rebuilt from the same URL and Expires).
  expect(theirs.policyText).toBe(ours.policyText);
  expect(theirs.json).toBe(ours.json);
  expect(policyVerifies(ours, pub)).toBe(true);
  expect(policyVerifies(theirs, pub)).toBe(true);
  // Deterministic RSA signs the same bytes to the same signature; randomized ECDSA never does.
  if (type === 'rsa') expect(ours.signatureText).toBe(theirs.signatureText);
  else expect(ours.signatureText).not.toBe(theirs.signatureText);
}

const KEY_COMBOS = COMBOS.filter(([, , kind]) => kind === 'canned').map(([t, h]) => [t, h] as const);

describe('cross-check with @aws-sdk/cloudfront-signer: canned policy, plain ASCII URL', () => {
  it.each(KEY_COMBOS)('%s %s', (type, hash) => {
    const ours = signUrl(PLAIN, key(type, hash), { expires: EXPIRES });
    const theirs = sdkSignedUrl(hash, sdkKey(type), {});
    expect([...splitSignedUrl(theirs).params.keys()].sort()).toEqual([...splitSignedUrl(ours).params.keys()].sort());
    expect(splitSignedUrl(theirs).params.get('Expires')).toBe(String(EXPIRES));
    expectSame(type, hash, signedUrlPolicy(ours), signedUrlPolicy(theirs), 'canned');
  });
});

interface UrlCase {
  label: string;
  ours: Omit<SignOptions, 'expires'>;
  sdk: SdkInput;
  /** A client address inside the policy's AWS:SourceIp, for the verifier. */
  clientIp?: string;
}

const URL_CASES: UrlCase[] = [
  { label: 'DateGreaterThan (SDK-built policy)', ours: { notBefore: NOT_BEFORE }, sdk: { dateGreaterThan: at(NOT_BEFORE) } },
  { label: 'IPv4 CIDR (SDK-built policy)', ours: { ip: '203.0.113.0/24' }, sdk: { ipAddress: '203.0.113.0/24' }, clientIp: '203.0.113.77' },
  { label: 'bare IPv4 address becomes /32 (SDK-built policy)', ours: { ip: '192.0.2.10' }, sdk: { ipAddress: '192.0.2.10' }, clientIp: '192.0.2.10' },
  {
    label: 'DateGreaterThan and IPv4 CIDR (SDK-built policy)',
    ours: { notBefore: NOT_BEFORE, ip: '10.0.0.0/8' },
    sdk: { dateGreaterThan: at(NOT_BEFORE), ipAddress: '10.0.0.0/8' },
    clientIp: '10.1.2.3',
  },
  { label: 'Resource with * (policy JSON)', ours: { resource: PREFIX }, sdk: { policy: policyJson({ resource: PREFIX }) } },
  {
    label: "IPv6 CIDR (policy JSON: the SDK's ipAddress is IPv4 only)",
    ours: { ip: '2001:db8::/32' },
    sdk: { policy: policyJson({ resource: PLAIN, ip: '2001:db8::/32' }) },
    clientIp: '2001:db8:1::5',
  },
  {
    label: 'bare IPv6 address becomes /128 (policy JSON)',
    ours: { ip: '2001:db8::7' },
    sdk: { policy: policyJson({ resource: PLAIN, ip: '2001:db8::7/128' }) },
    clientIp: '2001:db8::7',
  },
  {
    label: 'Resource with *, DateGreaterThan and IPv6 CIDR (policy JSON)',
    ours: { resource: PREFIX, notBefore: NOT_BEFORE, ip: '2001:db8:abcd::/48' },
    sdk: { policy: policyJson({ resource: PREFIX, notBefore: NOT_BEFORE, ip: '2001:db8:abcd::/48' }) },
    clientIp: '2001:db8:abcd:12::1',
  },
];

describe('cross-check with @aws-sdk/cloudfront-signer: custom-policy signed URLs', () => {
  const rows = KEY_COMBOS.flatMap(([type, hash]) => URL_CASES.map((c) => ({ type, hash, ...c })));
  it.each(rows)('$type $hash: $label', ({ type, hash, ours: options, sdk, clientIp }) => {
    const ours = signUrl(PLAIN, key(type, hash), { expires: EXPIRES, ...options });
    const theirs = sdkSignedUrl(hash, sdkKey(type), sdk);
    expect([...splitSignedUrl(theirs).params.keys()].sort()).toEqual([...splitSignedUrl(ours).params.keys()].sort());
    const a = signedUrlPolicy(ours);
    expectSame(type, hash, a, signedUrlPolicy(theirs), 'custom');
    // What the test expects the policy to say, independently of both signers.
    if ('policy' in sdk) expect(a.json).toBe(sdk.policy);
    expect(a.statement.Resource).toBe(options.resource ?? PLAIN);
    expect(a.statement.Condition.DateGreaterThan?.['AWS:EpochTime']).toBe(options.notBefore);
    // And the local verifier accepts the SDK's URL as it accepts ours.
    const keys = new Map([[KEY_ID, testKeyPair(type).publicKey]]);
    const opts = { publicKeys: keys, now: NOW, ...(clientIp === undefined ? {} : { clientIp }) };
    expect(verifySignedRequest({ url: theirs, ...opts })).toMatchObject({ ok: true, hash, policy: { kind: 'custom' } });
    expect(verifySignedRequest({ url: ours, ...opts })).toMatchObject({ ok: true, hash, policy: { kind: 'custom' } });
  });
});

interface CookieCase {
  label: string;
  ours: CustomPolicy;
  sdk: { policy: string } | { url: string; dateGreaterThan?: Date; ipAddress?: string };
  clientIp?: string;
}

const COOKIE_CASES: CookieCase[] = [
  { label: 'Resource with * (policy JSON)', ours: { resource: PREFIX, dateLessThan: EXPIRES }, sdk: { policy: policyJson({ resource: PREFIX }) } },
  { label: 'no Resource: any URL (policy JSON)', ours: { dateLessThan: EXPIRES }, sdk: { policy: policyJson({}) } },
  {
    label: 'Resource with *, DateGreaterThan and IPv4 CIDR (SDK-built policy)',
    ours: { resource: PREFIX, dateLessThan: EXPIRES, dateGreaterThan: NOT_BEFORE, sourceIp: '198.51.100.0/24' },
    sdk: { url: PREFIX, dateGreaterThan: at(NOT_BEFORE), ipAddress: '198.51.100.0/24' },
    clientIp: '198.51.100.200',
  },
  {
    label: 'IPv6 CIDR (policy JSON)',
    ours: { resource: PREFIX, dateLessThan: EXPIRES, sourceIp: '2001:db8:1::/48' },
    sdk: { policy: policyJson({ resource: PREFIX, ip: '2001:db8:1::/48' }) },
    clientIp: '2001:db8:1::99',
  },
  {
    label: 'DateGreaterThan and bare IPv6 address becoming /128 (policy JSON)',
    ours: { resource: PREFIX, dateLessThan: EXPIRES, dateGreaterThan: NOT_BEFORE, sourceIp: '2001:db8::42' },
    sdk: { policy: policyJson({ resource: PREFIX, notBefore: NOT_BEFORE, ip: '2001:db8::42/128' }) },
    clientIp: '2001:db8::42',
  },
];

describe('cross-check with @aws-sdk/cloudfront-signer: signed cookies (getSignedCookies)', () => {
  const rows = KEY_COMBOS.flatMap(([type, hash]) => COOKIE_CASES.map((c) => ({ type, hash, ...c })));
  it.each(rows)('$type $hash: $label', ({ type, hash, ours: policy, sdk, clientIp }) => {
    const ours = signedCookies(key(type, hash), policy);
    const creds = { keyPairId: KEY_ID, algorithm: hash, ...sdkKey(type) };
    const theirs = 'policy' in sdk ? getSignedCookies({ ...creds, policy: sdk.policy }) : getSignedCookies({ ...creds, dateLessThan: at(EXPIRES), ...sdk });
    expect(Object.keys(theirs).sort()).toEqual(Object.keys(ours).sort());
    expect(theirs['CloudFront-Expires']).toBeUndefined();
    const a = signedCookiePolicy(ours);
    const b = signedCookiePolicy({ ...theirs });
    expectSame(type, hash, a, b, 'custom');
    if ('policy' in sdk) expect(a.json).toBe(sdk.policy);
    expect(a.statement.Resource).toBe(policy.resource);
    const request = 'https://d111111abcdef8.cloudfront.net/videos/v1/720p/seg%201.ts';
    const keys = new Map([[KEY_ID, testKeyPair(type).publicKey]]);
    const opts = { url: request, publicKeys: keys, now: NOW, ...(clientIp === undefined ? {} : { clientIp }) };
    const sdkCookies = Object.fromEntries(Object.entries(theirs).map(([k, v]) => [k, String(v)]));
    expect(verifySignedRequest({ ...opts, cookies: sdkCookies })).toMatchObject({ ok: true, source: 'cookie', hash });
    expect(verifySignedRequest({ ...opts, cookies: ours })).toMatchObject({ ok: true, source: 'cookie', hash });
  });

  // Our signer only makes custom-policy cookies (one policy for a whole video prefix), so there is
  // nothing of ours to compare here: the SDK's canned cookies check the helper and the verifier.
  it.each(KEY_COMBOS)("%s %s: the SDK's canned-policy cookies (CloudFront-Expires) verify for exactly their URL", (type, hash) => {
    const theirs = getSignedCookies({ keyPairId: KEY_ID, algorithm: hash, ...sdkKey(type), url: PLAIN, dateLessThan: at(EXPIRES) });
    expect(theirs['CloudFront-Expires']).toBe(EXPIRES);
    expect(theirs['CloudFront-Policy']).toBeUndefined();
    const pub = testKeyPair(type).publicKey;
    const p = signedCookiePolicy({ ...theirs }, PLAIN);
    expect(p).toMatchObject({ kind: 'canned', json: cannedPolicy(PLAIN, EXPIRES), hash });
    expect(policyVerifies(p, pub)).toBe(true);
    expect(policyVerifies(signedCookiePolicy({ ...theirs }, `${PLAIN}&x=1`), pub)).toBe(false);
    const cookies = Object.fromEntries(Object.entries(theirs).map(([k, v]) => [k, String(v)]));
    const keys = new Map([[KEY_ID, pub]]);
    expect(verifySignedRequest({ url: PLAIN, cookies, publicKeys: keys, now: NOW })).toMatchObject({ ok: true, source: 'cookie', policy: { kind: 'canned' } });
    expect(verifySignedRequest({ url: `${PLAIN}&x=1`, cookies, publicKeys: keys, now: NOW })).toMatchObject({ ok: false, reason: 'BadSignature' });
  });
});

describe('cross-check with @aws-sdk/cloudfront-signer: key formats the SDK takes', () => {
  const PASS = 'correct horse battery staple';
  const forms: [label: string, type: TestKeyType, key: () => SdkKey][] = [
    ['RSA PKCS#8 PEM as a Buffer', 'rsa', () => ({ privateKey: Buffer.from(testKeyPair('rsa').privateKeyPem) })],
    ['RSA PKCS#1 PEM (BEGIN RSA PRIVATE KEY)', 'rsa', () => ({ privateKey: privateKeyPemAs(testKeyPair('rsa'), 'pkcs1') })],
    ['RSA encrypted PKCS#8 PEM with passphrase', 'rsa', () => ({ privateKey: privateKeyPemAs(testKeyPair('rsa'), 'pkcs8', PASS), passphrase: PASS })],
    ['RSA encrypted PKCS#1 PEM with passphrase', 'rsa', () => ({ privateKey: privateKeyPemAs(testKeyPair('rsa'), 'pkcs1', PASS), passphrase: PASS })],
    ['EC SEC1 PEM (BEGIN EC PRIVATE KEY)', 'ec', () => ({ privateKey: privateKeyPemAs(testKeyPair('ec'), 'sec1') })],
    ['EC encrypted PKCS#8 PEM with passphrase', 'ec', () => ({ privateKey: privateKeyPemAs(testKeyPair('ec'), 'pkcs8', PASS), passphrase: PASS })],
  ];
  const rows = forms.flatMap(([label, type, k]) => (['SHA1', 'SHA256'] as const).map((hash) => ({ label, type, hash, k })));
  it.each(rows)('$label, $hash: same policy and verifying signatures as ours from the plain PKCS#8 key', ({ type, hash, k }) => {
    const sdk = k();
    const pem = sdk.privateKey.toString();
    if (sdk.passphrase !== undefined) {
      // We refuse encrypted PEMs (decrypt first); the SDK decrypts with the passphrase.
      expect(() => loadSigningKey({ keyPairId: KEY_ID, privateKeyPem: pem, hash })).toThrow(/encrypted/);
    } else {
      expect(loadSigningKey({ keyPairId: KEY_ID, privateKeyPem: pem, hash }).keyType).toBe(type);
    }
    const options = { notBefore: NOT_BEFORE, ip: '203.0.113.0/24' };
    const ours = signUrl(PLAIN, key(type, hash), { expires: EXPIRES, ...options });
    const theirs = sdkSignedUrl(hash, sdk, { dateGreaterThan: at(NOT_BEFORE), ipAddress: '203.0.113.0/24' });
    expectSame(type, hash, signedUrlPolicy(ours), signedUrlPolicy(theirs), 'custom');
  });
});
