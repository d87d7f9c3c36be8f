// The admin API through createApp with a real SQLite catalog: CRUD, the bearer token, input
// errors, the throttling of failed authentications, and which tokens the configuration accepts.
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCatalog, type Catalog } from '../../src/adapters/catalog.js';
import { ConfigError, readVariables } from '../../src/config.js';
import { loadSigningKey } from '../../src/core/cloudfront/signer.js';
import { ADMIN_AUTH_THROTTLE } from '../../src/http/rate-limit.js';
import { testApp, testConfig, unusedSource } from '../helpers/app.js';
import { ecKeyPair } from '../helpers/keys.js';

// What `openssl rand -hex 32` prints (the README's example): 64 hex digits.
const TOKEN = '3f9c2a7d81e04b6f95d3c1a2e7b8f0643a5d9e1c7b2f8a04d6e3c9b1f5a7e208';
const { privateKeyPem } = ecKeyPair();
const signingKey = loadSigningKey({ keyPairId: 'KADMINTEST', privateKeyPem });

// The admin API never reads S3.
const noSource = unusedSource('the admin API must not read playlists');

let catalog: Catalog;

/** `null`: no admin token configured. */
function app(adminToken: string | null = TOKEN, o: { clock?: () => number; trustProxy?: string | false } = {}) {
  return testApp({
    catalog,
    source: noSource,
    signingKey,
    ...(o.clock ? { clock: o.clock } : {}),
    config: testConfig({
      signing: { keyPairId: 'KADMINTEST', privateKeyPem },
      ...(adminToken === null ? {} : { adminToken }),
      ...(o.trustProxy === undefined ? {} : { trustProxy: o.trustProxy }),
    }),
  });
}

const auth = { Authorization: `Bearer ${TOKEN}` };

beforeEach(() => {
  catalog = openCatalog('sqlite::memory:', { clock: Date.now });
});

afterEach(async () => {
  await catalog.close();
});

