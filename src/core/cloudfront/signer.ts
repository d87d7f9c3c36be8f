// CloudFront signing: policies, signatures, signed URLs and signed cookies.
//
// Pure but for crypto. We sign ourselves instead of calling @aws-sdk/cloudfront-signer's
// getSignedUrl on the hot path for two reasons: it re-encodes URL paths with encodeURIComponent
// (so the string it signs can differ from the WHATWG-normalized URL a browser requests, e.g. for
// `'`, `~`, non-ASCII), and it takes a PEM string per call, re-parsing the key for every signature.
// The policy JSON and the URL-safe base64 follow the same CloudFront rules the library implements;
// test/core/cloudfront/signer.test.ts cross-checks our output against the library: canned and
// custom policies, signed URLs and signed cookies.
import { createPrivateKey, createPublicKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

export type HashAlgorithm = 'SHA1' | 'SHA256';
export type KeyType = 'rsa' | 'ec';

/** A parsed private key with the id CloudFront knows its public half by. Parse once, sign many. */
export interface SigningKey {
  /** CloudFront public key id (key group member), sent as `Key-Pair-Id`. */
  readonly keyPairId: string;
  /** Digest used for signatures; SHA256 adds `Hash-Algorithm=SHA256` to URLs and cookies. */
  readonly hash: HashAlgorithm;
  readonly keyType: KeyType;
  readonly privateKey: KeyObject;
}

/** A configuration problem with a key or a signing request; the message is meant for a human. */
export class SignerError extends Error {
  override name = 'SignerError';
}

/** CloudFront custom policy statement (one statement, as CloudFront requires). */
export interface CustomPolicy {
  /** URL or pattern with `*` and `?`; absent means any resource. */
  resource?: string;
  /** Epoch seconds; required. */
  dateLessThan: number;
  /** Epoch seconds; optional. */
  dateGreaterThan?: number;
  /** One CIDR, IPv4 or IPv6 (a bare address means /32 or /128). */
  sourceIp?: string;
}

/** What the signing functions need besides the URL. */
export interface SignOptions {
  /** Epoch seconds after which CloudFront refuses the URL. */
  expires: number;
  /** Epoch seconds before which CloudFront refuses the URL (forces a custom policy). */
  notBefore?: number;
  /** Viewer address restriction as a CIDR (forces a custom policy). */
  ip?: string;
  /** Policy resource pattern, e.g. `https://cdn/videos/v1/*` (forces a custom policy). */
  resource?: string;
}

const KEY_PAIR_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Parses a PEM private key once. Fails with one clear message for a missing key pair id,
 * an unreadable or encrypted PEM, a public key, or a key CloudFront does not accept
 * (CloudFront takes RSA-2048 and ECDSA P-256 only).
 */
export function loadSigningKey(o: { keyPairId: string | undefined; privateKeyPem: string; hash?: HashAlgorithm }): SigningKey {
  const keyPairId = (o.keyPairId ?? '').trim();
  if (!keyPairId) throw new SignerError('missing key pair id (CLOUDFRONT_KEY_PAIR_ID / --key-pair-id): the CloudFront public key id, e.g. K2JCJMDEHXQW5F');
  if (!KEY_PAIR_ID.test(keyPairId)) throw new SignerError(`key pair id "${keyPairId.slice(0, 40)}" is not a CloudFront key id (letters, digits, - and _ only)`);
  const pem = o.privateKeyPem.trim();
  if (!pem) throw new SignerError('private key is empty');
  if (/ENCRYPTED/.test(pem)) throw new SignerError('private key is encrypted (passphrase-protected PEM); decrypt it first: openssl pkey -in key.pem -out key-plain.pem');
  if (/-----BEGIN (RSA )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(pem)) throw new SignerError('expected a PRIVATE key, got a public key or certificate');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new SignerError('private key is not PEM (expected "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----")');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/\s+/g, ' ').slice(0, 120) : String(err);
    throw new SignerError(`private key PEM could not be parsed (${reason})`);
  }
  const details = privateKey.asymmetricKeyDetails ?? {};
  let keyType: KeyType;
  if (privateKey.asymmetricKeyType === 'rsa') {
    if (details.modulusLength !== 2048) throw new SignerError(`RSA key is ${details.modulusLength ?? '?'} bits; CloudFront requires RSA-2048`);
    keyType = 'rsa';
  } else if (privateKey.asymmetricKeyType === 'ec') {
    if (details.namedCurve !== 'prime256v1') throw new SignerError(`ECDSA key is on curve ${details.namedCurve ?? '?'}; CloudFront requires P-256 (prime256v1)`);
    keyType = 'ec';
  } else {
    throw new SignerError(`key type ${privateKey.asymmetricKeyType ?? 'unknown'} is not supported; CloudFront requires RSA-2048 or ECDSA P-256`);
  }
  const hash = o.hash ?? 'SHA1';
  if (hash !== 'SHA1' && hash !== 'SHA256') throw new SignerError(`hash algorithm "${String(hash)}" is not SHA1 or SHA256`);
  return { keyPairId, hash, keyType, privateKey };
}

