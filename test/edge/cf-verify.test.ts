import { describe, it, expect } from 'vitest';
import type { KeyObject } from 'node:crypto';
import {
  cannedPolicyBytes,
  cloudFrontError,
  describePolicy,
  ipInCidr,
  parseCustomPolicy,
  resourceMatches,
  stripSigningParams,
  verifySignedRequest,
  REJECT_REASONS,
  type RejectReason,
  type VerifyInput,
} from '../../src/edge/cf-verify.js';
import { loadSigningKey, signUrl, signedCookies, type HashAlgorithm, type SigningKey } from '../../src/core/cloudfront/signer.js';
import { cannedPolicy, cfSign, fromCfBase64, toCfBase64 } from '../helpers/cloudfront.js';
import { testKeyPair, type TestKeyType } from '../helpers/keys.js';

const KEY_ID = 'KTESTKEY1';
const EXPIRES = 1_900_000_000;
const NOW = EXPIRES - 600;
const BASE = 'https://d111111abcdef8.cloudfront.net';
const SEG = `${BASE}/videos/v1/seg 1.ts`;

function signer(type: TestKeyType = 'rsa', hash: HashAlgorithm = 'SHA1', slot = 0, keyPairId = KEY_ID): SigningKey {
  return loadSigningKey({ keyPairId, privateKeyPem: testKeyPair(type, slot).privateKeyPem, hash });
}

function trusted(type: TestKeyType = 'rsa'): Map<string, KeyObject> {
  return new Map([[KEY_ID, testKeyPair(type).publicKey]]);
}

function check(url: string, extra: Partial<VerifyInput> = {}, type: TestKeyType = 'rsa'): ReturnType<typeof verifySignedRequest> {
  return verifySignedRequest({ url, publicKeys: trusted(type), now: NOW, ...extra });
}

/** Replaces one query parameter's value textually. */
function setParam(url: string, name: string, value: string): string {
  return url.replace(new RegExp(`([?&]${name}=)[^&]*`), (_m, p: string) => `${p}${value}`);
}
function getParam(url: string, name: string): string {
  return new RegExp(`[?&]${name}=([^&]*)`).exec(url)?.[1] ?? '';
}
function dropParam(url: string, name: string): string {
  return url.replace(new RegExp(`&${name}=[^&]*`), '').replace(new RegExp(`\\?${name}=[^&]*&?`), '?');
}
/** Flips one character in the middle of a CloudFront-base64 value (full 6 bits, no padding bits). */
function flip(value: string, at = 10): string {
  const c = value[at];
  return value.slice(0, at) + (c === 'A' ? 'B' : 'A') + value.slice(at + 1);
}

/** A custom policy URL signed over arbitrary JSON with the test key (to test what the parser accepts). */
function withPolicy(url: string, json: string): string {
  return `${url}?Policy=${toCfBase64(json)}&Signature=${cfSign(testKeyPair('rsa').privateKey, 'SHA1', json)}&Key-Pair-Id=${KEY_ID}`;
}

const COMBOS: [TestKeyType, HashAlgorithm][] = [
  ['rsa', 'SHA1'],
  ['rsa', 'SHA256'],
  ['ec', 'SHA1'],
  ['ec', 'SHA256'],
];

