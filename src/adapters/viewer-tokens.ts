// Viewer authorization: which viewer may watch which video, decided by a token the host application
// mints (a JWT verified with `jose`). No Express here: the routes read the token from the request
// and turn a verdict into a response (src/http/viewer.ts).
//
// What a token must be:
// - signed with the configured key, and only with the algorithm that key is for: HS256 for a shared
//   secret, RS256 for an RSA public key, ES256 for a P-256 public key, RS256/ES256 for a JWKS (jose
//   then picks the key by `kid` and refuses a key of the wrong type). `alg: none`, and an HS256
//   token "signed" with a public key as the secret, are refused;
// - carrying `exp` (required) and, when given, `nbf`, both checked with a bounded clock skew; `aud`
//   and `iss` when configured;
// - optionally carrying `videos`, the list of video ids it opens (absent = every video).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/** The claim listing the video ids a token opens; absent means all videos. */
export const VIDEOS_CLAIM = 'videos';
/** Shortest HS256 secret accepted, in bytes (RFC 7518 §3.2: at least the hash size). */
export const MIN_SECRET_BYTES = 32;
/** Longest token read (a cookie holds at most ~4 kB; a header line 16 kB). */
export const MAX_TOKEN_LENGTH = 8192;

/** Where the verification key comes from. */
export type JwtKeySource =
  | { kind: 'secret'; secret: string }
  | { kind: 'publicKey'; pem: string }
  | { kind: 'jwks'; url: string };

export interface JwtViewerAuthConfig {
  mode: 'jwt';
  key: JwtKeySource;
  /** Required `aud` value (the token's `aud` must contain it), if set. */
  audience?: string;
  /** Required `iss` value, if set. */
  issuer?: string;
  /** Tolerance for `exp`/`nbf`, in seconds. */
  clockSkewSeconds: number;
}

export type ViewerAuthConfig =
  | {
      mode: 'none';
      /** false: do not warn that anyone can watch (the embedded demo). */
      warn?: boolean;
    }
  | JwtViewerAuthConfig;

export type DenialCode = 'missing_token' | 'invalid_token' | 'token_expired' | 'token_not_yet_valid' | 'not_entitled';

export type TokenVerdict =
  | {
      ok: true;
      /** The token's `sub`, if any. */
      viewer?: string;
      /** The token's `exp`, epoch seconds. */
      expires: number;
    }
  | { ok: false; status: 401 | 403; code: DenialCode; reason: string };

/** The verification key source could not answer (a JWKS endpoint down): not the viewer's fault. */
export class VerifierUnavailableError extends Error {
  override name = 'VerifierUnavailableError';
}

/** A bad key or setting; the message names what is wrong, for a configuration error. */
export class ViewerAuthConfigError extends Error {
  override name = 'ViewerAuthConfigError';
}

export interface ViewerTokenVerifier {
  /** The algorithms tokens may be signed with (pinned by the key type). */
  readonly algorithms: readonly string[];
  /** Checks `token` for `videoId` at `nowMs` (epoch milliseconds). Rejects only with VerifierUnavailableError. */
  verify(token: string, videoId: string, nowMs: number): Promise<TokenVerdict>;
}

/** The JWS algorithm a PEM public key verifies (RS256 for RSA ≥ 2048 bits, ES256 for P-256). */
export function publicKeyAlgorithm(pem: string): { alg: 'RS256' | 'ES256'; key: KeyObject } {
  const text = pem.trim();
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new ViewerAuthConfigError('expected the PUBLIC key that verifies viewer tokens, got a private key (hlsgate never needs the host application\'s private key)');
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    throw new ViewerAuthConfigError('not a PEM public key (expected "-----BEGIN PUBLIC KEY-----" or a certificate)');
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    if ((details.modulusLength ?? 0) < 2048) throw new ViewerAuthConfigError(`RSA key is ${details.modulusLength ?? '?'} bits; at least 2048 are required`);
    return { alg: 'RS256', key };
  }
  if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve !== 'prime256v1') throw new ViewerAuthConfigError(`EC key is on curve ${details.namedCurve ?? '?'}; ES256 needs P-256 (prime256v1)`);
    return { alg: 'ES256', key };
  }
  throw new ViewerAuthConfigError(`key type ${key.asymmetricKeyType ?? 'unknown'} is not supported; use RSA (RS256) or EC P-256 (ES256)`);
}

