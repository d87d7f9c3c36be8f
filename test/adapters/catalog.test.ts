import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  assertStoredVideosValid,
  CATALOG_SCHEMA_VERSION,
  CatalogInputError,
  isValidVideoId,
  openCatalog,
  parseVideoInput,
  VIDEO_ID_PATTERN,
  type Catalog,
} from '../../src/adapters/catalog.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hlsgate-catalog-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function inputError(fn: () => unknown): CatalogInputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CatalogInputError);
    return err as CatalogInputError;
  }
  throw new Error('expected a CatalogInputError');
}

describe('video ids', () => {
  it.each(['v1', 'a', 'A-b_c', '0', 'x'.repeat(64), 'Big_Buck-Bunny-2024'])('accepts %j', (id) => {
    expect(isValidVideoId(id)).toBe(true);
    expect(VIDEO_ID_PATTERN.test(id)).toBe(true);
  });
  it.each([
    '',
    'x'.repeat(65),
    '-v1',
    '_v1',
    'v 1',
    'v/1',
    '..',
    '.',
    'v.1',
    'v%2F1',
    '%2e%2e',
    'vidéo',
    'v1\n',
    'v1\u0000',
    '\u202ev1',
    'v１', // fullwidth digit
  ])('refuses %j', (id) => {
    expect(isValidVideoId(id)).toBe(false);
  });
  it('is false for non-strings', () => {
    expect(isValidVideoId(undefined as unknown as string)).toBe(false);
    expect(isValidVideoId(1 as unknown as string)).toBe(false);
  });
});

