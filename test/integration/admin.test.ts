// The admin API through createApp with a real SQLite catalog: CRUD, the bearer token, input errors.
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCatalog, type Catalog } from '../../src/adapters/catalog.js';
import { loadSigningKey } from '../../src/core/cloudfront/signer.js';
import { testApp, testConfig, unusedSource } from '../helpers/app.js';
import { ecKeyPair } from '../helpers/keys.js';

const TOKEN = 'admin-token-0123456789abcdef';
const { privateKeyPem } = ecKeyPair();
const signingKey = loadSigningKey({ keyPairId: 'KADMINTEST', privateKeyPem });

// The admin API never reads S3.
const noSource = unusedSource('the admin API must not read playlists');

let catalog: Catalog;

/** `null`: no admin token configured. */
function app(adminToken: string | null = TOKEN) {
  return testApp({
    catalog,
    source: noSource,
    signingKey,
    config: testConfig({ signing: { keyPairId: 'KADMINTEST', privateKeyPem }, ...(adminToken === null ? {} : { adminToken }) }),
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