/** Checks an HS256 secret's length; returns its bytes. */
export function secretBytes(secret: string): Uint8Array {
  const bytes = new TextEncoder().encode(secret);
  if (bytes.byteLength < MIN_SECRET_BYTES) throw new ViewerAuthConfigError(`the secret is ${bytes.byteLength} bytes; HS256 needs at least ${MIN_SECRET_BYTES} (e.g. openssl rand -hex 32)`);
  return bytes;
}

function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Checks a JWKS URL: https, or http on loopback (development and tests). */
export function checkJwksUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ViewerAuthConfigError('not an absolute URL');
  }
  if (u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname))) return u;
  throw new ViewerAuthConfigError('expected an https:// URL (plain http only on loopback): keys fetched in clear text could be replaced');
}

const DENIAL_REASONS: Record<DenialCode, string> = {
  missing_token: 'this video needs a viewing token: open it from the site that sent you here',
  invalid_token: 'the viewing token is not valid: open the video again from the site that sent you here',
  token_expired: 'the viewing token has expired: open the video again from the site that sent you here',
  token_not_yet_valid: 'the viewing token is not valid yet: check the clock of the site that issued it, or try again shortly',
  not_entitled: 'your viewing token does not open this video',
};

/** A denial with the standard wording (`detail` adds what exactly was wrong, for the viewer and the log). */
export function denial(code: DenialCode, detail?: string): Extract<TokenVerdict, { ok: false }> {
  const status = code === 'not_entitled' ? 403 : 401;
  return { ok: false, status, code, reason: detail ? `${DENIAL_REASONS[code]} (${detail})` : DENIAL_REASONS[code] };
}

/** The video ids a payload opens; undefined = all; throws on a malformed claim. */
function videosOf(payload: JWTPayload): string[] | undefined {
  const claim = payload[VIDEOS_CLAIM];
  if (claim === undefined) return undefined;
  if (typeof claim === 'string') return [claim];
  if (Array.isArray(claim) && claim.every((v) => typeof v === 'string')) return claim;
  throw new errors.JWTClaimValidationFailed(`"${VIDEOS_CLAIM}" claim must be a list of video ids`, payload, VIDEOS_CLAIM, 'invalid');
}

function verdictForError(err: unknown): TokenVerdict {
  if (err instanceof errors.JWTExpired) return denial('token_expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'nbf':
        return denial('token_not_yet_valid');
      case 'exp':
        return denial('invalid_token', 'it has no expiry ("exp")');
      case 'aud':
        return denial('invalid_token', 'it was issued for another audience');
      case 'iss':
        return denial('invalid_token', 'it was issued by another issuer');
      case 'iat':
        return denial('token_not_yet_valid');
      default:
        return denial('invalid_token', err.claim === VIDEOS_CLAIM ? `its "${VIDEOS_CLAIM}" claim is not a list of video ids` : `claim "${err.claim}" is invalid`);
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return denial('invalid_token', 'it is signed with an algorithm this service does not accept');
  if (err instanceof errors.JWKSNoMatchingKey) return denial('invalid_token', 'it is signed with an unknown key');
  if (err instanceof errors.JWSSignatureVerificationFailed) return denial('invalid_token', 'its signature does not verify');
  // The key set endpoint answered something other than 200 + a JSON key set.
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || (err instanceof errors.JOSEError && /JSON Web Key Set/i.test(err.message))) {
    throw new VerifierUnavailableError(`the key set could not be fetched (${err.code})`, { cause: err });
  }
  if (err instanceof errors.JOSEError) return denial('invalid_token', 'it is malformed');
  // Not a token problem: a JWKS fetch that failed on the network, or a bug.
  if (err instanceof TypeError || (err instanceof Error && /fetch|ECONN|ENOTFOUND|network/i.test(err.message))) {
    throw new VerifierUnavailableError(`the key set could not be fetched (${err.message.slice(0, 120)})`, { cause: err });
  }
  throw err;
}

