// The tests' own model of CloudFront's signed-request format: base64 variant, policy extraction
// from signed URLs and signed cookies, signature verification with the PUBLIC key, and signing of
// arbitrary policy bytes with a test key (to build signatures a buggy signer would have made).
//
// Written from CloudFront's documentation, independently of src/: it must not import the signer's
// policy builders or base64 helpers (nor the verifier's), otherwise a format bug in the signer would
// be reproduced here and go unnoticed. Structural problems (a missing Signature, both Expires and
// Policy, characters outside CloudFront's base64 alphabet, ...) throw with a message; whether a
// signature verifies is a boolean, so tests can also assert that one does NOT.
import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';

export type CfHash = 'SHA1' | 'SHA256';

/** The query parameters CloudFront consumes (and removes before matching the resource). */
export const CF_SIGNING_PARAMS: readonly string[] = ['Expires', 'Policy', 'Signature', 'Key-Pair-Id', 'Hash-Algorithm'];

const CF_BASE64 = /^[A-Za-z0-9_~-]+$/;

/** CloudFront base64 (`-` for `+`, `_` for `=`, `~` for `/`) to bytes. Throws outside that alphabet. */
export function fromCfBase64(text: string): Buffer {
  if (!CF_BASE64.test(text)) throw new Error(`not CloudFront base64 (A-Z a-z 0-9 - _ ~): ${JSON.stringify(text.slice(0, 60))}`);
  return Buffer.from(text.replaceAll('-', '+').replaceAll('_', '=').replaceAll('~', '/'), 'base64');
}