describe('verifySignedRequest accepts what the signer emits', () => {
  it.each(COMBOS)('%s %s canned, custom, wildcard and cookies', (type, hash) => {
    const k = signer(type, hash);
    const canned = signUrl(SEG, k, { expires: EXPIRES });
    expect(check(canned, {}, type)).toEqual({
      ok: true,
      keyPairId: KEY_ID,
      source: 'query',
      hash,
      policy: { kind: 'canned', resource: new URL(SEG).href, dateLessThan: EXPIRES, json: expect.any(String) as string },
    });
    const custom = signUrl(SEG, k, { expires: EXPIRES, resource: `${BASE}/videos/v1/*`, notBefore: NOW - 10, ip: '10.0.0.0/8' });
    expect(check(custom, { clientIp: '10.1.2.3' }, type)).toMatchObject({ ok: true, hash, policy: { kind: 'custom', resource: `${BASE}/videos/v1/*`, dateGreaterThan: NOW - 10, sourceIp: '10.0.0.0/8' } });
    const cookies = signedCookies(k, { resource: `${BASE}/videos/v1/*`, dateLessThan: EXPIRES });
    expect(check(SEG, { cookies }, type)).toMatchObject({ ok: true, source: 'cookie', hash });
  });

  it('the signing parameters may come in any order and be percent-encoded', () => {
    const url = signUrl(`${SEG}?lang=en`, signer(), { expires: EXPIRES });
    const sig = getParam(url, 'Signature');
    const reordered = `${new URL(SEG).href}?Key-Pair-Id=${KEY_ID}&lang=en&Signature=${sig.replaceAll('~', '%7E')}&Expires=${EXPIRES}`;
    expect(check(reordered)).toMatchObject({ ok: true });
  });

  it('canned policy in cookies (CloudFront-Expires) covers exactly the requested URL', () => {
    const href = new URL(SEG).href;
    const cookies = {
      'CloudFront-Expires': String(EXPIRES),
      'CloudFront-Signature': cfSign(testKeyPair('ec').privateKey, 'SHA256', cannedPolicy(href, EXPIRES)),
      'CloudFront-Key-Pair-Id': KEY_ID,
      'CloudFront-Hash-Algorithm': 'SHA256',
    };
    expect(check(href, { cookies }, 'ec')).toMatchObject({ ok: true, source: 'cookie', policy: { kind: 'canned' } });
    expect(check(`${BASE}/videos/v1/other.ts`, { cookies }, 'ec')).toMatchObject({ ok: false, reason: 'BadSignature', source: 'cookie' });
  });
});

describe("canned policy: CloudFront's documented bytes, not the signer's", () => {
  const href = new URL(`${SEG}?lang=en`).href;
  const DOCUMENTED = `{"Statement":[{"Resource":"${href}","Condition":{"DateLessThan":{"AWS:EpochTime":${EXPIRES}}}}]}`;

  it('rebuilds exactly the documented string (no whitespace, Statement/Resource/Condition/DateLessThan order)', () => {
    expect(cannedPolicyBytes(href, EXPIRES)).toBe(DOCUMENTED);
    const url = `${href}&Expires=${EXPIRES}&Signature=${cfSign(testKeyPair('rsa').privateKey, 'SHA1', DOCUMENTED)}&Key-Pair-Id=${KEY_ID}`;
    expect(check(url)).toMatchObject({ ok: true, policy: { kind: 'canned', json: DOCUMENTED, resource: href } });
  });

  // What a signer with a canned-policy format bug would sign. CloudFront rebuilds the documented
  // bytes and refuses all of these; so must the verifier (the signatures are made here, with the
  // test key, not by the signer).
  const variants: [label: string, json: string][] = [
    ['spaces after separators', DOCUMENTED.replaceAll('":', '": ').replaceAll(',"', ', "')],
    ['pretty-printed', JSON.stringify(JSON.parse(DOCUMENTED), null, 2)],
    ['Condition before Resource', `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":${EXPIRES}}},"Resource":"${href}"}]}`],
    ['trailing newline', `${DOCUMENTED}\n`],
    ['Expires as a JSON string', DOCUMENTED.replace(`:${EXPIRES}}`, `:"${EXPIRES}"}`)],
    ['slashes escaped (\\/)', DOCUMENTED.replaceAll('/', '\\/')],
    ['Resource percent-decoded', DOCUMENTED.replace('seg%201.ts', 'seg 1.ts')],
    ['Resource without its query', DOCUMENTED.replace('?lang=en', '')],
    ['statement not in an array', `{"Statement":{"Resource":"${href}","Condition":{"DateLessThan":{"AWS:EpochTime":${EXPIRES}}}}}`],
  ];

  it('the variants really differ from the documented bytes', () => {
    for (const [label, json] of variants) expect(json, label).not.toBe(DOCUMENTED);
  });

  const rows = COMBOS.flatMap(([type, hash]) => variants.map(([label, json]) => ({ type, hash, label, json })));
  it.each(rows)('$type $hash refuses a canned signature over: $label', ({ type, hash, label, json }) => {
    const { privateKey } = testKeyPair(type);
    const hashParam = hash === 'SHA256' ? '&Hash-Algorithm=SHA256' : '';
    const query = (j: string): string => `${href}&Expires=${EXPIRES}&Signature=${cfSign(privateKey, hash, j)}&Key-Pair-Id=${KEY_ID}${hashParam}`;
    // The same key and parameters over the documented bytes pass: only the format differs.
    expect(check(query(DOCUMENTED), {}, type)).toMatchObject({ ok: true, hash });
    expect(check(query(json), {}, type), label).toMatchObject({ ok: false, reason: 'BadSignature', policy: { kind: 'canned', json: DOCUMENTED } });
    const cookies = (j: string): Record<string, string> => ({
      'CloudFront-Expires': String(EXPIRES),
      'CloudFront-Signature': cfSign(privateKey, hash, j),
      'CloudFront-Key-Pair-Id': KEY_ID,
      ...(hash === 'SHA256' ? { 'CloudFront-Hash-Algorithm': 'SHA256' } : {}),
    });
    expect(check(href, { cookies: cookies(DOCUMENTED) }, type)).toMatchObject({ ok: true, source: 'cookie' });
    expect(check(href, { cookies: cookies(json) }, type)).toMatchObject({ ok: false, reason: 'BadSignature', source: 'cookie' });
  });
});

