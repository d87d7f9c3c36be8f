// `hlsgate token <video-id> [--ttl 1h] [--all]`: a test viewer token from VIEWER_JWT_SECRET that the
// service's VIEWER_AUTH=jwt check accepts.
import { describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../src/cli/index.js';
import { createViewerTokenVerifier } from '../../src/adapters/viewer-tokens.js';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const SECRET = 'cli-viewer-token-secret-32-bytes!';

async function run(argv: string[], env: Record<string, string | undefined> = { VIEWER_JWT_SECRET: SECRET }) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env, readStdin: () => Promise.resolve(''), now: () => NOW };
  const code = await main(argv, io);
  return { code, out, err: err.join('\n') };
}

function payload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('hlsgate token', () => {
  const verifier = createViewerTokenVerifier({ mode: 'jwt', key: { kind: 'secret', secret: SECRET }, clockSkewSeconds: 0 });

  it('prints one HS256 token for the video on stdout and the page URL on stderr', async () => {
    const r = await run(['token', 'demo']);
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(1);
    const token = r.out[0]!;
    expect(payload(token)).toEqual({ videos: ['demo'], iat: NOW / 1000, exp: NOW / 1000 + 3600 });
    expect(r.err).toBe(`open http://127.0.0.1:3000/videos/demo?token=${token}  (valid 1h)`);
    expect(await verifier.verify(token, 'demo', NOW)).toMatchObject({ ok: true });
    expect(await verifier.verify(token, 'other', NOW)).toMatchObject({ ok: false, status: 403 });
  });

  it('--ttl and --all: a token for every video with the given lifetime', async () => {
    const r = await run(['token', 'demo', '--ttl', '15m', '--all', '--sub', 'tester']);
    const p = payload(r.out[0]!);
    expect(p.exp).toBe(NOW / 1000 + 900);
    expect(p.videos).toBeUndefined();
    expect(p.sub).toBe('tester');
    expect(await verifier.verify(r.out[0]!, 'anything', NOW)).toMatchObject({ ok: true, viewer: 'tester' });
    expect(await verifier.verify(r.out[0]!, 'anything', NOW + 901_000)).toMatchObject({ ok: false, code: 'token_expired' });
    expect((await run(['token', '--all', '--ttl', '2d'])).code).toBe(0);
  });

  it('uses VIEWER_JWT_AUDIENCE / VIEWER_JWT_ISSUER and PORT / --base-url from the environment', async () => {
    const r = await run(['token', 'v 1', '--base-url', 'https://watch.example.com/'], {
      VIEWER_JWT_SECRET: SECRET,
      VIEWER_JWT_AUDIENCE: 'hlsgate',
      VIEWER_JWT_ISSUER: 'https://app.example.com',
    });
    expect(payload(r.out[0]!)).toMatchObject({ aud: 'hlsgate', iss: 'https://app.example.com' });
    expect(r.err).toMatch(/^open https:\/\/watch\.example\.com\/videos\/v%201\?token=/);
    expect((await run(['token', 'demo'], { VIEWER_JWT_SECRET: SECRET, PORT: '8080' })).err).toMatch(/^open http:\/\/127\.0\.0\.1:8080\//);
  });

  it('fails clearly without a secret, with a short one, a bad --ttl or no video', async () => {
    expect(await run(['token', 'demo'], {})).toMatchObject({ code: 2, err: expect.stringMatching(/VIEWER_JWT_SECRET is not set/) as string });
    expect(await run(['token', 'demo'], { VIEWER_JWT_SECRET: 'short' })).toMatchObject({ code: 2, err: expect.stringMatching(/at least 32/) as string });
    expect(await run(['token', 'demo', '--ttl', 'soon'])).toMatchObject({ code: 2, err: expect.stringMatching(/--ttl: "soon" is not a duration/) as string });
    expect(await run(['token'])).toMatchObject({ code: 2, err: expect.stringMatching(/usage: hlsgate token/) as string });
  });
});
