// Viewer token verification (jose): every way a token can be wrong, each key source, and the
// algorithm pinning that stops `alg: none` and HS-vs-RS confusion.
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createViewerTokenVerifier,
  MAX_TOKEN_LENGTH,
  mintViewerToken,
  publicKeyAlgorithm,
  VerifierUnavailableError,
  ViewerAuthConfigError,
  type JwtViewerAuthConfig,
} from '../../src/adapters/viewer-tokens.js';

const NOW_MS = Date.UTC(2030, 0, 1, 12, 0, 0);
const NOW = NOW_MS / 1000;
const SECRET = 'a-test-secret-that-is-32-bytes!!';
const KEY = new TextEncoder().encode(SECRET);

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const RSA_PUBLIC_PEM = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const EC_PUBLIC_PEM = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

function hsConfig(o: Partial<JwtViewerAuthConfig> = {}): JwtViewerAuthConfig {
  return { mode: 'jwt', key: { kind: 'secret', secret: SECRET }, clockSkewSeconds: 30, ...o };
}

interface Claims {
  exp?: number;
  nbf?: number;
  aud?: string | string[];
  iss?: string;
  sub?: string;
  videos?: unknown;
}

async function hs256(claims: Claims = {}, key: Uint8Array = KEY): Promise<string> {
  const { exp = NOW + 600, ...rest } = claims;
  return new SignJWT({ ...rest }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(key);
}

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

describe('createViewerTokenVerifier (HS256 secret)', () => {
  const verifier = createViewerTokenVerifier(hsConfig());

  it('pins the algorithm to HS256', () => {
    expect(verifier.algorithms).toEqual(['HS256']);
  });

  it('accepts a valid token and reports its subject and expiry', async () => {
    const token = await hs256({ sub: 'viewer-42', videos: ['v1', 'v2'] });
    expect(await verifier.verify(token, 'v2', NOW_MS)).toEqual({ ok: true, viewer: 'viewer-42', expires: NOW + 600 });
  });

  it('opens every video when the token has no videos claim', async () => {
    expect(await verifier.verify(await hs256(), 'anything', NOW_MS)).toMatchObject({ ok: true });
  });

  it('accepts a single id as the videos claim', async () => {
    expect(await verifier.verify(await hs256({ videos: 'v1' }), 'v1', NOW_MS)).toMatchObject({ ok: true });
  });

  it('refuses another video with 403 not_entitled', async () => {
    const r = await verifier.verify(await hs256({ videos: ['v1'] }), 'v2', NOW_MS);
    expect(r).toMatchObject({ ok: false, status: 403, code: 'not_entitled' });
  });

  it('refuses an empty videos list for every video', async () => {
    expect(await verifier.verify(await hs256({ videos: [] }), 'v1', NOW_MS)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a malformed videos claim as an invalid token', async () => {
    expect(await verifier.verify(await hs256({ videos: [1, 2] }), 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
    expect(await verifier.verify(await hs256({ videos: { v1: true } }), 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses an expired token (beyond the clock skew) with token_expired', async () => {
    const token = await hs256({ exp: NOW - 31 });
    expect(await verifier.verify(token, 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401, code: 'token_expired' });
  });

  it('accepts a token expired within the clock skew', async () => {
    expect(await verifier.verify(await hs256({ exp: NOW - 29 }), 'v1', NOW_MS)).toMatchObject({ ok: true });
  });

  it('refuses a not-yet-valid token (nbf beyond the skew) and accepts it within the skew', async () => {
    expect(await verifier.verify(await hs256({ nbf: NOW + 60 }), 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401, code: 'token_not_yet_valid' });
    expect(await verifier.verify(await hs256({ nbf: NOW + 20 }), 'v1', NOW_MS)).toMatchObject({ ok: true });
  });

  it('requires exp', async () => {
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(KEY);
    const r = await verifier.verify(noExp, 'v1', NOW_MS);
    expect(r).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
    expect(!r.ok && r.reason).toMatch(/no expiry/);
  });

  it('refuses a token signed with another secret', async () => {
    const token = await hs256({}, new TextEncoder().encode('another-secret-of-32-bytes-long!'));
    const r = await verifier.verify(token, 'v1', NOW_MS);
    expect(r).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
    expect(!r.ok && r.reason).toMatch(/signature/);
  });

  it('refuses a tampered payload (videos widened after signing)', async () => {
    const token = await hs256({ videos: ['v1'] });
    const [h, , s] = token.split('.');
    const forged = `${h}.${b64url(JSON.stringify({ exp: NOW + 600, videos: ['v1', 'v2'] }))}.${s}`;
    expect(await verifier.verify(forged, 'v2', NOW_MS)).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
  });

  it('refuses alg "none" (an unsecured token)', async () => {
    const unsecured = `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify({ exp: NOW + 600 }))}.`;
    expect(await verifier.verify(unsecured, 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
  });

  it('refuses garbage, an empty token and an oversized one', async () => {
    expect(await verifier.verify('not.a.jwt', 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
    expect(await verifier.verify('', 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401, code: 'missing_token' });
    expect(await verifier.verify('x'.repeat(MAX_TOKEN_LENGTH + 1), 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses an RS256 token when configured with a secret', async () => {
    const rs = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setExpirationTime(NOW + 600).sign(rsa.privateKey);
    expect(await verifier.verify(rs, 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
  });
});

describe('audience and issuer', () => {
  const verifier = createViewerTokenVerifier(hsConfig({ audience: 'hlsgate', issuer: 'https://app.example.com' }));

  it('accepts the configured audience (also inside a list) and issuer', async () => {
    expect(await verifier.verify(await hs256({ aud: 'hlsgate', iss: 'https://app.example.com' }), 'v1', NOW_MS)).toMatchObject({ ok: true });
    expect(await verifier.verify(await hs256({ aud: ['other', 'hlsgate'], iss: 'https://app.example.com' }), 'v1', NOW_MS)).toMatchObject({ ok: true });
  });

  it('refuses a wrong or missing audience', async () => {
    const wrong = await verifier.verify(await hs256({ aud: 'billing', iss: 'https://app.example.com' }), 'v1', NOW_MS);
    expect(wrong).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
    expect(!wrong.ok && wrong.reason).toMatch(/audience/);
    expect(await verifier.verify(await hs256({ iss: 'https://app.example.com' }), 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses a wrong issuer', async () => {
    const r = await verifier.verify(await hs256({ aud: 'hlsgate', iss: 'https://evil.example' }), 'v1', NOW_MS);
    expect(r).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
    expect(!r.ok && r.reason).toMatch(/issuer/);
  });
});

describe('public keys (PEM)', () => {
  it('pins RS256 for an RSA key and ES256 for a P-256 key', () => {
    expect(publicKeyAlgorithm(RSA_PUBLIC_PEM).alg).toBe('RS256');
    expect(publicKeyAlgorithm(EC_PUBLIC_PEM).alg).toBe('ES256');
  });

  it('refuses private keys, small RSA keys, other curves and non-keys', () => {
    expect(() => publicKeyAlgorithm(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toThrow(ViewerAuthConfigError);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => publicKeyAlgorithm(small)).toThrow(/1024 bits/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => publicKeyAlgorithm(p384)).toThrow(/P-256/);
    expect(() => publicKeyAlgorithm('hello')).toThrow(/not a PEM public key/);
  });

  it('RS256: accepts a token signed with the private key, refuses one from another key', async () => {
    const verifier = createViewerTokenVerifier({ mode: 'jwt', key: { kind: 'publicKey', pem: RSA_PUBLIC_PEM }, clockSkewSeconds: 30 });
    const good = await new SignJWT({ videos: ['v1'] }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime(NOW + 60).sign(rsa.privateKey);
    expect(await verifier.verify(good, 'v1', NOW_MS)).toMatchObject({ ok: true });
    const other = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setExpirationTime(NOW + 60).sign(otherRsa.privateKey);
    expect(await verifier.verify(other, 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
  });

  it('alg confusion: an HS256 token whose "secret" is the RSA public key is refused', async () => {
    const verifier = createViewerTokenVerifier({ mode: 'jwt', key: { kind: 'publicKey', pem: RSA_PUBLIC_PEM }, clockSkewSeconds: 30 });
    // Built by hand: jose itself refuses to use a PEM string as an HMAC secret.
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = b64url(JSON.stringify({ exp: NOW + 600 }));
    const sig = createHmac('sha256', RSA_PUBLIC_PEM).update(`${header}.${payload}`).digest('base64url');
    const r = await verifier.verify(`${header}.${payload}.${sig}`, 'v1', NOW_MS);
    expect(r).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
    expect(!r.ok && r.reason).toMatch(/algorithm/);
  });

  it('ES256: accepts a P-256 signature, refuses RS256 and HS256', async () => {
    const verifier = createViewerTokenVerifier({ mode: 'jwt', key: { kind: 'publicKey', pem: EC_PUBLIC_PEM }, clockSkewSeconds: 30 });
    expect(verifier.algorithms).toEqual(['ES256']);
    const good = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setExpirationTime(NOW + 60).sign(ec.privateKey);
    expect(await verifier.verify(good, 'v1', NOW_MS)).toMatchObject({ ok: true });
    const rs = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setExpirationTime(NOW + 60).sign(rsa.privateKey);
    expect(await verifier.verify(rs, 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401 });
    expect(await verifier.verify(await hs256(), 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401 });
  });
});

describe('JWKS from a local http server', () => {
  let server: Server;
  let url: string;
  let jwks: { keys: JWK[] };
  let fetches = 0;
  let down = false;

  beforeAll(async () => {
    const rsaJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' };
    const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' };
    jwks = { keys: [rsaJwk, ecJwk] };
    server = createServer((_req, res) => {
      fetches += 1;
      if (down) {
        res.statusCode = 500;
        res.end('down');
        return;
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  const sign = (alg: 'RS256' | 'ES256', kid: string, key = alg === 'RS256' ? rsa.privateKey : ec.privateKey, claims: Claims = {}) =>
    new SignJWT({ ...claims }).setProtectedHeader({ alg, kid }).setExpirationTime(NOW + 600).sign(key);

  it('verifies RS256 and ES256 tokens by kid, fetching the key set once (cached)', async () => {
    const verifier = createViewerTokenVerifier({ mode: 'jwt', key: { kind: 'jwks', url }, clockSkewSeconds: 30 });
    const before = fetches;
    expect(await verifier.verify(await sign('RS256', 'rsa-1', rsa.privateKey, { videos: ['v1'] }), 'v1', NOW_MS)).toMatchObject({ ok: true });
    expect(await verifier.verify(await sign('ES256', 'ec-1'), 'v1', NOW_MS)).toMatchObject({ ok: true });
    expect(await verifier.verify(await sign('RS256', 'rsa-1'), 'v9', NOW_MS)).toMatchObject({ ok: true });
    expect(fetches - before).toBe(1);
  });

  it('refuses an unknown kid, a key of the wrong type, and HS256', async () => {
    const verifier = createViewerTokenVerifier({ mode: 'jwt', key: { kind: 'jwks', url }, clockSkewSeconds: 30 }, { jwksCooldownMs: 0 });
    expect(await verifier.verify(await sign('RS256', 'nope', otherRsa.privateKey), 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
    expect(await verifier.verify(await sign('RS256', 'rsa-1', otherRsa.privateKey), 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401 });
    expect(await verifier.verify(await hs256(), 'v1', NOW_MS)).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
  });

  it('reports an unreachable key set as VerifierUnavailableError, not as the viewer\'s fault', async () => {
    down = true;
    try {
      const verifier = createViewerTokenVerifier({ mode: 'jwt', key: { kind: 'jwks', url }, clockSkewSeconds: 30 });
      await expect(verifier.verify(await sign('RS256', 'rsa-1'), 'v1', NOW_MS)).rejects.toBeInstanceOf(VerifierUnavailableError);
      const closed = createViewerTokenVerifier({ mode: 'jwt', key: { kind: 'jwks', url: 'http://127.0.0.1:1/jwks' }, clockSkewSeconds: 30 });
      await expect(closed.verify(await sign('RS256', 'rsa-1'), 'v1', NOW_MS)).rejects.toBeInstanceOf(VerifierUnavailableError);
    } finally {
      down = false;
    }
  });

  it('refuses a plain-http key set off loopback', () => {
    expect(() => createViewerTokenVerifier({ mode: 'jwt', key: { kind: 'jwks', url: 'http://keys.example.com/jwks' }, clockSkewSeconds: 30 })).toThrow(ViewerAuthConfigError);
  });
});

describe('mintViewerToken', () => {
  it('mints an HS256 token the verifier accepts, with the videos claim, audience and issuer', async () => {
    const token = await mintViewerToken({ secret: SECRET, videos: ['v1'], ttlSeconds: 3600, nowMs: NOW_MS, subject: 'u1', audience: 'hlsgate', issuer: 'me' });
    const [header, payload] = token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toEqual({ videos: ['v1'], iat: NOW, exp: NOW + 3600, sub: 'u1', aud: 'hlsgate', iss: 'me' });
    const verifier = createViewerTokenVerifier(hsConfig({ audience: 'hlsgate', issuer: 'me' }));
    expect(await verifier.verify(token, 'v1', NOW_MS)).toEqual({ ok: true, viewer: 'u1', expires: NOW + 3600 });
  });

  it('refuses a short secret', async () => {
    await expect(mintViewerToken({ secret: 'short', ttlSeconds: 60, nowMs: NOW_MS })).rejects.toThrow(/at least 32/);
  });
});