describe('every reason code', () => {
  const canned = (): string => signUrl(SEG, signer(), { expires: EXPIRES });
  const custom = (o: { resource?: string; notBefore?: number; ip?: string; expires?: number } = {}): string =>
    signUrl(SEG, signer(), { expires: o.expires ?? EXPIRES, resource: o.resource ?? `${BASE}/videos/v1/*`, notBefore: o.notBefore, ip: o.ip });

  const cases: [label: string, reason: RejectReason, make: () => [url: string, extra?: Partial<VerifyInput>]][] = [
    ['no signing parameters at all', 'MissingKey', () => [new URL(SEG).href]],
    ['query without Key-Pair-Id', 'MissingKey', () => [dropParam(canned(), 'Key-Pair-Id')]],
    ['empty Key-Pair-Id', 'MissingKey', () => [setParam(canned(), 'Key-Pair-Id', '')]],
    ['cookies without CloudFront-Key-Pair-Id', 'MissingKey', () => [SEG, { cookies: { 'CloudFront-Policy': 'x', 'CloudFront-Signature': 'y' } }]],
    ['unrelated cookies only', 'MissingKey', () => [SEG, { cookies: { session: 'abc' } }]],
    ['key id not trusted', 'UnknownKey', () => [signUrl(SEG, signer('rsa', 'SHA1', 0, 'KOTHER'), { expires: EXPIRES })]],
    ['no key trusted at all', 'UnknownKey', () => [canned(), { publicKeys: new Map() }]],
    ['Policy not CloudFront base64', 'MalformedPolicy', () => [setParam(custom(), 'Policy', 'abc+def')]],
    ['Policy not JSON', 'MalformedPolicy', () => [withPolicy(SEG, 'not json')]],
    ['two statements', 'MalformedPolicy', () => [withPolicy(SEG, JSON.stringify({ Statement: [{ Condition: { DateLessThan: { 'AWS:EpochTime': EXPIRES } } }, { Condition: { DateLessThan: { 'AWS:EpochTime': EXPIRES } } }] }))]],
    ['no DateLessThan', 'MalformedPolicy', () => [withPolicy(SEG, JSON.stringify({ Statement: [{ Resource: SEG, Condition: { DateGreaterThan: { 'AWS:EpochTime': 1 } } }] }))]],
    ['DateLessThan as a string', 'MalformedPolicy', () => [withPolicy(SEG, JSON.stringify({ Statement: [{ Condition: { DateLessThan: { 'AWS:EpochTime': String(EXPIRES) } } }] }))]],
    ['unknown condition', 'MalformedPolicy', () => [withPolicy(SEG, JSON.stringify({ Statement: [{ Condition: { DateLessThan: { 'AWS:EpochTime': EXPIRES }, Referer: {} } }] }))]],
    ['bad SourceIp', 'MalformedPolicy', () => [withPolicy(SEG, JSON.stringify({ Statement: [{ Condition: { DateLessThan: { 'AWS:EpochTime': EXPIRES }, IpAddress: { 'AWS:SourceIp': '10.0.0.0/40' } } }] }))]],
    ['both Expires and Policy', 'MalformedPolicy', () => [`${custom()}&Expires=${EXPIRES}`]],
    ['neither Expires nor Policy', 'MalformedPolicy', () => [dropParam(canned(), 'Expires')]],
    ['Expires not a number', 'MalformedPolicy', () => [setParam(canned(), 'Expires', '2030-01-01')]],
    ['Hash-Algorithm MD5', 'MalformedPolicy', () => [`${canned()}&Hash-Algorithm=MD5`]],
    ['one flipped signature character', 'BadSignature', () => [setParam(canned(), 'Signature', flip(getParam(canned(), 'Signature')))]],
    ['no Signature', 'BadSignature', () => [dropParam(canned(), 'Signature')]],
    ['Signature not base64', 'BadSignature', () => [setParam(canned(), 'Signature', 'a+b/c=')]],
    ['signed by another private key', 'BadSignature', () => [signUrl(SEG, signer('rsa', 'SHA1', 1), { expires: EXPIRES })]],
    ['path changed after signing (canned)', 'BadSignature', () => [canned().replace('seg%201.ts', 'seg%202.ts')]],
    ['query parameter added after signing (canned)', 'BadSignature', () => [`${canned()}&lang=en`]],
    ['Expires raised after signing', 'BadSignature', () => [setParam(canned(), 'Expires', String(EXPIRES + 3600))]],
    ['SHA256 signature sent without Hash-Algorithm', 'BadSignature', () => [dropParam(signUrl(SEG, signer('rsa', 'SHA256'), { expires: EXPIRES }), 'Hash-Algorithm')]],
    ['SHA1 signature claimed as SHA256', 'BadSignature', () => [`${canned()}&Hash-Algorithm=SHA256`]],
    ['ECDSA signature checked with the RSA key', 'BadSignature', () => [signUrl(SEG, signer('ec'), { expires: EXPIRES })]],
    ['expired (now == DateLessThan)', 'Expired', () => [canned(), { now: EXPIRES }]],
    ['expired long ago', 'Expired', () => [canned(), { now: EXPIRES + 86_400 * 3 }]],
    ['not yet valid', 'NotYetValid', () => [custom({ notBefore: NOW + 60 })]],
    ['client outside the CIDR', 'IpMismatch', () => [custom({ ip: '192.0.2.0/24' }), { clientIp: '198.51.100.7' }]],
    ['no client address for an IP policy', 'IpMismatch', () => [custom({ ip: '192.0.2.0/24' })]],
    ['wildcard for another prefix', 'ResourceMismatch', () => [custom({ resource: `${BASE}/videos/v2/*` })]],
    ['exact resource, other query', 'ResourceMismatch', () => [signUrl(`${SEG}?lang=en`, signer(), { expires: EXPIRES, resource: `${new URL(SEG).href}?lang=fr` })]],
  ];

  it.each(cases)('%s → %s', (_label, reason, make) => {
    const [url, extra] = make();
    const r = check(url, extra);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe(reason);
    expect(r.message.length).toBeGreaterThan(5);
    // Messages never echo the signature.
    const sig = getParam(url, 'Signature');
    if (sig.length > 20) expect(r.message).not.toContain(sig);
  });

  it('covers every reason code', () => {
    expect(new Set(cases.map(([, reason]) => reason))).toEqual(new Set(REJECT_REASONS));
  });

  it('boundaries: valid one second before DateLessThan and exactly at DateGreaterThan', () => {
    expect(check(canned(), { now: EXPIRES - 1 }).ok).toBe(true);
    expect(check(custom({ notBefore: NOW }), { now: NOW }).ok).toBe(true);
    expect(check(custom({ notBefore: NOW }), { now: NOW - 1 })).toMatchObject({ reason: 'NotYetValid' });
  });

  it('a tampered policy is BadSignature, never Expired or a resource mismatch', () => {
    const url = custom({ resource: `${BASE}/videos/v1/*` });
    const json = fromCfBase64(getParam(url, 'Policy')).toString();
    const forged = json.replace(String(EXPIRES), String(EXPIRES + 86_400 * 365)).replace('/videos/v1/*', '/*');
    expect(forged).not.toBe(json);
    const r = check(setParam(url, 'Policy', toCfBase64(forged)), { now: EXPIRES + 10 });
    expect(r).toMatchObject({ ok: false, reason: 'BadSignature', policy: { kind: 'custom', resource: `${BASE}/*` } });
  });

  it('order: resource before IP before time', () => {
    const url = custom({ resource: `${BASE}/videos/v2/*`, ip: '192.0.2.0/24' });
    expect(check(url, { now: EXPIRES + 1, clientIp: '198.51.100.1' })).toMatchObject({ reason: 'ResourceMismatch' });
    const url2 = custom({ ip: '192.0.2.0/24' });
    expect(check(url2, { now: EXPIRES + 1, clientIp: '198.51.100.1' })).toMatchObject({ reason: 'IpMismatch' });
    expect(check(url2, { now: EXPIRES + 1, clientIp: '192.0.2.1' })).toMatchObject({ reason: 'Expired' });
  });

  it('reports the key id, the source and the policy with a refusal', () => {
    const r = check(canned(), { now: EXPIRES + 3600 });
    expect(r).toMatchObject({ ok: false, reason: 'Expired', keyPairId: KEY_ID, source: 'query', policy: { kind: 'canned', dateLessThan: EXPIRES } });
    if (!r.ok) expect(r.message).toBe('expired at 2030-03-17T17:46:40Z (60 min ago)');
  });

  it('a policy without Resource covers any URL', () => {
    expect(check(withPolicy(`${BASE}/any/thing.ts`, JSON.stringify({ Statement: [{ Condition: { DateLessThan: { 'AWS:EpochTime': EXPIRES } } }] })))).toMatchObject({ ok: true, policy: { kind: 'custom' } });
  });
});