export interface VerifierOptions {
  /** JWKS: how long a fetched key set is used before it is fetched again (ms). */
  jwksCacheMaxAgeMs?: number;
  /** JWKS: at most one refetch (for an unknown `kid`) per this many ms. */
  jwksCooldownMs?: number;
  /** JWKS: fetch deadline (ms). */
  jwksTimeoutMs?: number;
}

/** Builds the verifier for a jwt configuration. Throws ViewerAuthConfigError for a bad key. */
export function createViewerTokenVerifier(config: JwtViewerAuthConfig, o: VerifierOptions = {}): ViewerTokenVerifier {
  let key: Uint8Array | KeyObject | JWTVerifyGetKey;
  let algorithms: string[];
  switch (config.key.kind) {
    case 'secret':
      key = secretBytes(config.key.secret);
      algorithms = ['HS256'];
      break;
    case 'publicKey': {
      const parsed = publicKeyAlgorithm(config.key.pem);
      key = parsed.key;
      algorithms = [parsed.alg];
      break;
    }
    case 'jwks':
      key = createRemoteJWKSet(checkJwksUrl(config.key.url), {
        cacheMaxAge: o.jwksCacheMaxAgeMs ?? 10 * 60_000,
        cooldownDuration: o.jwksCooldownMs ?? 30_000,
        timeoutDuration: o.jwksTimeoutMs ?? 5_000,
      });
      algorithms = ['RS256', 'ES256'];
      break;
    default:
      throw new ViewerAuthConfigError('unknown key source');
  }
  const skew = config.clockSkewSeconds;
  if (!Number.isInteger(skew) || skew < 0) throw new ViewerAuthConfigError(`clock skew must be whole seconds ≥ 0, got ${skew}`);

  return {
    algorithms,
    async verify(token, videoId, nowMs) {
      if (token.length === 0) return denial('missing_token');
      if (token.length > MAX_TOKEN_LENGTH) return denial('invalid_token', 'it is too long');
      let payload: JWTPayload;
      let videos: string[] | undefined;
      try {
        const options = {
          algorithms,
          requiredClaims: ['exp'],
          clockTolerance: skew,
          currentDate: new Date(nowMs),
          ...(config.audience !== undefined ? { audience: config.audience } : {}),
          ...(config.issuer !== undefined ? { issuer: config.issuer } : {}),
        };
        // Two calls rather than one on a union: jose's overloads take the key kinds separately.
        payload = typeof key === 'function' ? (await jwtVerify(token, key, options)).payload : (await jwtVerify(token, key, options)).payload;
        videos = videosOf(payload);
      } catch (err) {
        return verdictForError(err);
      }
      if (videos !== undefined && !videos.includes(videoId)) return denial('not_entitled');
      return {
        ok: true,
        ...(typeof payload.sub === 'string' ? { viewer: payload.sub } : {}),
        expires: payload.exp!,
      };
    },
  };
}

export interface MintOptions {
  /** HS256 secret (at least 32 bytes). */
  secret: string;
  /** Video ids the token opens; undefined = all. */
  videos?: string[];
  /** Lifetime in seconds. */
  ttlSeconds: number;
  /** Epoch milliseconds. */
  nowMs: number;
  subject?: string;
  audience?: string;
  issuer?: string;
}

/** Mints an HS256 viewer token (for `hlsgate token` and tests; hosts use their own JWT library). */
export async function mintViewerToken(o: MintOptions): Promise<string> {
  const now = Math.floor(o.nowMs / 1000);
  const claims: JWTPayload = {};
  if (o.videos !== undefined) claims[VIDEOS_CLAIM] = o.videos;
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(now).setExpirationTime(now + o.ttlSeconds);
  if (o.subject !== undefined) jwt = jwt.setSubject(o.subject);
  if (o.audience !== undefined) jwt = jwt.setAudience(o.audience);
  if (o.issuer !== undefined) jwt = jwt.setIssuer(o.issuer);
  return jwt.sign(secretBytes(o.secret));
}
