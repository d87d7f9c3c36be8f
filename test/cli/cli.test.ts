// The `hlsgate` CLI, run in-process through main() and once through the real bin.
import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../src/cli/index.js';
import { verifiedUrlPolicy } from '../helpers/cloudfront.js';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const NOW_S = NOW / 1000;

/** Runs the CLI in-process; stdout and stderr are collected line by line. */
async function run(argv: string[], env: Record<string, string | undefined> = {}, stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env,
    readStdin: () => Promise.resolve(stdin),
    now: () => NOW,
  };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

let dir: string;
let rsaDir: string;
let ecDir: string;
let otherDir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hlsgate-cli-'));
  rsaDir = join(dir, 'rsa');
  ecDir = join(dir, 'ec');
  otherDir = join(dir, 'other');
  expect((await run(['keygen', '--out', rsaDir])).code).toBe(0);
  expect((await run(['keygen', '--type', 'ecdsa', '--out', ecDir])).code).toBe(0);
  expect((await run(['keygen', '--out', otherDir])).code).toBe(0);
});

describe('keygen', () => {
  it('writes a private key readable only by its owner and the matching public key', () => {
    const priv = readFileSync(join(rsaDir, 'private_key.pem'), 'utf8');
    const pub = readFileSync(join(rsaDir, 'public_key.pem'), 'utf8');
    expect(priv).toMatch(/BEGIN PRIVATE KEY/);
    expect(createPublicKey(priv).export({ type: 'spki', format: 'pem' })).toBe(pub);
  });
  it('refuses to overwrite without --force', async () => {
    const r = await run(['keygen', '--out', rsaDir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/already exists; pass --force/);
  });
});

describe('sign', () => {
  it.each([
    ['rsa', 'SHA1', 'sha1'],
    ['rsa', 'SHA256', 'sha256'],
    ['ec', 'SHA1', 'sha1'],
    ['ec', 'SHA256', 'sha256'],
  ])('canned policy with a %s key and %s verifies with the public key', async (kind, hash) => {
    const keyDir = kind === 'rsa' ? rsaDir : ecDir;
    const url = "https://d111.cloudfront.net/videos/my film/seg 1,a=b+c~'é.ts?x=1";
    const r = await run(['sign', url, '--expires', '+1h', '--hash', hash, '--key-pair-id', 'KTEST', '--private-key-file', join(keyDir, 'private_key.pem')]);
    expect(r.code).toBe(0);
    const signed = r.out;
    expect(new URL(signed).href).toBe(signed);
    const [base, query] = [signed.slice(0, signed.indexOf('&Expires=')), new URL(signed).searchParams];
    expect(query.get('Expires')).toBe(String(NOW_S + 3600));
    expect(query.get('Key-Pair-Id')).toBe('KTEST');
    expect(query.get('Hash-Algorithm')).toBe(hash === 'SHA256' ? 'SHA256' : null);
    // The policy CloudFront rebuilds: the requested URL minus the signing parameters.
    const pub = createPublicKey(readFileSync(join(keyDir, 'public_key.pem')));
    const policy = verifiedUrlPolicy(signed, pub);
    expect(policy).toMatchObject({ kind: 'canned', url: base, dateLessThan: NOW_S + 3600, hash });
  });

  it('uses a custom policy for --ip, --not-before and --policy-resource', async () => {
    const r = await run(
      ['sign', 'https://cdn.example/v1/a.ts', '--expires', '2026-11-23T00:00:00Z', '--not-before', '+0s', '--ip', '203.0.113.0/24', '--policy-resource', 'https://cdn.example/v1/*'],
      { CLOUDFRONT_KEY_PAIR_ID: 'KENV', CLOUDFRONT_PRIVATE_KEY_FILE: join(rsaDir, 'private_key.pem') },
    );
    expect(r.code).toBe(0);
    const q = new URL(r.out).searchParams;
    const pub = createPublicKey(readFileSync(join(rsaDir, 'public_key.pem')));
    const policy = verifiedUrlPolicy(r.out, pub);
    expect(JSON.parse(policy.json)).toEqual({
      Statement: [
        {
          Resource: 'https://cdn.example/v1/*',
          Condition: {
            DateLessThan: { 'AWS:EpochTime': Date.parse('2026-11-23T00:00:00Z') / 1000 },
            DateGreaterThan: { 'AWS:EpochTime': NOW_S },
            IpAddress: { 'AWS:SourceIp': '203.0.113.0/24' },
          },
        },
      ],
    });
    expect(policy.hash).toBe('SHA1');
    expect(q.get('Key-Pair-Id')).toBe('KENV');
  });

  it.each([
    [['sign', 'https://cdn.example/a.ts', '--expires', 'tomorrow'], /--expires: "tomorrow" is not a time/],
    [['sign', 'https://cdn.example/a.ts'], /--expires is required/],
    [['sign', 'not a url', '--expires', '+1h'], /is not an absolute URL/],
    [['sign', 'https://cdn.example/a.ts', '--expires', '+1h', '--ip', '300.1.1.1'], /IP address "300.1.1.1" is invalid/],
    [['sign', 'https://cdn.example/a.ts', '--expires', '+1h', '--hash', 'MD5'], /"MD5" is not SHA1 or SHA256/],
  ])('fails clearly: %j', async (argv, message) => {
    const r = await run(argv, { CLOUDFRONT_KEY_PAIR_ID: 'K', CLOUDFRONT_PRIVATE_KEY_FILE: join(rsaDir, 'private_key.pem') });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('names a missing key pair id and a bad PEM', async () => {
    const bad = join(dir, 'bad.pem');
    writeFileSync(bad, '-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n');
    const noId = await run(['sign', 'https://cdn.example/a.ts', '--expires', '+1h', '--private-key-file', join(rsaDir, 'private_key.pem')]);
    expect(noId.err).toMatch(/missing key pair id/);
    const badPem = await run(['sign', 'https://cdn.example/a.ts', '--expires', '+1h', '--key-pair-id', 'K', '--private-key-file', bad]);
    expect(badPem.err).toMatch(/could not be parsed/);
  });
});

describe('keys from the environment (read as the service reads them)', () => {
  const url = 'https://cdn.example/v1/a.ts';

  it('takes CLOUDFRONT_PRIVATE_KEY as PEM text with \\n escapes, and CLOUDFRONT_HASH_ALGORITHM', async () => {
    const pem = readFileSync(join(ecDir, 'private_key.pem'), 'utf8').trim().replace(/\n/g, '\\n');
    const r = await run(['sign', url, '--expires', '+1h'], { CLOUDFRONT_KEY_PAIR_ID: 'KPEM', CLOUDFRONT_PRIVATE_KEY: `"${pem}"`, CLOUDFRONT_HASH_ALGORITHM: 'sha-256' });
    expect(r.code).toBe(0);
    expect(new URL(r.out).searchParams.get('Hash-Algorithm')).toBe('SHA256');
    expect(new URL(r.out).searchParams.get('Key-Pair-Id')).toBe('KPEM');
  });

  it.each([
    [{ CLOUDFRONT_KEY_PAIR_ID: 'K', CLOUDFRONT_PRIVATE_KEY_FILE: '/nonexistent/key.pem' }, 'CLOUDFRONT_PRIVATE_KEY_FILE: cannot read "/nonexistent/key.pem": no such file'],
    [{ CLOUDFRONT_KEY_PAIR_ID: 'K', CLOUDFRONT_PRIVATE_KEY_FILE: 'x.pem', CLOUDFRONT_PRIVATE_KEY: 'pem' }, 'CLOUDFRONT_PRIVATE_KEY: set either CLOUDFRONT_PRIVATE_KEY or CLOUDFRONT_PRIVATE_KEY_FILE, not both'],
    [{ CLOUDFRONT_KEY_PAIR_ID: 'K 1', CLOUDFRONT_PRIVATE_KEY_FILE: 'rsa' }, 'CLOUDFRONT_KEY_PAIR_ID: expected a CloudFront public key id (letters, digits, - and _), e.g. K2JCJMDEHXQW5F, got "K 1"'],
    [{ CLOUDFRONT_KEY_PAIR_ID: 'K', CLOUDFRONT_PRIVATE_KEY_FILE: 'rsa', CLOUDFRONT_HASH_ALGORITHM: 'MD5' }, 'CLOUDFRONT_HASH_ALGORITHM: expected one of SHA1, SHA256, got "MD5"'],
  ])('names the bad variable with the service\'s message: %j', async (env, message) => {
    const withKey = { ...env, ...(env.CLOUDFRONT_PRIVATE_KEY_FILE === 'rsa' ? { CLOUDFRONT_PRIVATE_KEY_FILE: join(rsaDir, 'private_key.pem') } : {}) };
    const r = await run(['sign', url, '--expires', '+1h'], withKey);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`hlsgate sign: ${message}`);
    expect(r.out).toBe('');
  });

  it('lets the flags win over the variables they replace (a bad variable a flag replaces is not read)', async () => {
    const r = await run(['sign', url, '--expires', '+1h', '--key-pair-id', 'KFLAG', '--hash', 'SHA1'], {
      CLOUDFRONT_KEY_PAIR_ID: 'not valid',
      CLOUDFRONT_HASH_ALGORITHM: 'MD5',
      CLOUDFRONT_PRIVATE_KEY_FILE: join(rsaDir, 'private_key.pem'),
    });
    expect(r.code).toBe(0);
    expect(new URL(r.out).searchParams.get('Key-Pair-Id')).toBe('KFLAG');
  });

  it('says how to give a key when there is none', async () => {
    const r = await run(['sign', url, '--expires', '+1h', '--key-pair-id', 'K']);
    expect(r.err).toBe('hlsgate sign: no private key: pass --private-key-file or set CLOUDFRONT_PRIVATE_KEY_FILE / CLOUDFRONT_PRIVATE_KEY');
    expect(r.code).toBe(2);
  });
});

describe('verify', () => {
  const url = 'https://cdn.example/videos/v1/seg 1.ts';
  const env = () => ({ CLOUDFRONT_KEY_PAIR_ID: 'KV', CLOUDFRONT_PRIVATE_KEY_FILE: join(rsaDir, 'private_key.pem') });
  const pub = () => join(rsaDir, 'public_key.pem');

  async function signed(extra: string[] = []): Promise<string> {
    const r = await run(['sign', url, '--expires', '+1h', ...extra], env());
    expect(r.code).toBe(0);
    return r.out;
  }

  it('refuses something that is not a URL with a usage error', async () => {
    const r = await run(['verify', 'not a url', '--public-key-file', pub(), '--key-pair-id', 'KV']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/"not a url" is not an absolute URL/);
  });

  it('accepts a good URL and explains its policy in plain words', async () => {
    const r = await run(['verify', await signed(), '--public-key-file', pub(), '--key-pair-id', 'KV']);
    expect(r.out).toMatch(/verdict: OK/);
    expect(r.out).toMatch(/2026-11-22T13:00:00Z/);
    expect(r.code).toBe(0);
  });

  it.each<[string, () => Promise<[string, string[]]>]>([
    ['MissingKey', async () => [(await signed()).replace(/&Key-Pair-Id=[^&]*/, ''), []]],
    ['UnknownKey', async () => [await signed(), ['--key-pair-id', 'KOTHER']]],
    ['Expired', async () => [await signed(), ['--now', '+2h']]],
    ['NotYetValid', async () => [await signed(['--not-before', '+30m']), []]],
    ['IpMismatch', async () => [await signed(['--ip', '192.0.2.0/24']), ['--ip', '198.51.100.7']]],
    ['ResourceMismatch', async () => [await signed(['--policy-resource', 'https://cdn.example/videos/v2/*']), []]],
    ['BadSignature', async () => [(await signed()).replace(/Signature=(.)/, (_m, c: string) => `Signature=${c === 'A' ? 'B' : 'A'}`), []]],
    ['BadSignature', async () => [await signed(), ['--public-key-file', join(otherDir, 'public_key.pem')]]],
    ['MalformedPolicy', async () => [(await signed(['--ip', '192.0.2.0/24'])).replace(/Policy=[^&]*/, 'Policy=eyJub3QiOiJqc29uIn0_'), []]],
  ])('names %s', async (reason, make) => {
    const [signedUrl, extra] = await make();
    const r = await run(['verify', signedUrl, '--public-key-file', pub(), '--key-pair-id', 'KV', ...extra]);
    expect(r.out).toMatch(new RegExp(`verdict: ${reason}\\b`));
    expect(r.code).toBe(1);
  });
});

describe('rewrite', () => {
  const playlist = ['#EXTM3U', '#EXT-X-TARGETDURATION:4', '#EXT-X-KEY:METHOD=AES-128,URI="keys/k.key"', '#EXTINF:4,', 'seg 0.ts', '#EXTINF:4,', 'seg1.ts', '#EXT-X-ENDLIST', ''].join('\n');
  const master = ['#EXTM3U', '#EXT-X-STREAM-INF:BANDWIDTH=100000', 'low/index.m3u8', ''].join('\n');
  const env = () => ({ CLOUDFRONT_KEY_PAIR_ID: 'KR', CLOUDFRONT_PRIVATE_KEY_FILE: join(ecDir, 'private_key.pem') });

  it('signs every URI of a media playlist from stdin with one wildcard policy', async () => {
    const r = await run(['rewrite', '-', '--playlist-url', 'https://cdn.example/videos/v1/index.m3u8', '--expires', '+1h', '--mode', 'wildcard'], env(), playlist);
    expect(r.code).toBe(0);
    const urls = r.out.split('\n').flatMap((l) => l.match(/https:\/\/[^"\s]+/g) ?? []);
    expect(urls.map((u) => u.split('?')[0])).toEqual([
      'https://cdn.example/videos/v1/keys/k.key',
      'https://cdn.example/videos/v1/seg%200.ts',
      'https://cdn.example/videos/v1/seg1.ts',
    ]);
    const policies = new Set(urls.map((u) => new URL(u).searchParams.get('Policy')));
    expect(policies.size).toBe(1);
    // The root prefix is the playlist's directory; every URL's signature verifies.
    const pub = createPublicKey(readFileSync(join(ecDir, 'public_key.pem')));
    for (const u of urls) expect(verifiedUrlPolicy(u, pub).statement.Resource).toBe('https://cdn.example/videos/v1/*');
  });

  it('refuses a key outside the root prefix by default', async () => {
    // ../ climbs out of v1/, the root prefix the CLI derives from --playlist-url.
    const r = await run(['rewrite', '-', '--playlist-url', 'https://cdn.example/videos/v1/index.m3u8', '--expires', '+1h'], env(), playlist.replace('keys/k.key', '../v2/k.key'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/outside|scope/i);
  });

  it('follows the service\'s URI policy: another host passes (reported), FOREIGN_URIS=refuse and --out-of-scope refuse refuse it', async () => {
    const foreign = playlist.replace('keys/k.key', 'https://keys.example.net/k?id=7&token=secret7');
    const args = ['rewrite', '-', '--playlist-url', 'https://cdn.example/videos/v1/index.m3u8', '--expires', '+1h'];
    const ok = await run(args, env(), foreign);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('URI="https://keys.example.net/k?id=7&token=secret7"');
    expect(ok.err).toMatch(/^warning: line \d+: EXT-X-KEY left unsigned \(foreign-host\): https:\/\/keys\.example\.net\/k\?id=7&token=\[redacted\]$/m);
    const strict = await run(args, { ...env(), FOREIGN_URIS: 'refuse' }, foreign);
    expect(strict.code).toBe(2);
    expect(strict.err).toMatch(/points to another host.*FOREIGN_URIS=pass/);
    expect((await run([...args, '--out-of-scope', 'refuse'], env(), foreign)).code).toBe(2);
    expect((await run([...args, '--out-of-scope', 'maybe'], env(), foreign)).err).toMatch(/--out-of-scope: "maybe" is not policy, refuse or keep/);
  });

  it('widens the root prefix with --root-url and refuses one that does not contain the playlist', async () => {
    const nested = playlist.replace('keys/k.key', '../keys/k.key');
    const ok = await run(['rewrite', '-', '--playlist-url', 'https://cdn.example/videos/v1/low/index.m3u8', '--root-url', 'https://cdn.example/videos/v1/', '--expires', '+1h'], env(), nested);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/URI="https:\/\/cdn\.example\/videos\/v1\/keys\/k\.key\?Policy=/);
    const bad = await run(['rewrite', '-', '--playlist-url', 'https://cdn.example/videos/v1/low/index.m3u8', '--root-url', 'https://cdn.example/videos/v2/', '--expires', '+1h'], env(), nested);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--root-url/);
  });

  it('routes nested playlists through --media-route', async () => {
    const file = join(dir, 'master.m3u8');
    writeFileSync(file, master);
    const r = await run(['rewrite', file, '--playlist-url', 'https://cdn.example/videos/v1/master.m3u8', '--expires', '+1h', '--media-route', '/videos/v1/media/{path}'], env());
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toContain('/videos/v1/media/low/index.m3u8');
  });

  it('refuses input that is not a playlist', async () => {
    const r = await run(['rewrite', '-', '--playlist-url', 'https://cdn.example/v/p.m3u8', '--expires', '+1h'], env(), '<html>nope</html>');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/EXTM3U|not an HLS playlist|playlist/i);
  });
});

describe('edge', () => {
  it('refuses a port that is not a number before starting anything', async () => {
    const r = await run(['edge', '--port', 'eighty', '--bucket', 'b', '--key-pair-id', 'K', '--public-key-file', join(rsaDir, 'public_key.pem')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--port: "eighty" is not a TCP port number/);
  });
});

describe('videos', () => {
  it('adds, lists and removes catalog entries in the configured database', async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, 'catalog.db')}` };
    expect((await run(['videos', 'add', 'intro', 'courses/intro/master.m3u8', '--title', 'Intro'], env)).out).toMatch(/^added intro/);
    expect((await run(['videos', 'list'], env)).out).toBe('intro\tcourses/intro/master.m3u8\tcourses/intro/\tIntro');
    const bad = await run(['videos', 'add', '../x', 'a.m3u8'], env);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/id/);
    expect((await run(['videos', 'rm', 'intro'], env)).out).toBe('removed intro');
    expect((await run(['videos', 'rm', 'intro'], env)).code).toBe(1);
    expect((await run(['videos', 'list'], env)).out).toBe('');
  });

  // Issue 9, hole 1, through the CLI: one line naming the field, nothing stored.
  it.each([
    ['an empty root prefix', ['videos', 'add', 'v1', 'videos/v1/index.m3u8', '--root-prefix', ''], /rootPrefix: must not be empty/],
    ['a key at the bucket root', ['videos', 'add', 'v1', 'index.m3u8'], /playlistKey: must be inside a folder/],
    ['a wildcard in the root prefix', ['videos', 'add', 'v1', 'videos/v*/index.m3u8', '--root-prefix', 'videos/v*/'], /rootPrefix: must not contain "\*" or "\?"/],
  ])('refuses %s with one line', async (_what, argv, message) => {
    const env = { DATABASE_URL: `sqlite:${join(dir, 'refuse.db')}` };
    const r = await run(argv, env);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect((await run(['videos', 'list'], env)).out).toBe('');
  });

  it('without DATABASE_URL, opens the catalog the embedded demo uses: <DATA_DIR>/hlsgate.db', async () => {
    const dataDir = join(dir, 'demo-data');
    expect((await run(['videos', 'add', 'intro', 'courses/intro/master.m3u8'], { DATA_DIR: dataDir })).code).toBe(0);
    const same = await run(['videos', 'list'], { DATABASE_URL: `sqlite:${join(dataDir, 'hlsgate.db')}` });
    expect(same.out).toMatch(/^intro\t/);
  });
});

describe('the installed bin', () => {
  it('runs from dist and exits non-zero with usage on a bad command', async () => {
    const exec = promisify(execFile);
    const ok = await exec(process.execPath, ['bin/hlsgate.js', 'help']);
    expect(ok.stdout).toMatch(/usage: hlsgate/);
    await expect(exec(process.execPath, ['bin/hlsgate.js', 'frobnicate'])).rejects.toMatchObject({ code: 2 });
  });

  it('stops startup with one line naming a mistyped variable', async () => {
    const exec = promisify(execFile);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const keyFile = join(dir, 'serve-key.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const env = { ...process.env, S3_BUCKET: 'b', CDN_BASE_URL: 'https://cdn.example', CLOUDFRONT_KEY_PAIR_ID: 'K', CLOUDFRONT_PRIVATE_KEY_FILE: keyFile, SIGNED_URL_TTL: 'one hour', PORT: '0' };
    const failed = await exec(process.execPath, ['bin/hlsgate.js', 'serve'], { env }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed.code).toBe(1);
    const lines = failed.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/SIGNED_URL_TTL/);
  });
});