describe('query versus cookies', () => {
  const cookieOk = (): Record<string, string> => signedCookies(signer(), { resource: `${BASE}/videos/v1/*`, dateLessThan: EXPIRES });
  const cookieBad = (): Record<string, string> => ({ ...cookieOk(), 'CloudFront-Signature': flip(cookieOk()['CloudFront-Signature'] ?? '') });

  it('valid query wins over broken cookies', () => {
    expect(check(signUrl(SEG, signer(), { expires: EXPIRES }), { cookies: cookieBad() })).toMatchObject({ ok: true, source: 'query' });
  });
  it('a broken query is not rescued by valid cookies (the sources never mix)', () => {
    const url = signUrl(SEG, signer(), { expires: EXPIRES });
    expect(check(setParam(url, 'Signature', flip(getParam(url, 'Signature'))), { cookies: cookieOk() })).toMatchObject({ ok: false, reason: 'BadSignature', source: 'query' });
    expect(check(dropParam(url, 'Key-Pair-Id'), { cookies: cookieOk() })).toMatchObject({ ok: false, reason: 'MissingKey', source: 'query' });
  });
  it('cookies are used when the query has no signing parameters (other parameters are fine)', () => {
    expect(check(`${SEG}?lang=en`, { cookies: cookieOk() })).toMatchObject({ ok: true, source: 'cookie' });
    expect(check(SEG, { cookies: cookieBad() })).toMatchObject({ ok: false, reason: 'BadSignature', source: 'cookie' });
    expect(check(`${BASE}/videos/v2/a.ts`, { cookies: cookieOk() })).toMatchObject({ ok: false, reason: 'ResourceMismatch', source: 'cookie' });
  });
});

