// Verification of CloudFront signed requests (signed URLs and signed cookies), the way CloudFront
// does it. Pure: no I/O, no clock (the caller passes `now`). The single source of truth for both
// `hlsgate verify` and the local edge (src/edge/), so the two can never disagree.
//
// What CloudFront does, and so what this does:
// - The signing values come from the query (`Expires` | `Policy`, `Signature`, `Key-Pair-Id`,
//   `Hash-Algorithm`) or, when the query carries none of them, from the `CloudFront-*` cookies.
//   The two sources are never mixed.
// - The resource is the request URL with the signing parameters removed TEXTUALLY from the raw
//   query string (never re-serialized: that would change the encoding and break signatures); when
//   no other parameters remain the `?` goes too. The fragment is not part of a request.
// - Canned policy: the policy bytes are rebuilt from that resource and `Expires`; a URL changed
//   after signing therefore shows up as a bad signature.
// - Custom policy: the `Policy` bytes (CloudFront base64) are what was signed; they must be JSON
//   with exactly one statement and a numeric `DateLessThan`.
//
// Check order, and why: each step only runs when the previous ones passed, and the first failure
// is THE reason reported.
//   1. MissingKey       no Key-Pair-Id (query or cookie)
//   2. UnknownKey       the key id is not one we trust
//   3. MalformedPolicy  Expires/Policy/Hash-Algorithm missing, both present, or undecodable
//   4. BadSignature     the signature does not verify the policy bytes (missing or damaged too)
//   5. ResourceMismatch the (authentic) custom policy's Resource does not cover this URL
//   6. IpMismatch       the client address is outside the policy's AWS:SourceIp
//   7. Expired / NotYetValid
// The signature is checked before any condition, so a forged or tampered policy is always reported
// as BadSignature, never as "expired" or "wrong resource": conditions are only read from a policy
// we know the key holder wrote. Among the conditions, the ones re-signing with a later expiry would
// NOT fix come first (a wrong resource or address is a bug or a different viewer; reporting
// "Expired" for such a URL sends people to the TTL), and time comes last.
import { verify as cryptoVerify, constants as cryptoConstants, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
// Nothing from the signer (src/core/cloudfront/signer.ts): the canned policy bytes, CloudFront's
// base64, the names of the signing parameters and the CIDR rules are written here again, from
// CloudFront's documentation. Sharing them would make the verifier rebuild exactly what the signer
// builds, so a format bug in the signer would verify here and only fail at CloudFront.

export type RejectReason =
  | 'MissingKey'
  | 'UnknownKey'
  | 'Expired'
  | 'NotYetValid'
  | 'IpMismatch'
  | 'ResourceMismatch'
  | 'BadSignature'
  | 'MalformedPolicy';

export const REJECT_REASONS: readonly RejectReason[] = [
  'MissingKey',
  'UnknownKey',
  'Expired',
  'NotYetValid',
  'IpMismatch',
  'ResourceMismatch',
  'BadSignature',
  'MalformedPolicy',
];

export interface ParsedPolicy {
  kind: 'canned' | 'custom';
  /** The exact policy text whose bytes the signature covers. */
  json: string;
  /** Canned: the URL rebuilt from the request. Custom: the Resource pattern; absent = any. */
  resource?: string;
  /** Epoch seconds. */
  dateLessThan: number;
  /** Epoch seconds. */
  dateGreaterThan?: number;
  /** CIDR as written in the policy. */
  sourceIp?: string;
}

export interface VerifyInput {
  /** The full request URL as received (scheme, host, raw path and raw query). */
  url: string;
  /** Request cookies by name (values already unquoted). */
  cookies?: Record<string, string>;
  /** Trusted public keys by CloudFront key id (the key group). */
  publicKeys: ReadonlyMap<string, KeyObject>;
  /** Epoch seconds. */
  now: number;
  /** The viewer's address; needed only when the policy has AWS:SourceIp. */
  clientIp?: string;
}

export type VerifyResult =
  | { ok: true; keyPairId: string; source: 'query' | 'cookie'; policy: ParsedPolicy; hash: 'SHA1' | 'SHA256' }
  | {
      ok: false;
      reason: RejectReason;
      /** Human explanation (never contains the signature). */
      message: string;
      keyPairId?: string;
      policy?: ParsedPolicy;
      source?: 'query' | 'cookie';
    };

// ---------------------------------------------------------------------------------------------
// CloudFront's formats

/** The query parameters CloudFront consumes (removed before the resource is matched). */
const CF_SIGNING_PARAMS: ReadonlySet<string> = new Set(['Expires', 'Policy', 'Signature', 'Key-Pair-Id', 'Hash-Algorithm']);

function isSigningParam(name: string): boolean {
  return CF_SIGNING_PARAMS.has(name);
}

/**
 * The canned policy CloudFront rebuilds from a request, byte for byte as documented:
 * `{"Statement":[{"Resource":"<URL>","Condition":{"DateLessThan":{"AWS:EpochTime":<Expires>}}}]}`,
 * no whitespace, this key order; the URL as a JSON string, Expires as a JSON integer.
 */
export function cannedPolicyBytes(resourceUrl: string, expires: number): string {
  return '{"Statement":[{"Resource":' + JSON.stringify(resourceUrl) + ',"Condition":{"DateLessThan":{"AWS:EpochTime":' + String(expires) + '}}}]}';
}

/** CloudFront's URL-safe base64 (`-` `_` `~` for `+` `=` `/`) to bytes; undefined outside that alphabet. */
function fromCfBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_~-]*$/.test(text)) return undefined;
  return Buffer.from(text.replaceAll('-', '+').replaceAll('_', '=').replaceAll('~', '/'), 'base64');
}

