// The two signing modes. Signatures are verified with the public key against a policy the test
// rebuilds; "signed once" is observed through ECDSA, whose signatures differ on every signing.
import type { KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMediaSigner, prefixResource } from '../../../src/core/cloudfront/media-signer.js';
import { loadSigningKey, SignerError, type SigningKey } from '../../../src/core/cloudfront/signer.js';
import { cannedPolicy, fromCfBase64, signedUrlPolicy, verifyCfSignature, type PolicyStatement } from '../../helpers/cloudfront.js';
import { testKeyPair, type TestKeyType } from '../../helpers/keys.js';

const ROOT = 'https://cdn.example/videos/v1/';
const EXPIRES = 1_900_000_000;

function makeKey(type: TestKeyType, hash: 'SHA1' | 'SHA256'): { key: SigningKey; publicKey: KeyObject } {
  const pair = testKeyPair(type);
  return { key: loadSigningKey({ keyPairId: `K${type.toUpperCase()}${hash}`, privateKeyPem: pair.privateKeyPem, hash }), publicKey: pair.publicKey };
}

const rsa = makeKey('rsa', 'SHA1');
const ec = makeKey('ec', 'SHA256');

function params(signed: string): URLSearchParams {
  return new URL(signed).searchParams;
}

/** The custom policy's one statement, decoded from the signed URL's Policy. */
function statementOf(signed: string): PolicyStatement {
  const p = signedUrlPolicy(signed);
  expect(p.kind).toBe('custom');
  return p.statement;
}

function verifies(policyJson: string, signature: string, k: { key: SigningKey; publicKey: KeyObject }): boolean {
  return verifyCfSignature(k.publicKey, k.key.hash, policyJson, signature);
}

const URLS = [`${ROOT}720p/seg0.ts`, `${ROOT}720p/seg1.ts`, `${ROOT}720p/seg%202.ts?v=1`, `${ROOT}keys/k.key`, `${ROOT}a/b/c/%C3%A9.m4s`];

describe('wildcard mode', () => {
  it.each([rsa, ec])('signs once for N URLs: one Policy, one Signature ($key.keyType)', (k) => {
    const sign = createMediaSigner({ mode: 'wildcard', key: k.key, rootUrl: ROOT, expires: EXPIRES });
    const signed = URLS.map(sign);
    const signatures = new Set(signed.map((s) => params(s).get('Signature')));
    const policies = new Set(signed.map((s) => params(s).get('Policy')));
    expect(signatures.size).toBe(1);
    expect(policies.size).toBe(1);
    const policyParam = [...policies][0] ?? '';
    const json = fromCfBase64(policyParam).toString('utf8');
    expect(JSON.parse(json)).toEqual({ Statement: [{ Resource: `${ROOT}*`, Condition: { DateLessThan: { 'AWS:EpochTime': EXPIRES } } }] });
    expect(verifies(json, [...signatures][0] ?? '', k)).toBe(true);
    expect(params(signed[0] ?? '').get('Key-Pair-Id')).toBe(k.key.keyPairId);
    expect(params(signed[0] ?? '').get('Hash-Algorithm')).toBe(k.key.hash === 'SHA256' ? 'SHA256' : null);
  });

  it('appends with ? or & and keeps the URL as given', () => {
    const sign = createMediaSigner({ mode: 'wildcard', key: ec.key, rootUrl: ROOT, expires: EXPIRES });
    expect(sign(`${ROOT}a.ts`)).toMatch(/^https:\/\/cdn\.example\/videos\/v1\/a\.ts\?Policy=[^&]+&Signature=[^&]+&Key-Pair-Id=KECSHA256&Hash-Algorithm=SHA256$/);
    expect(sign(`${ROOT}a.ts?v=1&x=%2F`)).toMatch(/^https:\/\/cdn\.example\/videos\/v1\/a\.ts\?v=1&x=%2F&Policy=/);
  });

  it('puts not-before and the IP restriction in the one policy', () => {
    const sign = createMediaSigner({ mode: 'wildcard', key: rsa.key, rootUrl: ROOT, expires: EXPIRES, notBefore: EXPIRES - 3600, ip: '203.0.113.7' });
    expect(statementOf(sign(`${ROOT}a.ts`)).Condition).toEqual({
      DateLessThan: { 'AWS:EpochTime': EXPIRES },
      DateGreaterThan: { 'AWS:EpochTime': EXPIRES - 3600 },
      IpAddress: { 'AWS:SourceIp': '203.0.113.7/32' },
    });
  });

  it('refuses a URL outside the root, and a root with a literal * (it would widen the Resource)', () => {
    const sign = createMediaSigner({ mode: 'wildcard', key: rsa.key, rootUrl: ROOT, expires: EXPIRES });
    expect(() => sign('https://cdn.example/videos/v10/a.ts')).toThrow(SignerError);
    expect(() => sign('https://evil.example/videos/v1/a.ts')).toThrow(SignerError);
    expect(() => createMediaSigner({ mode: 'wildcard', key: rsa.key, rootUrl: 'https://cdn.example/videos/a*b/', expires: EXPIRES })).toThrow(/wildcard/);
  });
});