describe('stripSigningParams (textual, never re-serialized)', () => {
  it.each([
    ['https://h/a.ts', 'https://h/a.ts'],
    ['https://h/a.ts?Expires=1&Signature=x&Key-Pair-Id=K', 'https://h/a.ts'],
    ['https://h/a.ts?x=a%20b&Expires=1&y=%7e+&Signature=x&Key-Pair-Id=K&Hash-Algorithm=SHA256', 'https://h/a.ts?x=a%20b&y=%7e+'],
    ['https://h/a.ts?Policy=p&z=1', 'https://h/a.ts?z=1'],
    ["https://h/a b'é.ts?q=é&Policy=p", "https://h/a b'é.ts?q=é"],
    ['https://h/a.ts?expires=1&Signature=x', 'https://h/a.ts?expires=1'],
    ['https://h/a.ts?Expires=1#frag', 'https://h/a.ts'],
    ['https://h/a.ts?', 'https://h/a.ts'],
  ])('%s', (input, expected) => {
    expect(stripSigningParams(input)).toBe(expected);
  });
});

describe('resourceMatches', () => {
  it.each([
    ['https://h/v/*', 'https://h/v/seg.ts', true],
    ['https://h/v/*', 'https://h/v/', true],
    ['https://h/v/*', 'https://h/v', false],
    ['https://h/v/*', 'https://h/w/seg.ts', false],
    ['https://h/v/*', 'https://h/v/a/b/c.ts?x=1', true],
    ['https://h/v/*.ts', 'https://h/v/a/b.ts', true],
    ['https://h/v/*.ts', 'https://h/v/a.m3u8', false],
    ['*', 'anything at all', true],
    ['*', '', true],
    ['https://h/v/seg?.ts', 'https://h/v/seg1.ts', true],
    ['https://h/v/seg?.ts', 'https://h/v/seg12.ts', false],
    ['https://h/v/seg?.ts', 'https://h/v/seg.ts', false],
    ['https://h/v/seg??.ts', 'https://h/v/seg12.ts', true],
    ['https://h/a.ts?x=1', 'https://h/a.ts?x=1', true],
    ['https://h/a.ts?x=1', 'https://h/a.tsQx=1', true], // `?` is a wildcard even in a query
    ['https://h/a.ts', 'https://h/a.ts?x=1', false],
    ['https://h/a.ts*', 'https://h/a.ts?x=1', true],
    ['https://h/a.ts', 'https://H/a.ts', false], // case-sensitive, literal
    ['https://h/a.ts', 'https://h/a.tsx', false], // anchored at the end
    ['h/a.ts', 'https://h/a.ts', false], // anchored at the start
    ['*://h/a.ts', 'http://h/a.ts', true],
    ['https://h/(a)[b]{c}+.ts', 'https://h/(a)[b]{c}+.ts', true], // regex characters are literal
    ['https://h/a.ts', 'https://h/aXts', false], // `.` is literal
    ['https://h/*/seg*.ts', 'https://h/v1/720p/seg-001.ts', true],
    ['https://h/*a*a*a*a*b', `https://h/${'a'.repeat(200)}`, false], // no catastrophic backtracking
    ['https://h/é/*', 'https://h/é/x', true],
    ['https://h/?', 'https://h/é', true], // one character, not one byte
  ])('%s ~ %s → %s', (pattern, url, expected) => {
    expect(resourceMatches(pattern, url)).toBe(expected);
  });
});