/**
 * Whether a policy's AWS:SourceIp is a CIDR CloudFront reads: an IPv4 or IPv6 address with an
 * optional prefix length (absent: /32 or /128) within the address size.
 */
function isCidr(cidr: string): boolean {
  const [addr, len, ...rest] = cidr.trim().split('/');
  if (addr === undefined || rest.length > 0) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (len === undefined) return true;
  return /^\d{1,3}$/.test(len) && Number(len) <= (family === 4 ? 32 : 128);
}

// ---------------------------------------------------------------------------------------------
// URL handling

interface QueryPart {
  raw: string;
  name: string;
  value: string;
}

function splitUrl(url: string): { base: string; parts: QueryPart[] | undefined } {
  const hash = url.indexOf('#');
  const noFragment = hash === -1 ? url : url.slice(0, hash);
  const q = noFragment.indexOf('?');
  if (q === -1) return { base: noFragment, parts: undefined };
  const parts = noFragment
    .slice(q + 1)
    .split('&')
    .map((raw) => {
      const eq = raw.indexOf('=');
      return { raw, name: eq === -1 ? raw : raw.slice(0, eq), value: eq === -1 ? '' : raw.slice(eq + 1) };
    });
  return { base: noFragment.slice(0, q), parts };
}

function decodeValue(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/**
 * The URL CloudFront compares against a policy: the request URL with the CloudFront signing
 * parameters removed textually from the raw query (everything else byte for byte), without the
 * `?` when nothing remains, without a fragment.
 */
export function stripSigningParams(url: string): string {
  const { base, parts } = splitUrl(url);
  if (parts === undefined) return base;
  const rest = parts.filter((p) => !isSigningParam(p.name)).map((p) => p.raw).join('&');
  return rest === '' ? base : `${base}?${rest}`;
}

// ---------------------------------------------------------------------------------------------
// Policy parsing

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function epochOf(cond: Record<string, unknown>, name: string): number | string | undefined {
  const v = cond[name];
  if (v === undefined) return undefined;
  if (!isRecord(v) || Object.keys(v).length !== 1 || !('AWS:EpochTime' in v)) return `${name} must be {"AWS:EpochTime": <seconds>}`;
  const t = v['AWS:EpochTime'];
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) return `${name} AWS:EpochTime must be whole epoch seconds as a JSON number, got ${JSON.stringify(t)}`;
  return t;
}

