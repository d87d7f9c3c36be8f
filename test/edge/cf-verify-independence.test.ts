// The verifier does not borrow the signer's CloudFront formats. Here the signer module's exports are
// replaced by a signer with a canned-policy format bug (spaces after the JSON separators) and broken
// format helpers. If cf-verify.ts used any of them, it would rebuild the buggy bytes (and accept the
// buggy signer's URLs), fail to decode base64, keep signing parameters in the resource, or refuse
// every IP condition: each test below would fail. Signatures that must pass are made with the test
// key over the documented bytes (test/helpers/cloudfront.ts), not by the signer.
import { describe, expect, it, vi } from 'vitest';
import type * as Signer from '../../src/core/cloudfront/signer.js';
import { cannedPolicyJson, cfBase64Decode, isSigningParam, loadSigningKey, normalizeCidr, signPolicy } from '../../src/core/cloudfront/signer.js';
import { stripSigningParams, verifySignedRequest } from '../../src/edge/cf-verify.js';
import { cannedPolicy, cfSign, toCfBase64 } from '../helpers/cloudfront.js';
import { testKeyPair } from '../helpers/keys.js';

vi.mock('../../src/core/cloudfront/signer.js', async (importOriginal) => {
  const real = await importOriginal<typeof Signer>();
  return {
    ...real,
    cannedPolicyJson: (url: string, expires: number): string => real.cannedPolicyJson(url, expires).replaceAll('":', '": ').replaceAll(',"', ', "'),
    cfBase64Decode: (): Buffer | undefined => undefined,
    isSigningParam: (): boolean => false,
    normalizeCidr: (cidr: string): string => {
      throw new real.SignerError(`mocked: ${cidr}`);
    },
  };
});

const KEY_ID = 'KINDEPENDENT';
const EXPIRES = 1_900_000_000;
const NOW = EXPIRES - 600;
const URL_ = 'https://d111111abcdef8.cloudfront.net/videos/v1/seg%201.ts?lang=en';
const publicKeys = new Map([[KEY_ID, testKeyPair('rsa').publicKey]]);
const sign = (json: string): string => cfSign(testKeyPair('rsa').privateKey, 'SHA1', json);

describe('cf-verify with a signer module whose formats are broken', () => {
  it('the mock is in effect (otherwise the tests below prove nothing)', () => {
    expect(cannedPolicyJson(URL_, EXPIRES)).not.toBe(cannedPolicy(URL_, EXPIRES));
    expect(cannedPolicyJson(URL_, EXPIRES)).toContain('"Statement": [');
    expect(cfBase64Decode('QUJD')).toBeUndefined();
    expect(isSigningParam('Signature')).toBe(false);
    expect(() => normalizeCidr('10.0.0.0/8')).toThrow(/mocked/);
  });

  it('accepts a canned URL signed over the documented bytes, and reports those bytes', () => {
    const url = `${URL_}&Expires=${EXPIRES}&Signature=${sign(cannedPolicy(URL_, EXPIRES))}&Key-Pair-Id=${KEY_ID}`;
    expect(stripSigningParams(url)).toBe(URL_);
    expect(verifySignedRequest({ url, publicKeys, now: NOW })).toMatchObject({ ok: true, policy: { kind: 'canned', json: cannedPolicy(URL_, EXPIRES), resource: URL_ } });
  });

  it("refuses the buggy signer's canned URL (signature over its whitespace variant)", () => {
    const k = loadSigningKey({ keyPairId: KEY_ID, privateKeyPem: testKeyPair('rsa').privateKeyPem });
    const buggy = `${URL_}&Expires=${EXPIRES}&Signature=${signPolicy(k, cannedPolicyJson(URL_, EXPIRES))}&Key-Pair-Id=${KEY_ID}`;
    expect(verifySignedRequest({ url: buggy, publicKeys, now: NOW })).toMatchObject({ ok: false, reason: 'BadSignature' });
  });

  it('decodes Policy and Signature and reads IP conditions itself', () => {
    const json = JSON.stringify({
      Statement: [{ Resource: 'https://d111111abcdef8.cloudfront.net/videos/v1/*', Condition: { DateLessThan: { 'AWS:EpochTime': EXPIRES }, IpAddress: { 'AWS:SourceIp': '2001:db8::/32' } } }],
    });
    const url = `${URL_}&Policy=${toCfBase64(json)}&Signature=${sign(json)}&Key-Pair-Id=${KEY_ID}`;
    expect(verifySignedRequest({ url, publicKeys, now: NOW, clientIp: '2001:db8::5' })).toMatchObject({ ok: true, policy: { kind: 'custom', sourceIp: '2001:db8::/32' } });
    expect(verifySignedRequest({ url, publicKeys, now: NOW, clientIp: '2001:db9::5' })).toMatchObject({ ok: false, reason: 'IpMismatch' });
  });
});