describe('ipInCidr', () => {
  it.each([
    ['203.0.113.7', '203.0.113.0/24', true],
    ['203.0.114.7', '203.0.113.0/24', false],
    ['10.200.1.1', '10.0.0.0/8', true],
    ['11.0.0.1', '10.0.0.0/8', false],
    ['192.0.2.1', '192.0.2.1', true], // bare address = /32
    ['192.0.2.2', '192.0.2.1', false],
    ['192.0.2.2', '192.0.2.1/32', false],
    ['1.2.3.4', '0.0.0.0/0', true],
    ['203.0.113.7', '203.0.113.255/24', true], // host bits in the CIDR are ignored
    ['::ffff:203.0.113.7', '203.0.113.0/24', true], // IPv4-mapped IPv6 matches IPv4 CIDRs
    ['::FFFF:cb00:7107', '203.0.113.0/24', true], // the same, hex form
    ['::ffff:203.0.114.7', '203.0.113.0/24', false],
    ['::1', '0.0.0.0/0', false], // IPv6 that is not IPv4-mapped never matches an IPv4 CIDR
    ['203.0.113.7', '::ffff:203.0.113.0/120', true], // IPv4 matches an IPv6 CIDR covering its mapped form
    ['203.0.113.7', '2001:db8::/32', false],
    ['2001:db8::1', '2001:db8::/32', true],
    ['2001:db8:ffff:ffff::1', '2001:db8::/32', true],
    ['2001:db9::1', '2001:db8::/32', false],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1/128', true],
    ['2001:db8::2', '2001:db8::1', false],
    ['fe80::1%eth0', 'fe80::/10', true],
    ['::1', '::1/128', true],
    ['::', '::/0', true],
    ['2001:db8::1', '2001:db8::/129', false], // invalid prefix never matches
    ['10.0.0.1', '10.0.0.0/33', false],
    ['10.0.0.1', '10.0.0.0/x', false],
    ['10.0.0.1', 'not-an-ip/8', false],
    ['not-an-ip', '10.0.0.0/8', false],
    ['10.0.0.1', '', false],
  ])('%s in %s → %s', (ip, cidr, expected) => {
    expect(ipInCidr(ip, cidr)).toBe(expected);
  });
});