/** Parses and validates custom policy JSON; returns the policy or why it is malformed. */
export function parseCustomPolicy(json: string): ParsedPolicy | string {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return 'Policy is not JSON';
  }
  if (!isRecord(doc) || !Array.isArray(doc.Statement)) return 'Policy has no "Statement" array';
  const extraTop = Object.keys(doc).filter((k) => k !== 'Statement');
  if (extraTop.length) return `Policy has unexpected field "${extraTop[0]}"`;
  if (doc.Statement.length !== 1) return `Policy must have exactly one statement, has ${doc.Statement.length}`;
  const st: unknown = doc.Statement[0];
  if (!isRecord(st)) return 'Policy statement is not an object';
  const extraSt = Object.keys(st).filter((k) => k !== 'Resource' && k !== 'Condition');
  if (extraSt.length) return `Policy statement has unexpected field "${extraSt[0]}"`;
  if (st.Resource !== undefined && typeof st.Resource !== 'string') return 'Policy Resource must be a string';
  const cond = st.Condition;
  if (!isRecord(cond)) return 'Policy statement has no Condition';
  const extraCond = Object.keys(cond).filter((k) => k !== 'DateLessThan' && k !== 'DateGreaterThan' && k !== 'IpAddress');
  if (extraCond.length) return `Policy Condition has unexpected field "${extraCond[0]}"`;
  const dateLessThan = epochOf(cond, 'DateLessThan');
  if (dateLessThan === undefined) return 'Policy has no DateLessThan (required)';
  if (typeof dateLessThan === 'string') return dateLessThan;
  const dateGreaterThan = epochOf(cond, 'DateGreaterThan');
  if (typeof dateGreaterThan === 'string') return dateGreaterThan;
  const policy: ParsedPolicy = { kind: 'custom', json, dateLessThan };
  if (typeof st.Resource === 'string') policy.resource = st.Resource;
  if (dateGreaterThan !== undefined) policy.dateGreaterThan = dateGreaterThan;
  if (cond.IpAddress !== undefined) {
    const ipc = cond.IpAddress;
    if (!isRecord(ipc) || Object.keys(ipc).length !== 1 || typeof ipc['AWS:SourceIp'] !== 'string') return 'IpAddress must be {"AWS:SourceIp": "<cidr>"}';
    const cidr = ipc['AWS:SourceIp'];
    if (!isCidr(cidr)) return `AWS:SourceIp "${cidr.slice(0, 60)}" is not an IPv4 or IPv6 CIDR`;
    policy.sourceIp = cidr;
  }
  return policy;
}

// ---------------------------------------------------------------------------------------------
// Matching

/**
 * CloudFront's resource pattern match: `*` any run of characters (also none), `?` exactly one
 * character, everything else literal and case-sensitive; anchored at both ends.
 */
export function resourceMatches(pattern: string, url: string): boolean {
  const p = Array.from(pattern);
  const s = Array.from(url);
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  // Greedy with backtracking to the last `*` only: O(len(p) * len(s)) at worst, no regex blow-up.
  while (j < s.length) {
    if (i < p.length && p[i] === '*') {
      star = i++;
      mark = j;
    } else if (i < p.length && (p[i] === '?' || p[i] === s[j])) {
      i++;
      j++;
    } else if (star !== -1) {
      i = star + 1;
      j = ++mark;
    } else {
      return false;
    }
  }
  while (i < p.length && p[i] === '*') i++;
  return i === p.length;
}

interface IpValue {
  v: 4 | 6;
  n: bigint;
}