/** Bytes (or UTF-8 text) to CloudFront base64. */
export function toCfBase64(data: Buffer | string): string {
  const b64 = (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64');
  return b64.replaceAll('+', '-').replaceAll('=', '_').replaceAll('/', '~');
}

/**
 * The canned policy CloudFront rebuilds for a request, in its documented exact bytes (no
 * whitespace): `{"Statement":[{"Resource":"<URL>","Condition":{"DateLessThan":{"AWS:EpochTime":<Expires>}}}]}`.
 * The URL is written as a JSON string.
 */
export function cannedPolicy(resource: string, expires: number): string {
  return '{"Statement":[{"Resource":' + JSON.stringify(resource) + ',"Condition":{"DateLessThan":{"AWS:EpochTime":' + String(expires) + '}}}]}';
}

export interface EpochCondition {
  'AWS:EpochTime': number;
}

export interface PolicyStatement {
  Resource?: string;
  Condition: { DateLessThan: EpochCondition; DateGreaterThan?: EpochCondition; IpAddress?: { 'AWS:SourceIp': string } };
}

export interface PolicyDocument {
  Statement: PolicyStatement[];
}

/** Parses policy JSON and checks CloudFront's shape: one statement, a numeric DateLessThan. */
export function parsePolicy(json: string): PolicyDocument {
  const doc = JSON.parse(json) as PolicyDocument;
  if (!Array.isArray(doc.Statement) || doc.Statement.length !== 1) throw new Error(`policy must have exactly one statement: ${json}`);
  const when = doc.Statement[0]?.Condition?.DateLessThan?.['AWS:EpochTime'];
  if (typeof when !== 'number') throw new Error(`policy has no numeric DateLessThan: ${json}`);
  return doc;
}

/** A CloudFront-base64 `Policy` value (query or cookie) to its policy document. */
export function decodePolicy(cfBase64Text: string): PolicyDocument {
  return parsePolicy(fromCfBase64(cfBase64Text).toString('utf8'));
}

/**
 * Splits a signed URL textually, the way CloudFront reads it: the URL with the signing parameters
 * removed from the raw query (the rest byte for byte, no `?` when nothing remains, no fragment),
 * and the signing parameters' values (percent-decoded). Throws on a repeated signing parameter.
 */
export function splitSignedUrl(url: string): { resource: string; params: Map<string, string> } {
  const hash = url.indexOf('#');
  const noFragment = hash === -1 ? url : url.slice(0, hash);
  const q = noFragment.indexOf('?');
  const params = new Map<string, string>();
  if (q === -1) return { resource: noFragment, params };
  const kept: string[] = [];
  for (const part of noFragment.slice(q + 1).split('&')) {
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    if (!CF_SIGNING_PARAMS.includes(name)) {
      kept.push(part);
      continue;
    }
    if (params.has(name)) throw new Error(`signing parameter ${name} appears twice in ${url}`);
    params.set(name, decodeURIComponent(eq === -1 ? '' : part.slice(eq + 1)));
  }
  return { resource: kept.length ? `${noFragment.slice(0, q)}?${kept.join('&')}` : noFragment.slice(0, q), params };
}

/** What a signed URL or a set of signed cookies says, with the exact bytes its signature covers. */
export interface SignedPolicy {
  source: 'query' | 'cookie';
  kind: 'canned' | 'custom';
  /** The bytes the signature covers: rebuilt here (canned) or decoded from Policy (custom). */
  bytes: Buffer;
  /** `bytes` as text. */
  json: string;
  statement: PolicyStatement;
  dateLessThan: number;
  /** Query only: the URL minus its signing parameters (what CloudFront matches the Resource with). */
  url?: string;
  /** The Policy value as sent (custom only). */
  policyText?: string;
  signature: Buffer;
  /** The Signature value as sent. */
  signatureText: string;
  keyPairId: string;
  hash: CfHash;
}

function hashOf(value: string | undefined, where: string): CfHash {
  if (value === undefined) return 'SHA1';
  if (value === 'SHA256') return 'SHA256';
  throw new Error(`${where} "${value}" is neither absent (SHA1) nor SHA256`);
}

function build(
  source: 'query' | 'cookie',
  v: { expires?: string; policy?: string; signature?: string; keyPairId?: string; hash?: string },
  url: string | undefined,
  name: (n: string) => string,
): SignedPolicy {
  if (!v.keyPairId) throw new Error(`no ${name('Key-Pair-Id')}`);
  if (!v.signature) throw new Error(`no ${name('Signature')}`);
  if (v.expires !== undefined && v.policy !== undefined) throw new Error(`both ${name('Expires')} and ${name('Policy')}`);
  const signature = fromCfBase64(v.signature);
  const hash = hashOf(v.hash, name('Hash-Algorithm'));
  const common = { source, signature, signatureText: v.signature, keyPairId: v.keyPairId, hash };
  if (v.policy !== undefined) {
    const bytes = fromCfBase64(v.policy);
    const json = bytes.toString('utf8');
    const statement = parsePolicy(json).Statement[0]!;
    return { ...common, kind: 'custom', bytes, json, statement, dateLessThan: statement.Condition.DateLessThan['AWS:EpochTime'], policyText: v.policy, ...(url === undefined ? {} : { url }) };
  }
  if (v.expires === undefined) throw new Error(`neither ${name('Expires')} nor ${name('Policy')}`);
  if (!/^\d+$/.test(v.expires)) throw new Error(`${name('Expires')} "${v.expires}" is not epoch seconds`);
  if (url === undefined) throw new Error('a canned policy in cookies needs the request URL to rebuild it');
  const json = cannedPolicy(url, Number(v.expires));
  const statement = parsePolicy(json).Statement[0]!;
  return { ...common, kind: 'canned', bytes: Buffer.from(json, 'utf8'), json, statement, dateLessThan: Number(v.expires), url };
}

/** The policy of a signed URL: canned (rebuilt from the URL and Expires) or custom (decoded from Policy). */
export function signedUrlPolicy(signedUrl: string): SignedPolicy {
  const { resource, params } = splitSignedUrl(signedUrl);
  return build(
    'query',
    { expires: params.get('Expires'), policy: params.get('Policy'), signature: params.get('Signature'), keyPairId: params.get('Key-Pair-Id'), hash: params.get('Hash-Algorithm') },
    resource,
    (n) => n,
  );
}

/**
 * The policy of signed cookies (a record or a Map of cookie values). `requestUrl` is needed only for
 * a canned policy (`CloudFront-Expires`), which CloudFront rebuilds from the request.
 */
export function signedCookiePolicy(cookies: Record<string, string | number | undefined> | ReadonlyMap<string, string>, requestUrl?: string): SignedPolicy {
  const get = (n: string): string | undefined => {
    const v = cookies instanceof Map ? cookies.get(`CloudFront-${n}`) : (cookies as Record<string, string | number | undefined>)[`CloudFront-${n}`];
    return v === undefined ? undefined : String(v);
  };
  return build(
    'cookie',
    { expires: get('Expires'), policy: get('Policy'), signature: get('Signature'), keyPairId: get('Key-Pair-Id'), hash: get('Hash-Algorithm') },
    requestUrl,
    (n) => `CloudFront-${n}`,
  );
}

/**
 * Verifies a CloudFront signature with the public key: RSA PKCS#1 v1.5 or DER-encoded ECDSA, over
 * SHA1 or SHA256 (Hash-Algorithm). `signature` is bytes or CloudFront base64 text.
 */
export function verifyCfSignature(publicKey: KeyObject, hash: CfHash, data: Buffer | string, signature: Buffer | string): boolean {
  const sig = typeof signature === 'string' ? fromCfBase64(signature) : signature;
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return cryptoVerify(hash === 'SHA256' ? 'sha256' : 'sha1', bytes, publicKey, sig);
}

/** Whether the policy's signature verifies with this public key. */
export function policyVerifies(p: SignedPolicy, publicKey: KeyObject): boolean {
  return verifyCfSignature(publicKey, p.hash, p.bytes, p.signature);
}

/** signedUrlPolicy, throwing unless the signature verifies with the public key. */
export function verifiedUrlPolicy(signedUrl: string, publicKey: KeyObject): SignedPolicy {
  const p = signedUrlPolicy(signedUrl);
  if (!policyVerifies(p, publicKey)) throw new Error(`signature does not verify (${p.kind} policy ${p.json}) for ${signedUrl}`);
  return p;
}

/** signedCookiePolicy, throwing unless the signature verifies with the public key. */
export function verifiedCookiePolicy(cookies: Record<string, string | number | undefined> | ReadonlyMap<string, string>, publicKey: KeyObject, requestUrl?: string): SignedPolicy {
  const p = signedCookiePolicy(cookies, requestUrl);
  if (!policyVerifies(p, publicKey)) throw new Error(`cookie signature does not verify (${p.kind} policy ${p.json})`);
  return p;
}

/** CloudFront's Resource match: `*` any run of characters, `?` one character, the rest literal. */
export function resourceMatches(pattern: string, url: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${re}$`, 'su').test(url);
}

/**
 * Signs arbitrary policy bytes with a test private key, as a CloudFront signer would (RSA
 * PKCS#1 v1.5 or DER ECDSA); returns CloudFront base64. For signatures the code under test must
 * refuse (a differently formatted policy) or accept (the documented bytes) without using the signer.
 */
export function cfSign(privateKey: KeyObject, hash: CfHash, data: Buffer | string): string {
  return toCfBase64(cryptoSign(hash === 'SHA256' ? 'sha256' : 'sha1', typeof data === 'string' ? Buffer.from(data, 'utf8') : data, privateKey));
}