describe('url mode', () => {
  it('signs a repeated URL once (ECDSA signatures differ each time, so equal output means memoized)', () => {
    const sign = createMediaSigner({ mode: 'url', key: ec.key, rootUrl: ROOT, expires: EXPIRES });
    const first = sign(`${ROOT}all.mp4`);
    expect(sign(`${ROOT}all.mp4`)).toBe(first);
    // A fresh signer signs again, with a different ECDSA signature: the memo is per signer.
    const other = createMediaSigner({ mode: 'url', key: ec.key, rootUrl: ROOT, expires: EXPIRES })(`${ROOT}all.mp4`);
    expect(params(other).get('Signature')).not.toBe(params(first).get('Signature'));
  });

  it.each([rsa, ec])('uses a canned policy per URL that verifies ($key.keyType)', (k) => {
    const sign = createMediaSigner({ mode: 'url', key: k.key, rootUrl: ROOT, expires: EXPIRES });
    const signatures = new Set<string>();
    for (const url of URLS) {
      const signed = sign(url);
      const p = params(signed);
      expect(p.get('Expires')).toBe(String(EXPIRES));
      expect(p.get('Policy')).toBeNull();
      expect(signed.startsWith(`${url}${url.includes('?') ? '&' : '?'}Expires=`)).toBe(true);
      const json = cannedPolicy(url, EXPIRES);
      expect(verifies(json, p.get('Signature') ?? '', k)).toBe(true);
      signatures.add(p.get('Signature') ?? '');
    }
    expect(signatures.size).toBe(URLS.length);
  });

  it('uses a custom policy per URL with an IP restriction', () => {
    const sign = createMediaSigner({ mode: 'url', key: rsa.key, rootUrl: ROOT, expires: EXPIRES, ip: '2001:db8::/32' });
    const signed = sign(`${ROOT}a.ts`);
    expect(statementOf(signed)).toEqual({
      Resource: `${ROOT}a.ts`,
      Condition: { DateLessThan: { 'AWS:EpochTime': EXPIRES }, IpAddress: { 'AWS:SourceIp': '2001:db8::/32' } },
    });
  });

  it('refuses a root with a literal * once URLs get custom policies (IP or not-before): their Resource would cover other prefixes', () => {
    const root = 'https://cdn.example/videos/a*b/';
    // Canned policies have no wildcards: plain url mode signs under such a root.
    const canned = createMediaSigner({ mode: 'url', key: rsa.key, rootUrl: root, expires: EXPIRES })(`${root}seg.ts`);
    expect(params(canned).get('Expires')).toBe(String(EXPIRES));
    expect(() => createMediaSigner({ mode: 'url', key: rsa.key, rootUrl: root, expires: EXPIRES, ip: '203.0.113.7' })).toThrow(/contains "\*"/);
    expect(() => createMediaSigner({ mode: 'url', key: rsa.key, rootUrl: root, expires: EXPIRES, notBefore: EXPIRES - 60 })).toThrow(SignerError);
    expect(prefixResource(ROOT)).toBe(`${ROOT}*`);
    expect(() => prefixResource(root)).toThrow(SignerError);
  });

  it('refuses URLs outside the root or already signed, and bad options up front', () => {
    const sign = createMediaSigner({ mode: 'url', key: rsa.key, rootUrl: ROOT, expires: EXPIRES });
    expect(() => sign('https://cdn.example/videos/other/a.ts')).toThrow(SignerError);
    expect(() => sign(`${ROOT}a.ts?Signature=x`)).toThrow(/already carries/);
    expect(() => createMediaSigner({ mode: 'url', key: rsa.key, rootUrl: ROOT, expires: 1.5 })).toThrow(SignerError);
    expect(() => createMediaSigner({ mode: 'url', key: rsa.key, rootUrl: ROOT, expires: EXPIRES, ip: 'not-an-ip' })).toThrow(/invalid/);
    expect(() => createMediaSigner({ mode: 'url', key: rsa.key, rootUrl: 'https://cdn.example/videos/v1', expires: EXPIRES })).toThrow(/must end in/);
  });
});