describe('admin API', () => {
  it('when a video is created, read, listed, replaced and deleted, then each step answers as REST expects', async () => {
    const a = app();
    const created = await request(a)
      .post('/api/videos')
      .set(auth)
      .send({ id: 'v1', playlistKey: 'videos/v1/master.m3u8', title: 'First' })
      .expect(201);
    expect(created.headers.location).toBe('/api/videos/v1');
    expect(created.headers['content-type']).toMatch(/^application\/json/);
    expect(created.body).toMatchObject({ id: 'v1', title: 'First', playlistKey: 'videos/v1/master.m3u8', rootPrefix: 'videos/v1/' });

    const again = await request(a).post('/api/videos').set(auth).send({ id: 'v1', playlistKey: 'videos/v1/other.m3u8' }).expect(409);
    expect(again.body).toMatchObject({ error: expect.stringContaining('already exists'), field: 'id' });

    const one = await request(a).get('/api/videos/v1').set(auth).expect(200);
    expect(one.body).toMatchObject({ id: 'v1', title: 'First' });

    const put = await request(a).put('/api/videos/v2').set(auth).send({ playlistKey: 'v2/index.m3u8', title: 'Second' }).expect(201);
    expect(put.headers.location).toBe('/api/videos/v2');
    expect(put.body).toMatchObject({ id: 'v2', rootPrefix: 'v2/' });

    const replaced = await request(a).put('/api/videos/v1').set(auth).send({ playlistKey: 'videos/v1/master.m3u8', title: 'First, renamed' }).expect(200);
    expect(replaced.body.title).toBe('First, renamed');

    const list = await request(a).get('/api/videos').set(auth).expect(200);
    expect(list.body.videos.map((v: { id: string }) => v.id).sort()).toEqual(['v1', 'v2']);

    // The viewer side sees the same catalog.
    const page = await request(a).get('/videos').expect(200);
    expect(page.text).toContain('First, renamed');

    await request(a).delete('/api/videos/v1').set(auth).expect(204);
    await request(a).delete('/api/videos/v1').set(auth).expect(404);
    await request(a).get('/api/videos/v1').set(auth).expect(404);
    await request(a).get('/videos/v1').expect(404);
  });

  it.each([
    ['no header', undefined],
    ['wrong token', `Bearer ${TOKEN}x`],
    ['prefix of the token', `Bearer ${TOKEN.slice(0, 10)}`],
    ['not bearer', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`],
    ['empty bearer', 'Bearer '],
  ])('when the token is missing or wrong (%s), then 401 with WWW-Authenticate: Bearer', async (_what, header) => {
    const r = request(app()).get('/api/videos');
    const res = await (header === undefined ? r : r.set('Authorization', header)).expect(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body.error).toEqual(expect.any(String));
    expect(JSON.stringify(res.body)).not.toContain(TOKEN);
  });

  it('when a write comes without a valid token, then the catalog is unchanged', async () => {
    await request(app()).post('/api/videos').set('Authorization', 'Bearer nope').send({ id: 'x', playlistKey: 'x/i.m3u8' }).expect(401);
    await request(app()).delete('/api/videos/x').expect(401);
    expect(await catalog.list()).toEqual([]);
  });

  it('when the body is not valid JSON, then 400 names the body', async () => {
    const res = await request(app()).post('/api/videos').set(auth).set('Content-Type', 'application/json').send('{"id": "v1",').expect(400);
    expect(res.body).toMatchObject({ error: expect.stringContaining('JSON'), field: 'body' });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it.each([
    [{ playlistKey: 'a/b.m3u8' }, 'id'],
    [{ id: '../x', playlistKey: 'a/b.m3u8' }, 'id'],
    [{ id: 'ok' }, 'playlistKey'],
    [{ id: 'ok', playlistKey: 'a/b.m3u8', rootPrefix: 'other/' }, 'rootPrefix'],
    [{ id: 'ok', playlistKey: 'a/b.m3u8', playlist_key: 'typo' }, 'playlist_key'],
    [[1, 2], 'body'],
  ])('when the input is invalid (%j), then 400 names the field %s', async (body, field) => {
    const res = await request(app()).post('/api/videos').set(auth).send(body as object).expect(400);
    expect(res.body.field).toBe(field);
    expect(res.body.error).toEqual(expect.any(String));
  });

  it('when PUT names a different id in the body than in the URL, then 400 on id', async () => {
    const res = await request(app()).put('/api/videos/v1').set(auth).send({ id: 'v2', playlistKey: 'a/b.m3u8' }).expect(400);
    expect(res.body.field).toBe('id');
  });

  it('when the body is over 16 kB, then 413', async () => {
    const res = await request(app())
      .post('/api/videos')
      .set(auth)
      .send({ id: 'big', playlistKey: 'a/b.m3u8', title: 'x'.repeat(17 * 1024) })
      .expect(413);
    expect(res.body.field).toBe('body');
  });

  it('when the body is not JSON at all, then 415', async () => {
    await request(app()).post('/api/videos').set(auth).set('Content-Type', 'text/plain').send('id=v1').expect(415);
  });

  it('when no admin token is configured, then the API does not exist (404), token or not', async () => {
    const a = app(null);
    await request(a).get('/api/videos').expect(404);
    await request(a).get('/api/videos').set(auth).expect(404);
    await request(a).post('/api/videos').set(auth).send({ id: 'v1', playlistKey: 'a/b.m3u8' }).expect(404);
    expect(await catalog.list()).toEqual([]);
  });
});

describe('admin API: failed authentications are throttled per client', () => {
  const { burst, refillMs } = ADMIN_AUTH_THROTTLE;
  const wrong = { Authorization: 'Bearer not-the-admin-token-0123456789abcdef' };
  const T0 = Date.UTC(2030, 0, 1);

  /** An app on a clock the test moves (`at.ms`). */
  function clocked(trustProxy: string | false = false) {
    const at = { ms: T0 };
    return { a: app(TOKEN, { clock: () => at.ms, trustProxy }), at };
  }

  async function failBurst(a: ReturnType<typeof app>, headers: Record<string, string> = {}): Promise<void> {
    for (let i = 0; i < burst; i++) await request(a).get('/api/videos').set({ ...headers, ...wrong }).expect(401);
  }

  it(`allows ${burst} wrong tokens, then answers 429 with Retry-After, even to the right token (not compared)`, async () => {
    const { a } = clocked();
    await failBurst(a);
    for (const headers of [wrong, auth, {}]) {
      const res = await request(a).get('/api/videos').set(headers).expect(429);
      expect(res.headers['retry-after']).toBe(String(refillMs / 1000));
      expect(res.body).toEqual({ error: expect.stringContaining('too many failed admin authentications'), code: 'rate_limited' });
      expect(res.headers['cache-control']).toBe('no-store');
    }
    // A write is refused the same way, and changes nothing.
    await request(a).post('/api/videos').set(auth).send({ id: 'x', playlistKey: 'x/i.m3u8' }).expect(429);
    expect(await catalog.list()).toEqual([]);
  });

  it('refills one attempt per interval: Retry-After counts down, then one attempt, then 429 again after a failure', async () => {
    const { a, at } = clocked();
    await failBurst(a);
    at.ms += 4000;
    expect((await request(a).get('/api/videos').set(auth).expect(429)).headers['retry-after']).toBe(String(refillMs / 1000 - 4));
    at.ms = T0 + refillMs;
    // The right token works again (a success costs nothing)...
    await request(a).get('/api/videos').set(auth).expect(200);
    await request(a).get('/api/videos').set(auth).expect(200);
    // ...and one wrong token spends the refilled attempt.
    await request(a).get('/api/videos').set(wrong).expect(401);
    await request(a).get('/api/videos').set(auth).expect(429);
    // After a full refill the whole burst is available again.
    at.ms += burst * refillMs;
    await failBurst(a);
    await request(a).get('/api/videos').set(wrong).expect(429);
  });

  it('counts credentials of another kind (Basic, an empty Bearer) as failures, but not a request without Authorization', async () => {
    const { a } = clocked();
    for (let i = 0; i < 3 * burst; i++) await request(a).get('/api/videos').expect(401);
    await request(a).get('/api/videos').set(auth).expect(200);
    for (let i = 0; i < burst; i++) {
      const header = i % 2 ? 'Bearer ' : `Basic ${Buffer.from(`admin:${i}`).toString('base64')}`;
      await request(a).get('/api/videos').set('Authorization', header).expect(401);
    }
    await request(a).get('/api/videos').set(auth).expect(429);
  });

  it.each<[string, string | false, string, string, boolean]>([
    ['two clients behind a trusted proxy are apart', 'loopback', '203.0.113.7', '203.0.113.8', false],
    ['X-Forwarded-For from an untrusted peer is ignored (one client: the socket)', false, '203.0.113.7', '203.0.113.8', true],
    ['two addresses of one IPv6 /64 are one client', 'loopback', '2001:db8:1:2::1', '2001:db8:1:2:ffff:ffff:ffff:ffff', true],
    ['two IPv6 /64s are apart', 'loopback', '2001:db8:1:2::1', '2001:db8:1:3::1', false],
    ['an IPv4 address and its IPv4-mapped form are one client', 'loopback', '203.0.113.7', '::ffff:203.0.113.7', true],
  ])('%s', async (_what, trustProxy, first, second, shared) => {
    const { a } = clocked(trustProxy);
    await failBurst(a, { 'X-Forwarded-For': first });
    await request(a).get('/api/videos').set({ 'X-Forwarded-For': first, ...auth }).expect(429);
    await request(a)
      .get('/api/videos')
      .set({ 'X-Forwarded-For': second, ...auth })
      .expect(shared ? 429 : 200);
  });

  it('keeps the state per app: another app (another process) starts afresh', async () => {
    const { a } = clocked();
    await failBurst(a);
    await request(a).get('/api/videos').set(auth).expect(429);
    await request(clocked().a).get('/api/videos').set(auth).expect(200);
  });
});

describe('ADMIN_TOKEN at startup', () => {
  const check = (value: string) => () => readVariables({ ADMIN_TOKEN: value }, ['ADMIN_TOKEN']);
  it.each([
    ['the tests\' token', TOKEN],
    ['openssl rand -hex 32', randomBytes(32).toString('hex')],
    ['openssl rand -base64 32', randomBytes(32).toString('base64')],
  ])('accepts %s', (_what, value) => {
    expect(check(value)()).toEqual({ ADMIN_TOKEN: value });
  });
  it.each([
    ['16 characters of one repeated letter (accepted before)', 'a'.repeat(16)],
    ['31 random hex digits', randomBytes(16).toString('hex').slice(0, 31)],
    ['64 characters of one letter', 'a'.repeat(64)],
    ['32 characters of 7 distinct', 'abcdefg'.repeat(5).slice(0, 32)],
  ])('refuses %s', (_what, value) => {
    expect(check(value)).toThrow(ConfigError);
    expect(check(value)).toThrow(/ADMIN_TOKEN/);
  });
});