describe('parseVideoInput', () => {
  it('accepts a minimal body and leaves defaults to the catalog', () => {
    expect(parseVideoInput({ id: 'v1', playlistKey: 'videos/v1/master.m3u8' })).toEqual({ id: 'v1', playlistKey: 'videos/v1/master.m3u8' });
  });

  it('accepts every field, trims the title, keeps unicode and odd-but-legal key characters', () => {
    expect(parseVideoInput({ id: 'v1', playlistKey: 'vidéos/日本 語/a+b=c,d~e%2F.M3U8', title: '  Ünïcødé 🎬 title ', rootPrefix: 'vidéos/' })).toEqual({
      id: 'v1',
      playlistKey: 'vidéos/日本 語/a+b=c,d~e%2F.M3U8',
      title: 'Ünïcødé 🎬 title',
      rootPrefix: 'vidéos/',
    });
  });

  // Issue 9, hole 1: an empty root prefix made every policy cover the whole distribution.
  it.each([
    ['an empty root prefix', { playlistKey: 'videos/v1/index.m3u8', rootPrefix: '' }, 'rootPrefix', /must not be empty: the video's signatures would cover the whole distribution/],
    ['"/" as root prefix', { playlistKey: 'videos/v1/index.m3u8', rootPrefix: '/' }, 'rootPrefix', /without a leading "\/"/],
    ['"*" in the root prefix', { playlistKey: 'videos/v*/index.m3u8', rootPrefix: 'videos/v*/' }, 'rootPrefix', /must not contain "\*" or "\?"/],
    ['"?" in the root prefix', { playlistKey: 'videos/v?/index.m3u8', rootPrefix: 'videos/v?/' }, 'rootPrefix', /must not contain "\*" or "\?"/],
    ['a key at the bucket root (its folder is the root)', { playlistKey: 'index.m3u8' }, 'playlistKey', /must be inside a folder/],
    ['a key whose folder holds "*"', { playlistKey: 'videos/*/index.m3u8' }, 'playlistKey', /must not contain "\*" or "\?"/],
  ])('refuses %s, naming the field', (_what, body, field, message) => {
    const err = inputError(() => parseVideoInput({ id: 'v1', ...body }));
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  it('treats null and blank titles as absent', () => {
    expect(parseVideoInput({ id: 'v1', playlistKey: 'a/b.m3u8', title: null, rootPrefix: null })).toEqual({ id: 'v1', playlistKey: 'a/b.m3u8' });
    expect(parseVideoInput({ id: 'v1', playlistKey: 'a/b.m3u8', title: '   ' })).toEqual({ id: 'v1', playlistKey: 'a/b.m3u8' });
  });

  it('takes the id from the path and requires a body id to match it', () => {
    expect(parseVideoInput({ playlistKey: 'a/b.m3u8' }, 'v2')).toEqual({ id: 'v2', playlistKey: 'a/b.m3u8' });
    expect(parseVideoInput({ id: 'v2', playlistKey: 'a/b.m3u8' }, 'v2').id).toBe('v2');
    const err = inputError(() => parseVideoInput({ id: 'v3', playlistKey: 'a/b.m3u8' }, 'v2'));
    expect(err.field).toBe('id');
    expect(err.message).toBe('id: does not match the id in the URL');
    expect(inputError(() => parseVideoInput({ playlistKey: 'a/b.m3u8' }, '../x')).field).toBe('id');
  });

  const bad: [string, unknown, string, RegExp][] = [
    ['not an object', 'x', 'body', /expected a JSON object, got a string/],
    ['null', null, 'body', /got null/],
    ['an array', [], 'body', /got an array/],
    ['unknown field', { id: 'v1', playlistKey: 'a.m3u8', playlist_key: 'x' }, 'playlist_key', /unknown field/],
    ['missing id', { playlistKey: 'a.m3u8' }, 'id', /is required/],
    ['numeric id', { id: 1, playlistKey: 'a.m3u8' }, 'id', /expected a string, got a number/],
    ['dot-dot id', { id: '..', playlistKey: 'a.m3u8' }, 'id', /1-64 characters/],
    ['encoded slash id', { id: 'a%2Fb', playlistKey: 'a.m3u8' }, 'id', /1-64 characters/],
    ['unicode id', { id: 'vidéo', playlistKey: 'a.m3u8' }, 'id', /1-64 characters/],
    ['over-long id', { id: 'v'.repeat(65), playlistKey: 'a.m3u8' }, 'id', /1-64 characters/],
    ['missing key', { id: 'v1' }, 'playlistKey', /is required/],
    ['empty key', { id: 'v1', playlistKey: '' }, 'playlistKey', /must not be empty/],
    ['object key', { id: 'v1', playlistKey: {} }, 'playlistKey', /got an object/],
    ['leading slash', { id: 'v1', playlistKey: '/videos/a.m3u8' }, 'playlistKey', /leading "\/"/],
    ['dot-dot segment', { id: 'v1', playlistKey: 'videos/../secret/a.m3u8' }, 'playlistKey', /"\." or "\.\."/],
    ['leading dot-dot', { id: 'v1', playlistKey: '../a.m3u8' }, 'playlistKey', /"\." or "\.\."/],
    ['dot segment', { id: 'v1', playlistKey: 'videos/./a.m3u8' }, 'playlistKey', /"\." or "\.\."/],
    ['empty segment', { id: 'v1', playlistKey: 'videos//a.m3u8' }, 'playlistKey', /empty path segments/],
    ['newline', { id: 'v1', playlistKey: 'videos/a\n.m3u8' }, 'playlistKey', /control characters/],
    ['NUL', { id: 'v1', playlistKey: 'videos/a\u0000.m3u8' }, 'playlistKey', /control characters/],
    ['DEL', { id: 'v1', playlistKey: 'videos/a\u007f.m3u8' }, 'playlistKey', /control characters/],
    ['C1 control', { id: 'v1', playlistKey: 'videos/a\u0085.m3u8' }, 'playlistKey', /control characters/],
    ['lone surrogate', { id: 'v1', playlistKey: 'videos/a\ud800.m3u8' }, 'playlistKey', /unpaired surrogate/],
    ['over-long key', { id: 'v1', playlistKey: `${'a'.repeat(1020)}.m3u8` }, 'playlistKey', /at most 1024 bytes/],
    ['over-long multibyte key', { id: 'v1', playlistKey: `${'é'.repeat(510)}.m3u8` }, 'playlistKey', /at most 1024 bytes/],
    ['not a playlist', { id: 'v1', playlistKey: 'videos/a.ts' }, 'playlistKey', /end with \.m3u8/],
    ['m3u8 in the middle', { id: 'v1', playlistKey: 'videos/a.m3u8.ts' }, 'playlistKey', /end with \.m3u8/],
    ['prefix without slash', { id: 'v1', playlistKey: 'videos/a.m3u8', rootPrefix: 'videos' }, 'rootPrefix', /end with "\/"/],
    ['prefix with dot-dot', { id: 'v1', playlistKey: 'videos/a.m3u8', rootPrefix: '../' }, 'rootPrefix', /"\." or "\.\."/],
    ['prefix leading slash', { id: 'v1', playlistKey: 'videos/a.m3u8', rootPrefix: '/videos/' }, 'rootPrefix', /leading/],
    ['prefix not covering key', { id: 'v1', playlistKey: 'videos/a.m3u8', rootPrefix: 'other/' }, 'rootPrefix', /prefix of playlistKey/],
    ['prefix partial segment', { id: 'v1', playlistKey: 'videos/v1/a.m3u8', rootPrefix: 'videos/v1/a/' }, 'rootPrefix', /prefix of playlistKey/],
    ['numeric prefix', { id: 'v1', playlistKey: 'videos/a.m3u8', rootPrefix: 3 }, 'rootPrefix', /got a number/],
    ['numeric title', { id: 'v1', playlistKey: 'a.m3u8', title: 5 }, 'title', /got a number/],
    ['long title', { id: 'v1', playlistKey: 'a.m3u8', title: 't'.repeat(201) }, 'title', /at most 200 characters/],
    ['control char title', { id: 'v1', playlistKey: 'a.m3u8', title: 'a\u001bb' }, 'title', /control characters/],
    ['newline title', { id: 'v1', playlistKey: 'a.m3u8', title: 'a\nb' }, 'title', /control characters/],
  ];
  it.each(bad)('refuses %s', (_name, body, field, message) => {
    const err = inputError(() => parseVideoInput(body));
    expect(err.field).toBe(field);
    expect(err.message.startsWith(`${field}: `)).toBe(true);
    expect(err.message).toMatch(message);
  });

  it('counts title length in characters, not UTF-16 units', () => {
    expect(parseVideoInput({ id: 'v1', playlistKey: 'a/b.m3u8', title: '🎬'.repeat(200) }).title).toBe('🎬'.repeat(200));
  });

  it('accepts a key of exactly 1024 bytes', () => {
    const key = `a/${'a'.repeat(1017)}.m3u8`;
    expect(parseVideoInput({ id: 'v1', playlistKey: key }).playlistKey).toBe(key);
  });
});

describe('SQLite catalog', () => {
  let catalog: Catalog;
  let clock = new Date('2025-01-01T00:00:00.000Z');
  beforeEach(() => {
    clock = new Date('2025-01-01T00:00:00.000Z');
    catalog = openCatalog('sqlite::memory:', { clock: () => clock.getTime() });
  });

  it('creates, reads, lists, updates and removes', async () => {
    expect(await catalog.list()).toEqual([]);
    const created = await catalog.upsert({ id: 'v1', playlistKey: 'videos/v1/master.m3u8' });
    expect(created).toEqual({
      created: true,
      video: {
        id: 'v1',
        title: 'v1',
        playlistKey: 'videos/v1/master.m3u8',
        rootPrefix: 'videos/v1/',
        createdAt: '2025-01-01T00:00:00.000Z',
        updatedAt: '2025-01-01T00:00:00.000Z',
      },
    });
    expect(await catalog.get('v1')).toEqual(created.video);

    clock = new Date('2025-02-01T00:00:00.000Z');
    const updated = await catalog.upsert({ id: 'v1', playlistKey: 'videos/v1/hls/master.m3u8', title: 'Big Buck Bunny', rootPrefix: 'videos/v1/' });
    expect(updated.created).toBe(false);
    expect(updated.video).toEqual({
      id: 'v1',
      title: 'Big Buck Bunny',
      playlistKey: 'videos/v1/hls/master.m3u8',
      rootPrefix: 'videos/v1/',
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-02-01T00:00:00.000Z',
    });
    expect(await catalog.get('v1')).toEqual(updated.video);

    expect(await catalog.remove('v1')).toBe(true);
    expect(await catalog.remove('v1')).toBe(false);
    expect(await catalog.get('v1')).toBeUndefined();
  });

  it('replaces on upsert: omitted title and rootPrefix return to their defaults', async () => {
    await catalog.upsert({ id: 'v1', playlistKey: 'a/b/c.m3u8', title: 'T', rootPrefix: 'a/' });
    const { video } = await catalog.upsert({ id: 'v1', playlistKey: 'a/b/c.m3u8' });
    expect(video.title).toBe('v1');
    expect(video.rootPrefix).toBe('a/b/');
  });

  it('refuses a key at the bucket root (no root prefix could be safe)', async () => {
    await expect(catalog.upsert({ id: 'root', playlistKey: 'index.m3u8' })).rejects.toThrow(/playlistKey: must be inside a folder/);
    expect(await catalog.list()).toEqual([]);
  });

  it('refuses to serve from stored rows that break the rules, naming the video and the fix', async () => {
    await catalog.upsert({ id: 'good', playlistKey: 'videos/good/index.m3u8' });
    await expect(assertStoredVideosValid(catalog)).resolves.toBeUndefined();
    // A row written by an older hlsgate (or by hand), as the list would return it.
    const old = { list: async () => [...(await catalog.list()), { id: 'legacy', playlistKey: 'index.m3u8', rootPrefix: '', title: 'x', createdAt: '', updatedAt: '' }] };
    await expect(assertStoredVideosValid(old)).rejects.toThrow(
      /^catalog: stored video "legacy": rootPrefix: must not be empty.*; fix it with hlsgate videos add legacy <playlist-key> --root-prefix <folder>\/, or hlsgate videos rm legacy$/,
    );
  });

  it('lists by title (case-insensitive), then id', async () => {
    await catalog.upsert({ id: 'c', playlistKey: 'c/i.m3u8', title: 'banana' });
    await catalog.upsert({ id: 'a', playlistKey: 'a/i.m3u8', title: 'Cherry' });
    await catalog.upsert({ id: 'b2', playlistKey: 'b/i.m3u8', title: 'Apple' });
    await catalog.upsert({ id: 'b1', playlistKey: 'b/i.m3u8', title: 'apple' });
    expect((await catalog.list()).map((v) => v.id)).toEqual(['b1', 'b2', 'c', 'a']);
  });

  it('returns undefined / false for invalid ids without touching the database', async () => {
    await catalog.upsert({ id: 'v1', playlistKey: 'a/b.m3u8' });
    for (const id of ['', '..', "v1' OR '1'='1", 'v1%00', 'V1/..', 'x'.repeat(65)]) {
      expect(await catalog.get(id)).toBeUndefined();
      expect(await catalog.remove(id)).toBe(false);
    }
    expect(await catalog.get('V1')).toBeUndefined(); // ids are case-sensitive
    expect(await catalog.list()).toHaveLength(1);
  });

  it('validates upserts from any caller', async () => {
    await expect(catalog.upsert({ id: '../x', playlistKey: 'a.m3u8' })).rejects.toBeInstanceOf(CatalogInputError);
    await expect(catalog.upsert({ id: 'v1', playlistKey: '../a.m3u8' })).rejects.toThrow(/playlistKey/);
    await expect(catalog.upsert({ id: 'v1', playlistKey: 'a/b.m3u8', rootPrefix: 'c/' })).rejects.toThrow(/rootPrefix/);
    expect(await catalog.list()).toEqual([]);
  });

  it('stores unicode titles and keys unchanged', async () => {
    const input = { id: 'u', playlistKey: 'vidéos/日本 語/index.m3u8', title: 'Ünïcødé 🎬' };
    await catalog.upsert(input);
    expect(await catalog.get('u')).toMatchObject({ ...input, rootPrefix: 'vidéos/日本 語/' });
  });

  it('pings while open, fails after close, and closes idempotently', async () => {
    await expect(catalog.ping()).resolves.toBeUndefined();
    await catalog.close();
    await catalog.close();
    await expect(catalog.ping()).rejects.toThrow();
  });
});

describe('openCatalog with files', () => {
  it('creates parent directories and the file on first run, in WAL mode', async () => {
    const dir = tempDir();
    const file = join(dir, 'nested', 'deeper', 'hlsgate.db');
    const catalog = openCatalog(`sqlite:${file}`, { clock: Date.now });
    await catalog.upsert({ id: 'v1', playlistKey: 'a/b.m3u8' });
    await catalog.close();
    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(CATALOG_SCHEMA_VERSION);
    db.close();
  });

  it('keeps data across reopen (sqlite:, sqlite:// and bare paths name the same file)', async () => {
    const file = join(tempDir(), 'c.db');
    const first = openCatalog(`sqlite:${file}`, { clock: Date.now });
    await first.upsert({ id: 'keep', playlistKey: 'k/index.m3u8', title: 'Kept' });
    await first.close();
    for (const url of [`sqlite:${file}`, `sqlite://${file}`, file]) {
      const again = openCatalog(url, { clock: Date.now });
      expect(await again.get('keep')).toMatchObject({ id: 'keep', title: 'Kept', playlistKey: 'k/index.m3u8' });
      await again.close();
    }
  });

  it('migrates an existing empty database (user_version 0) in place', async () => {
    const file = join(tempDir(), 'old.db');
    const db = new Database(file);
    db.exec('CREATE TABLE unrelated (x INTEGER)');
    db.prepare('INSERT INTO unrelated VALUES (42)').run();
    db.close();
    const catalog = openCatalog(file, { clock: Date.now });
    await catalog.upsert({ id: 'v1', playlistKey: 'a/b.m3u8' });
    await catalog.close();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(CATALOG_SCHEMA_VERSION);
    expect(check.prepare('SELECT x FROM unrelated').get()).toEqual({ x: 42 });
    check.close();
  });

  it('refuses a database written by a newer schema', () => {
    const file = join(tempDir(), 'future.db');
    const db = new Database(file);
    db.pragma(`user_version = ${CATALOG_SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openCatalog(file, { clock: Date.now })).toThrow(/schema version \d+ is newer than this hlsgate understands/);
  });

  it('refuses PostgreSQL (not implemented yet) and unknown schemes clearly', () => {
    expect(() => openCatalog('postgres://u:p@db/hlsgate', { clock: Date.now })).toThrow('PostgreSQL catalogs are not implemented yet; use sqlite:');
    expect(() => openCatalog('postgresql://db/hlsgate', { clock: Date.now })).toThrow(/not implemented yet/);
    expect(() => openCatalog('mysql://db/hlsgate', { clock: Date.now })).toThrow(/unsupported catalog database URL scheme "mysql:"/);
    expect(() => openCatalog('sqlite:', { clock: Date.now })).toThrow(/path is empty/);
  });
});
