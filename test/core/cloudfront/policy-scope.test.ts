// The signer's last lines of defence (issue 9): a policy never covers a whole distribution, and an
// exact resource (url mode with a custom policy) never carries a wildcard.
import { describe, expect, it } from 'vitest';
import { customPolicyJson, exactResource, loadSigningKey, signedCookies, signUrl, SignerError } from '../../../src/core/cloudfront/signer.js';
import { verifySignedRequest } from '../../../src/edge/cf-verify.js';
import { resourceMatches, verifiedUrlPolicy } from '../../helpers/cloudfront.js';
import { ecKeyPair } from '../../helpers/keys.js';

const pair = ecKeyPair();
const key = loadSigningKey({ keyPairId: 'KSCOPE', privateKeyPem: pair.privateKeyPem });
const EXPIRES = 2_000_000_000;

describe('a Resource covering a whole distribution is refused', () => {
  it.each(['*', 'https://*', 'https://cdn.example.com/*', 'http://127.0.0.1:8080/*', 'https://d111.cloudfront.net/*'])('%s', (resource) => {
    expect(() => customPolicyJson({ resource, dateLessThan: EXPIRES })).toThrow(SignerError);
    expect(() => signedCookies(key, { resource, dateLessThan: EXPIRES })).toThrow(/covers a whole distribution/);
    expect(() => signUrl('https://cdn.example.com/v1/a.ts', key, { expires: EXPIRES, resource })).toThrow(/covers a whole distribution/);
  });

  it.each(['https://cdn.example.com/videos/v1/*', 'https://cdn.example.com/v/*', 'https://cdn.example.com/videos/v1/a.ts'])('but not a folder or an object: %s', (resource) => {
    expect(() => customPolicyJson({ resource, dateLessThan: EXPIRES })).not.toThrow();
  });
});

describe('exact resources are exact', () => {
  it.each([
    ['https://cdn.example.com/v1/seg*.ts', 'https://cdn.example.com/v1/seg%2A.ts'],
    ['https://cdn.example.com/v1/a.ts?x=?y&z=*', 'https://cdn.example.com/v1/a.ts?x=%3Fy&z=%2A'],
    ['https://cdn.example.com/v1/plain.ts', 'https://cdn.example.com/v1/plain.ts'],
  ])('%s is signed as %s', (url, exact) => {
    expect(exactResource(url)).toBe(exact);
    const signed = signUrl(url, key, { expires: EXPIRES, ip: '203.0.113.7' });
    expect(signed.startsWith(`${exact}${exact.includes('?') ? '&' : '?'}Policy=`)).toBe(true);
    const policy = verifiedUrlPolicy(signed, pair.publicKey);
    expect(policy.statement.Resource).toBe(exact);
  });

  it('a signature for seg*.ts does not open seg.ts or seg1.ts (checked by the local edge)', () => {
    const signed = signUrl('https://cdn.example.com/v1/seg*.ts', key, { expires: EXPIRES, ip: '203.0.113.7' });
    const query = signed.slice(signed.indexOf('?'));
    const publicKeys = new Map([['KSCOPE', pair.publicKey]]);
    expect(verifySignedRequest({ url: signed, publicKeys, now: EXPIRES - 100, clientIp: '203.0.113.7' })).toMatchObject({ ok: true });
    for (const sibling of ['seg.ts', 'seg1.ts', 'segment-9.ts']) {
      const result = verifySignedRequest({ url: `https://cdn.example.com/v1/${sibling}${query}`, publicKeys, now: EXPIRES - 100, clientIp: '203.0.113.7' });
      expect(result).toMatchObject({ ok: false, reason: 'ResourceMismatch' });
      expect(resourceMatches(verifiedUrlPolicy(signed, pair.publicKey).statement.Resource!, `https://cdn.example.com/v1/${sibling}`)).toBe(false);
    }
  });
});