function parseIpv4(s: string): bigint {
  return s.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function parseIp(text: string): IpValue | undefined {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  const family = isIP(s);
  if (family === 4) return { v: 4, n: parseIpv4(s) };
  if (family !== 6) return undefined;
  let hextets: string[];
  const toHextets = (part: string): string[] => {
    if (part === '') return [];
    const groups = part.split(':');
    const last = groups[groups.length - 1] ?? '';
    if (last.includes('.')) {
      const v4 = parseIpv4(last);
      groups.splice(groups.length - 1, 1, ((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16));
    }
    return groups;
  };
  const dbl = s.indexOf('::');
  if (dbl === -1) {
    hextets = toHextets(s);
  } else {
    const head = toHextets(s.slice(0, dbl));
    const tail = toHextets(s.slice(dbl + 2));
    hextets = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  }
  if (hextets.length !== 8) return undefined;
  return { v: 6, n: hextets.reduce((acc, h) => (acc << 16n) | BigInt(parseInt(h || '0', 16)), 0n) };
}

const MAPPED_PREFIX = 0xffffn << 32n;

/**
 * Whether an address lies in a CIDR (a bare address means /32 or /128). IPv4 and IPv6; an
 * IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) matches IPv4 CIDRs, and an IPv4 address matches IPv6
 * CIDRs that cover its mapped form. Invalid input never matches.
 */
export function ipInCidr(ip: string, cidr: string): boolean {
  const [addrText, lenText, ...rest] = cidr.trim().split('/');
  if (addrText === undefined || rest.length) return false;
  const net = parseIp(addrText);
  let addr = parseIp(ip);
  if (!net || !addr) return false;
  const bits = net.v === 4 ? 32 : 128;
  if (lenText !== undefined && !/^\d{1,3}$/.test(lenText)) return false;
  const len = lenText === undefined ? bits : Number(lenText);
  if (len > bits) return false;
  if (net.v === 4 && addr.v === 6) {
    if (addr.n >> 32n !== 0xffffn) return false;
    addr = { v: 4, n: addr.n & 0xffffffffn };
  } else if (net.v === 6 && addr.v === 4) {
    addr = { v: 6, n: MAPPED_PREFIX | addr.n };
  }
  const shift = BigInt(bits - len);
  return addr.n >> shift === net.n >> shift;
}

// ---------------------------------------------------------------------------------------------
// Verification

const QUERY_NAMES = ['Expires', 'Policy', 'Signature', 'Key-Pair-Id'] as const;

interface SigningValues {
  source: 'query' | 'cookie';
  expires?: string;
  policy?: string;
  signature?: string;
  keyPairId?: string;
  hash?: string;
}

function signingValues(parts: QueryPart[] | undefined, cookies: Record<string, string> | undefined): SigningValues | undefined {
  const q = new Map<string, string>();
  for (const p of parts ?? []) {
    if (isSigningParam(p.name) && !q.has(p.name)) q.set(p.name, decodeValue(p.value));
  }
  if (QUERY_NAMES.some((n) => q.has(n))) {
    return { source: 'query', expires: q.get('Expires'), policy: q.get('Policy'), signature: q.get('Signature'), keyPairId: q.get('Key-Pair-Id'), hash: q.get('Hash-Algorithm') };
  }
  const c = cookies ?? {};
  const get = (name: string): string | undefined => (Object.hasOwn(c, name) ? c[name] : undefined);
  const v: SigningValues = {
    source: 'cookie',
    expires: get('CloudFront-Expires'),
    policy: get('CloudFront-Policy'),
    signature: get('CloudFront-Signature'),
    keyPairId: get('CloudFront-Key-Pair-Id'),
    hash: get('CloudFront-Hash-Algorithm'),
  };
  if (v.expires === undefined && v.policy === undefined && v.signature === undefined && v.keyPairId === undefined) return undefined;
  return v;
}

function iso(epoch: number): string {
  const d = new Date(epoch * 1000);
  return Number.isNaN(d.getTime()) ? `${epoch}` : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function span(seconds: number): string {
  const s = Math.abs(seconds);
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

function when(epoch: number, now: number): string {
  const d = epoch - now;
  return d >= 0 ? `${iso(epoch)} (in ${span(d)})` : `${iso(epoch)} (${span(d)} ago)`;
}

function verifySignature(key: KeyObject, hash: 'SHA1' | 'SHA256', data: Buffer, signature: Buffer): boolean | string {
  const digest = hash === 'SHA256' ? 'sha256' : 'sha1';
  try {
    if (key.asymmetricKeyType === 'rsa') return cryptoVerify(digest, data, { key, padding: cryptoConstants.RSA_PKCS1_PADDING }, signature);
    if (key.asymmetricKeyType === 'ec') return cryptoVerify(digest, data, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
  return `the trusted key is of type ${key.asymmetricKeyType ?? 'unknown'}; CloudFront signatures are RSA or ECDSA`;
}

/** Decides whether CloudFront would serve this request, and if not, the one reason why. */
export function verifySignedRequest(i: VerifyInput): VerifyResult {
  const { parts } = splitUrl(i.url);
  const values = signingValues(parts, i.cookies);
  if (!values || !values.keyPairId) {
    return {
      ok: false,
      reason: 'MissingKey',
      message: values
        ? `the ${values.source === 'query' ? 'query has CloudFront signing parameters but no Key-Pair-Id' : 'CloudFront-* cookies carry no CloudFront-Key-Pair-Id'}`
        : 'the request carries no Key-Pair-Id query parameter and no CloudFront-Key-Pair-Id cookie (not a signed request)',
      ...(values ? { source: values.source } : {}),
    };
  }
  const { source, keyPairId } = values;
  const where = source === 'query' ? 'query parameter' : 'cookie';
  const pname = (n: string): string => (source === 'query' ? n : `CloudFront-${n}`);
  const fail = (reason: RejectReason, message: string, policy?: ParsedPolicy): VerifyResult => ({
    ok: false,
    reason,
    message,
    keyPairId,
    source,
    ...(policy ? { policy } : {}),
  });

  const key = i.publicKeys.get(keyPairId);
  if (!key) {
    const known = [...i.publicKeys.keys()];
    return fail('UnknownKey', `key id "${keyPairId.slice(0, 128)}" (${where}) is not a trusted key${known.length ? ` (trusted: ${known.join(', ')})` : ' (no keys are trusted)'}`);
  }

  let hash: 'SHA1' | 'SHA256';
  if (values.hash === undefined) hash = 'SHA1';
  else if (values.hash === 'SHA256') hash = 'SHA256';
  else return fail('MalformedPolicy', `${pname('Hash-Algorithm')} "${values.hash.slice(0, 40)}" is not supported (SHA256, or absent for SHA1)`);

  const resourceUrl = stripSigningParams(i.url);
  let policy: ParsedPolicy;
  let signed: Buffer;
  if (values.expires !== undefined && values.policy !== undefined) {
    return fail('MalformedPolicy', `both ${pname('Expires')} (canned policy) and ${pname('Policy')} (custom policy) are present`);
  } else if (values.expires !== undefined) {
    if (!/^\d{1,15}$/.test(values.expires)) return fail('MalformedPolicy', `${pname('Expires')} "${values.expires.slice(0, 40)}" is not whole epoch seconds`);
    const dateLessThan = Number(values.expires);
    const json = cannedPolicyBytes(resourceUrl, dateLessThan);
    policy = { kind: 'canned', json, resource: resourceUrl, dateLessThan };
    signed = Buffer.from(json, 'utf8');
  } else if (values.policy !== undefined) {
    const bytes = fromCfBase64(values.policy);
    if (!bytes || bytes.length === 0) return fail('MalformedPolicy', `${pname('Policy')} is not CloudFront base64 (A-Z a-z 0-9 - _ ~)`);
    const json = bytes.toString('utf8');
    const parsed = parseCustomPolicy(json);
    if (typeof parsed === 'string') return fail('MalformedPolicy', parsed);
    policy = parsed;
    signed = bytes;
  } else {
    return fail('MalformedPolicy', `neither ${pname('Expires')} (canned policy) nor ${pname('Policy')} (custom policy) is present`);
  }

  const sigBytes = values.signature === undefined ? undefined : fromCfBase64(values.signature);
  if (values.signature === undefined || values.signature === '') return fail('BadSignature', `no ${pname('Signature')}`, policy);
  if (!sigBytes || sigBytes.length === 0) return fail('BadSignature', `${pname('Signature')} is not CloudFront base64 (A-Z a-z 0-9 - _ ~)`, policy);
  const verdict = verifySignature(key, hash, signed, sigBytes);
  if (typeof verdict === 'string') return fail('BadSignature', verdict, policy);
  if (!verdict) {
    return fail(
      'BadSignature',
      policy.kind === 'canned'
        ? `signature does not match the canned policy rebuilt from ${resourceUrl.slice(0, 300)} with key "${keyPairId}" (${hash}): the URL was changed or re-encoded after signing, the signature was damaged, or another private key signed it`
        : `signature does not match the custom policy with key "${keyPairId}" (${hash}): the policy or signature was altered, or another private key signed it`,
      policy,
    );
  }

  if (policy.kind === 'custom' && policy.resource !== undefined && !resourceMatches(policy.resource, resourceUrl)) {
    return fail('ResourceMismatch', `policy resource ${policy.resource.slice(0, 300)} does not cover ${resourceUrl.slice(0, 300)}`, policy);
  }
  if (policy.sourceIp !== undefined) {
    if (i.clientIp === undefined) return fail('IpMismatch', `policy only allows clients in ${policy.sourceIp} and no client address was given`, policy);
    if (!ipInCidr(i.clientIp, policy.sourceIp)) return fail('IpMismatch', `client address ${i.clientIp} is not in ${policy.sourceIp}`, policy);
  }
  if (i.now >= policy.dateLessThan) return fail('Expired', `expired at ${when(policy.dateLessThan, i.now)}`, policy);
  if (policy.dateGreaterThan !== undefined && i.now < policy.dateGreaterThan) {
    return fail('NotYetValid', `not valid before ${when(policy.dateGreaterThan, i.now)}`, policy);
  }
  return { ok: true, keyPairId, source, policy, hash };
}

// ---------------------------------------------------------------------------------------------
// Presentation

const ERRORS: Record<RejectReason, { code: string; message: string }> = {
  MissingKey: { code: 'MissingKey', message: 'Missing Key-Pair-Id query parameter or cookie value' },
  UnknownKey: { code: 'InvalidKey', message: 'Unknown Key' },
  MalformedPolicy: { code: 'MalformedPolicy', message: 'Malformed Policy' },
  Expired: { code: 'AccessDenied', message: 'Access denied' },
  NotYetValid: { code: 'AccessDenied', message: 'Access denied' },
  IpMismatch: { code: 'AccessDenied', message: 'Access denied' },
  ResourceMismatch: { code: 'AccessDenied', message: 'Access denied' },
  BadSignature: { code: 'AccessDenied', message: 'Access denied' },
};

/** CloudFront's (and S3's) error body: `<Error><Code>…</Code><Message>…</Message></Error>`. */
export function errorXml(code: string, message: string): string {
  return `<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

/**
 * The response CloudFront gives for a refusal: 403 and `<Error><Code>…</Code><Message>…</Message></Error>`.
 * Codes as CloudFront sends them: MissingKey, InvalidKey ("Unknown Key"), MalformedPolicy, and
 * AccessDenied for everything CloudFront does not explain (expiry, IP, resource, signature).
 */
export function cloudFrontError(reason: RejectReason): { status: 403; code: string; message: string; xml: string } {
  const { code, message } = ERRORS[reason];
  return { status: 403, code, message, xml: errorXml(code, message) };
}

/** Plain-words lines describing a policy, for `hlsgate verify`. */
export function describePolicy(p: ParsedPolicy, now: number): string[] {
  const lines = [p.kind === 'canned' ? 'canned policy (resource is the URL itself)' : 'custom policy'];
  lines.push(p.resource === undefined ? 'resource any (the policy has no Resource)' : `resource ${p.resource}`);
  if (p.dateGreaterThan !== undefined) {
    lines.push(p.dateGreaterThan > now ? `valid from ${when(p.dateGreaterThan, now)}` : `valid since ${when(p.dateGreaterThan, now)}`);
  }
  lines.push(p.dateLessThan > now ? `expires ${when(p.dateLessThan, now)}` : `expired ${when(p.dateLessThan, now)}`);
  lines.push(p.sourceIp === undefined ? 'any client address' : `client address must be in ${p.sourceIp}`);
  return lines;
}