describe('cloudFrontError', () => {
  it.each([
    ['MissingKey', 'MissingKey', 'Missing Key-Pair-Id query parameter or cookie value'],
    ['UnknownKey', 'InvalidKey', 'Unknown Key'],
    ['MalformedPolicy', 'MalformedPolicy', 'Malformed Policy'],
    ['Expired', 'AccessDenied', 'Access denied'],
    ['NotYetValid', 'AccessDenied', 'Access denied'],
    ['IpMismatch', 'AccessDenied', 'Access denied'],
    ['ResourceMismatch', 'AccessDenied', 'Access denied'],
    ['BadSignature', 'AccessDenied', 'Access denied'],
  ] as [RejectReason, string, string][])('%s → %s "%s"', (reason, code, message) => {
    expect(cloudFrontError(reason)).toEqual({ status: 403, code, message, xml: `<Error><Code>${code}</Code><Message>${message}</Message></Error>` });
  });
});

describe('parseCustomPolicy and describePolicy', () => {
  it('parses a full policy and describes it in plain words', () => {
    const json = JSON.stringify({
      Statement: [
        {
          Resource: `${BASE}/videos/v1/*`,
          Condition: { DateLessThan: { 'AWS:EpochTime': EXPIRES }, DateGreaterThan: { 'AWS:EpochTime': NOW - 7200 }, IpAddress: { 'AWS:SourceIp': '2001:db8::/32' } },
        },
      ],
    });
    const p = parseCustomPolicy(json);
    expect(p).toEqual({ kind: 'custom', json, resource: `${BASE}/videos/v1/*`, dateLessThan: EXPIRES, dateGreaterThan: NOW - 7200, sourceIp: '2001:db8::/32' });
    if (typeof p === 'string') return;
    expect(describePolicy(p, NOW)).toEqual([
      'custom policy',
      `resource ${BASE}/videos/v1/*`,
      'valid since 2030-03-17T15:36:40Z (2 h ago)',
      'expires 2030-03-17T17:46:40Z (in 10 min)',
      'client address must be in 2001:db8::/32',
    ]);
    expect(describePolicy(p, EXPIRES + 3 * 86_400)).toContain('expired 2030-03-17T17:46:40Z (3 days ago)');
    expect(describePolicy({ kind: 'canned', json: '', resource: SEG, dateLessThan: EXPIRES }, EXPIRES - 30)).toEqual([
      'canned policy (resource is the URL itself)',
      `resource ${SEG}`,
      'expires 2030-03-17T17:46:40Z (in 30 s)',
      'any client address',
    ]);
    expect(describePolicy({ kind: 'custom', json: '', dateLessThan: EXPIRES }, NOW)[1]).toBe('resource any (the policy has no Resource)');
  });

  it.each([
    ['[]', /no "Statement" array/],
    ['{"Statement":[],"Extra":1}', /unexpected field "Extra"/],
    ['{"Statement":[]}', /exactly one statement, has 0/],
    ['{"Statement":[{"Resource":1,"Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}', /Resource must be a string/],
    ['{"Statement":[{"Resource":"x"}]}', /no Condition/],
    ['{"Statement":[{"Effect":"Allow","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}', /unexpected field "Effect"/],
    ['{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1.5}}}]}', /whole epoch seconds/],
    ['{"Statement":[{"Condition":{"DateLessThan":1}}]}', /DateLessThan must be/],
    ['{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1},"IpAddress":{"AWS:SourceIp":5}}}]}', /IpAddress must be/],
  ])('malformed: %s', (json, message) => {
    expect(parseCustomPolicy(json)).toMatch(message);
  });
});
