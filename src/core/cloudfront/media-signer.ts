// The two signing modes of signed URLs (SIGNING_MODE url and wildcard) as `signMedia` callbacks for renderPlaylist().
//
// - `url`: one signature per URI: a canned policy (custom when an IP or not-before is set), the way
//   AWS documents it. Costs one private-key operation per distinct URL of the playlist.
// - `wildcard`: one custom policy whose Resource is `<rootUrl>*`, signed once when the signer is
//   created; every URL gets the same query appended. One private-key operation per playlist.
//
// Pure but for crypto: expiry and keys are passed in. A signer is meant to live for one response
// (or one viewer/expiry bucket): it memoizes.
import { assertUnderRoot, prefixResource } from '../scope.js';
import { appendQuery, customPolicyJson, customPolicyQuery, normalizeUrl, signUrl, SignerError, type CustomPolicy, type SignOptions, type SigningKey } from './signer.js';

export type SigningMode = 'url' | 'wildcard';
export { prefixResource };

export interface MediaSignerOptions {
  /** `url`: a policy per URL; `wildcard`: one policy for everything under rootUrl. */
  mode: SigningMode;
  /** Parsed CloudFront private key with its key pair id and hash algorithm. */
  key: SigningKey;
  /** Absolute CDN URL of the video's root prefix, ending in '/'; URLs outside it are refused. */
  rootUrl: string;
  /** Epoch seconds after which CloudFront refuses the URLs. */
  expires: number;
  /** Epoch seconds before which CloudFront refuses the URLs (forces a custom policy). */
  notBefore?: number;
  /** Viewer address restriction, one CIDR (forces a custom policy). */
  ip?: string;
}

/**
 * Returns `signMedia(url)`: the signed form of a normalized absolute URL under rootUrl. Throws
 * SignerError for a URL outside rootUrl (defence in depth: compilePlaylist already refuses them)
 * and, whenever the URLs get custom policies (wildcard mode, or url mode with an IP or not-before
 * condition), for a root whose URL holds `*` (it would widen the policy's Resource).
 */
export function createMediaSigner(o: MediaSignerOptions): (url: string) => string {
  const rootUrl = normalizeUrl(o.rootUrl);
  if (!rootUrl.endsWith('/') || rootUrl.includes('?')) throw new SignerError(`root URL "${o.rootUrl}" must end in "/" and carry no query`);

  if (o.mode === 'wildcard') {
    const policy: CustomPolicy = { resource: prefixResource(rootUrl), dateLessThan: o.expires };
    if (o.notBefore !== undefined) policy.dateGreaterThan = o.notBefore;
    if (o.ip !== undefined) policy.sourceIp = o.ip;
    const query = customPolicyQuery(o.key, policy);
    return (url: string): string => {
      assertUnderRoot(url, rootUrl);
      return appendQuery(url, query);
    };
  }

  if (o.mode !== 'url') throw new SignerError(`signing mode "${String(o.mode)}" is not url or wildcard`);
  // With an IP or not-before condition each URL gets a custom policy whose Resource is the URL
  // itself: a `*` in the root part would match other prefixes there too (canned policies have no
  // wildcards, so plain url mode signs such roots fine).
  if (o.ip !== undefined || o.notBefore !== undefined) prefixResource(rootUrl);
  // Check expiry, not-before and IP now rather than at the first URL.
  customPolicyJson({ dateLessThan: o.expires, ...(o.notBefore !== undefined ? { dateGreaterThan: o.notBefore } : {}), ...(o.ip !== undefined ? { sourceIp: o.ip } : {}) });
  // signUrl normalizes (the string signed is the string emitted), refuses URLs that already carry
  // signing parameters, and picks a canned policy unless ip/notBefore need a custom one.
  const signOptions: SignOptions = { expires: o.expires };
  if (o.notBefore !== undefined) signOptions.notBefore = o.notBefore;
  if (o.ip !== undefined) signOptions.ip = o.ip;
  const memo = new Map<string, string>();
  return (url: string): string => {
    const hit = memo.get(url);
    if (hit !== undefined) return hit;
    assertUnderRoot(url, rootUrl);
    const signed = signUrl(url, o.key, signOptions);
    memo.set(url, signed);
    return signed;
  };
}