/** The public key (PEM, SPKI) that CloudFront needs for a signing key. */
export function publicKeyPem(key: SigningKey): string {
  return createPublicKey(key.privateKey).export({ type: 'spki', format: 'pem' }).toString();
}

/** CloudFront's URL-safe base64: `+`→`-`, `=`→`_`, `/`→`~`. */
export function cfBase64(data: Buffer | string): string {
  const b64 = Buffer.isBuffer(data) ? data.toString('base64') : Buffer.from(data, 'utf8').toString('base64');
  return b64.replace(/[+=/]/g, (c) => (c === '+' ? '-' : c === '=' ? '_' : '~'));
}

/** Inverse of cfBase64; returns undefined for text that is not CloudFront base64. */
export function cfBase64Decode(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9\-_~]*$/.test(text)) return undefined;
  return Buffer.from(text.replace(/[-_~]/g, (c) => (c === '-' ? '+' : c === '_' ? '=' : '/')), 'base64');
}

/**
 * The URL in the exact form a browser requests it (WHATWG serialization). This is the string we
 * sign, so it must also be the string we emit.
 */
export function normalizeUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SignerError(`"${url.slice(0, 200)}" is not an absolute URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new SignerError(`"${url.slice(0, 200)}" is not an http(s) URL`);
  if (u.username || u.password) throw new SignerError('URLs with credentials cannot be signed');
  u.hash = '';
  return u.href;
}

const SIGNING_PARAMS = new Set(['Expires', 'Policy', 'Signature', 'Key-Pair-Id', 'Hash-Algorithm']);

/** Names of the query parameters CloudFront consumes; a URL to sign must not already carry them. */
export function isSigningParam(name: string): boolean {
  return SIGNING_PARAMS.has(name);
}

function assertEpoch(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new SignerError(`${name} must be whole epoch seconds, got ${v}`);
}

/** The canned policy CloudFront rebuilds from a request: byte-exact, no whitespace. */
export function cannedPolicyJson(url: string, expires: number): string {
  assertEpoch('expires', expires);
  return `{"Statement":[{"Resource":${JSON.stringify(url)},"Condition":{"DateLessThan":{"AWS:EpochTime":${expires}}}}]}`;
}

/** Validates a CIDR (IPv4 or IPv6, optional prefix) and returns it in canonical `addr/len` form. */
export function normalizeCidr(cidr: string): string {
  const [addr, len, ...rest] = cidr.trim().split('/');
  const family = addr ? isIP(addr) : 0;
  if (!addr || family === 0 || rest.length > 0) throw new SignerError(`IP address "${cidr}" is invalid: expected an IPv4 or IPv6 address or CIDR`);
  const max = family === 4 ? 32 : 128;
  const bits = len === undefined ? max : Number(len);
  if (len !== undefined && !/^\d{1,3}$/.test(len)) throw new SignerError(`IP address "${cidr}" is invalid: prefix length "${len}" is not a number`);
  if (!Number.isInteger(bits) || bits < 0 || bits > max) throw new SignerError(`IP address "${cidr}" is invalid: prefix length must be 0-${max}`);
  return `${addr}/${bits}`;
}

// A Resource that is a whole origin: `*`, `https://*`, `https://cdn.example/*` (1: unused).
const WHOLE_ORIGIN = /^(?:\*|[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:\*|[^/*?]*\/\*))$/;

/** Custom policy JSON in CloudFront's key order. */
export function customPolicyJson(p: CustomPolicy): string {
  assertEpoch('dateLessThan', p.dateLessThan);
  // The last line of defence: a policy covering a whole distribution would open every object in it.
  if (p.resource !== undefined && WHOLE_ORIGIN.test(p.resource)) {
    throw new SignerError(`refusing to sign the resource "${p.resource.slice(0, 200)}": it covers a whole distribution; sign a video's folder (https://<cdn>/<prefix>/*)`);
  }
  const condition: Record<string, unknown> = { DateLessThan: { 'AWS:EpochTime': p.dateLessThan } };
  if (p.dateGreaterThan !== undefined) {
    assertEpoch('dateGreaterThan', p.dateGreaterThan);
    if (p.dateGreaterThan >= p.dateLessThan) throw new SignerError('not-before must be earlier than the expiry');
    condition.DateGreaterThan = { 'AWS:EpochTime': p.dateGreaterThan };
  }
  if (p.sourceIp !== undefined) condition.IpAddress = { 'AWS:SourceIp': normalizeCidr(p.sourceIp) };
  const statement: Record<string, unknown> = {};
  if (p.resource !== undefined) statement.Resource = p.resource;
  statement.Condition = condition;
  return JSON.stringify({ Statement: [statement] });
}

/** Signs policy bytes; returns the signature in CloudFront base64. */
export function signPolicy(key: SigningKey, policyJson: string): string {
  const digest = key.hash === 'SHA256' ? 'sha256' : 'sha1';
  // RSA: PKCS#1 v1.5 (node's default padding). ECDSA: DER-encoded (r, s), node's default encoding.
  return cfBase64(cryptoSign(digest, Buffer.from(policyJson, 'utf8'), key.privateKey));
}

function hashParam(key: SigningKey): string {
  return key.hash === 'SHA256' ? '&Hash-Algorithm=SHA256' : '';
}

/** Query string (no leading `?`) carrying a custom policy; append it to every URL it covers. */
export function customPolicyQuery(key: SigningKey, policy: CustomPolicy): string {
  const json = customPolicyJson(policy);
  return `Policy=${cfBase64(json)}&Signature=${signPolicy(key, json)}&Key-Pair-Id=${key.keyPairId}${hashParam(key)}`;
}

/** Appends a query string that needs no further encoding (CloudFront base64 is URL-safe). */
export function appendQuery(url: string, query: string): string {
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  return base + (base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?') + query;
}

function assertUnsigned(href: string): void {
  for (const name of new URL(href).searchParams.keys()) {
    if (isSigningParam(name)) throw new SignerError(`URL already carries the CloudFront parameter "${name}"; sign the bare URL`);
  }
}

/** Canned-policy signature for one normalized URL: `Expires=..&Signature=..&Key-Pair-Id=..`. */
export function cannedQuery(key: SigningKey, normalizedUrl: string, expires: number): string {
  const signature = signPolicy(key, cannedPolicyJson(normalizedUrl, expires));
  return `Expires=${expires}&Signature=${signature}&Key-Pair-Id=${key.keyPairId}${hashParam(key)}`;
}

/**
 * Signs one URL. Canned policy unless a condition needs a custom one (not-before, IP, or a
 * resource pattern other than the URL itself). Returns the normalized URL with the signature.
 */
export function signUrl(url: string, key: SigningKey, o: SignOptions): string {
  // An empty query (`a?`) or trailing `&`s cannot survive appending the signing parameters, and
  // CloudFront rebuilds the resource without them: sign the URL without them too.
  const normalized = normalizeUrl(url);
  const href = normalized.includes('?') ? normalized.replace(/\?&*$|&+$/, '') : normalized;
  assertUnsigned(href);
  const custom = o.notBefore !== undefined || o.ip !== undefined || (o.resource !== undefined && o.resource !== href);
  if (!custom) return appendQuery(href, cannedQuery(key, href, o.expires));
  // A custom policy reads `*` and `?` in its Resource as wildcards: the URL itself must match only
  // itself, so they are percent-encoded (what the player then requests, and the origin decodes).
  const exact = o.resource === undefined ? exactResource(href) : href;
  const policy: CustomPolicy = { resource: o.resource ?? exact, dateLessThan: o.expires };
  if (o.notBefore !== undefined) policy.dateGreaterThan = o.notBefore;
  if (o.ip !== undefined) policy.sourceIp = o.ip;
  return appendQuery(exact, customPolicyQuery(key, policy));
}

/** `href` with `*` and every `?` after the query's own as `%2A` / `%3F`: a Resource matching only this URL. */
export function exactResource(href: string): string {
  const q = href.indexOf('?');
  const path = (q === -1 ? href : href.slice(0, q)).replaceAll('*', '%2A');
  if (q === -1) return path;
  return `${path}?${href.slice(q + 1).replaceAll('*', '%2A').replaceAll('?', '%3F')}`;
}

/** Signed cookies for a custom policy (value strings; the caller sets Domain, Path, flags). */
export function signedCookies(key: SigningKey, policy: CustomPolicy): Record<string, string> {
  const json = customPolicyJson(policy);
  const cookies: Record<string, string> = {
    'CloudFront-Policy': cfBase64(json),
    'CloudFront-Signature': signPolicy(key, json),
    'CloudFront-Key-Pair-Id': key.keyPairId,
  };
  if (key.hash === 'SHA256') cookies['CloudFront-Hash-Algorithm'] = 'SHA256';
  return cookies;
}
