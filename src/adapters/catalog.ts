// The video catalog: video id -> { title, playlistKey, rootPrefix }.
//
// SQLite (better-sqlite3) by default. The Catalog interface is async so that another store
// (PostgreSQL) can implement it later without touching the routes. Input validation lives here too
// (parseVideoInput) so that the admin API and the CLI accept and refuse exactly the same things.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';

export interface Video {
  id: string;
  title: string;
  /** S3 key of the video's top playlist, e.g. `videos/v1/master.m3u8`. */
  playlistKey: string;
  /** S3 key prefix ending in `/` (or `''` for the bucket root); signatures cover everything under it. */
  rootPrefix: string;
  /** ISO-8601 (UTC). */
  createdAt: string;
  updatedAt: string;
}

export interface VideoInput {
  id: string;
  playlistKey: string;
  /** Defaults to the id. */
  title?: string;
  /** Defaults to the playlist key's directory. */
  rootPrefix?: string;
}

/** Invalid catalog input; `field` names the offending field, the message says what is wrong. */
export class CatalogInputError extends Error {
  override name = 'CatalogInputError';
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.field = field;
  }
}

export const VIDEO_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isValidVideoId(id: string): boolean {
  return typeof id === 'string' && VIDEO_ID_PATTERN.test(id);
}

const MAX_KEY_BYTES = 1024; // S3's limit: 1024 bytes of UTF-8
const MAX_TITLE_CHARS = 200;
// C0 controls, DEL, C1 controls, and unpaired surrogates (not valid UTF-8, so not a valid S3 key).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /\p{Cs}/u;
const KNOWN_FIELDS = new Set(['id', 'playlistKey', 'title', 'rootPrefix']);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function checkId(field: string, id: unknown): string {
  if (typeof id !== 'string') throw new CatalogInputError(field, `expected a string, got ${describe(id)}`);
  if (!isValidVideoId(id)) {
    throw new CatalogInputError(field, 'must be 1-64 characters: ASCII letters, digits, "_" and "-", starting with a letter or digit');
  }
  return id;
}

/**
 * Checks an S3 key or key prefix (`prefix` requires a trailing '/'). A root prefix decides what
 * every signature of the video covers (`<cdn>/<rootPrefix>*`): an empty one would open the whole
 * distribution, and `*` or `?` would be read as wildcards by CloudFront's policies.
 */
function checkKeyPath(field: string, value: unknown, kind: 'key' | 'prefix'): string {
  if (typeof value !== 'string') throw new CatalogInputError(field, `expected a string, got ${describe(value)}`);
  if (kind === 'key' && value === '') throw new CatalogInputError(field, 'must not be empty');
  if (kind === 'prefix' && value === '') {
    throw new CatalogInputError(field, "must not be empty: the video's signatures would cover the whole distribution; name its folder, e.g. videos/<id>/");
  }
  if (kind === 'prefix' && /[*?]/.test(value)) throw new CatalogInputError(field, 'must not contain "*" or "?": CloudFront policies read them as wildcards covering other folders');
  if (CONTROL_CHARS.test(value)) throw new CatalogInputError(field, 'must not contain control characters');
  if (LONE_SURROGATE.test(value)) throw new CatalogInputError(field, 'must be valid Unicode (unpaired surrogate)');
  if (Buffer.byteLength(value, 'utf8') > MAX_KEY_BYTES) throw new CatalogInputError(field, `must be at most ${MAX_KEY_BYTES} bytes (UTF-8)`);
  if (value.startsWith('/')) throw new CatalogInputError(field, 'must be an S3 key without a leading "/"');
  const segments = value.split('/');
  if (kind === 'prefix') {
    if (!value.endsWith('/')) throw new CatalogInputError(field, 'must end with "/" (or be "" for the bucket root)');
    segments.pop(); // the empty segment after the trailing '/'
  }
  if (segments.some((s) => s === '.' || s === '..')) throw new CatalogInputError(field, 'must not contain "." or ".." path segments');
  if (segments.some((s) => s === '')) throw new CatalogInputError(field, 'must not contain empty path segments ("//")');
  if (kind === 'key' && !/\.m3u8$/i.test(value)) throw new CatalogInputError(field, 'must name an HLS playlist (end with .m3u8)');
  return value;
}

function checkTitle(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new CatalogInputError('title', `expected a string, got ${describe(value)}`);
  if (CONTROL_CHARS.test(value)) throw new CatalogInputError('title', 'must not contain control characters');
  if (LONE_SURROGATE.test(value)) throw new CatalogInputError('title', 'must be valid Unicode (unpaired surrogate)');
  const title = value.trim();
  if ([...title].length > MAX_TITLE_CHARS) throw new CatalogInputError('title', `must be at most ${MAX_TITLE_CHARS} characters`);
  return title === '' ? undefined : title;
}

/** The directory of a key, with its trailing '/' ('' for a key at the bucket root). */
export function defaultRootPrefix(playlistKey: string): string {
  const slash = playlistKey.lastIndexOf('/');
  return slash === -1 ? '' : playlistKey.slice(0, slash + 1);
}

/**
 * Validates a catalog entry (an admin API body or CLI arguments). `idFromPath` is the id from the
 * URL (`PUT /api/videos/:id`): it may stand in for a missing body id and must match a present one.
 * Unknown fields are refused so that typos (`playlist_key`) do not pass silently.
 */
export function parseVideoInput(body: unknown, idFromPath?: string): VideoInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new CatalogInputError('body', `expected a JSON object, got ${describe(body)}`);
  }
  const o = body as Record<string, unknown>;
  for (const name of Object.keys(o)) {
    if (!KNOWN_FIELDS.has(name)) {
      throw new CatalogInputError(name.slice(0, 64), 'unknown field (expected id, playlistKey, title, rootPrefix)');
    }
  }
  let id: string;
  if (idFromPath !== undefined) {
    id = checkId('id', idFromPath);
    if (o.id !== undefined && o.id !== idFromPath) throw new CatalogInputError('id', 'does not match the id in the URL');
  } else {
    if (o.id === undefined) throw new CatalogInputError('id', 'is required');
    id = checkId('id', o.id);
  }
  if (o.playlistKey === undefined) throw new CatalogInputError('playlistKey', 'is required');
  const playlistKey = checkKeyPath('playlistKey', o.playlistKey, 'key');
  const input: VideoInput = { id, playlistKey };
  const title = checkTitle(o.title);
  if (title !== undefined) input.title = title;
  if (o.rootPrefix !== undefined && o.rootPrefix !== null) {
    const rootPrefix = checkKeyPath('rootPrefix', o.rootPrefix, 'prefix');
    if (!playlistKey.startsWith(rootPrefix)) throw new CatalogInputError('rootPrefix', 'must be a prefix of playlistKey (the playlist must lie under it)');
    input.rootPrefix = rootPrefix;
  } else {
    // The default root is the playlist's folder: the same rules apply to it.
    const folder = defaultRootPrefix(playlistKey);
    if (folder === '') {
      throw new CatalogInputError('playlistKey', "must be inside a folder (e.g. videos/<id>/index.m3u8): the folder is the video's root prefix, and the bucket root would open the whole distribution");
    }
    if (/[*?]/.test(folder)) throw new CatalogInputError('playlistKey', 'its folder (the root prefix) must not contain "*" or "?": CloudFront policies read them as wildcards');
  }
  return input;
}

/**
 * Checks every stored video against today's rules (rows written by an older hlsgate, or by hand):
 * the service refuses to start on one it would sign unsafely, naming it and the fix.
 */
export async function assertStoredVideosValid(catalog: Pick<Catalog, 'list'>): Promise<void> {
  for (const v of await catalog.list()) {
    try {
      parseVideoInput({ id: v.id, playlistKey: v.playlistKey, rootPrefix: v.rootPrefix });
    } catch (err) {
      if (!(err instanceof CatalogInputError)) throw err;
      throw new Error(`catalog: stored video "${v.id}": ${err.message}; fix it with hlsgate videos add ${v.id} <playlist-key> --root-prefix <folder>/, or hlsgate videos rm ${v.id}`, { cause: err });
    }
  }
}

export interface Catalog {
  /** undefined for an unknown (or syntactically invalid) id. */
  get(id: string): Promise<Video | undefined>;
  /** Every video, sorted by title (case-insensitive), then id. */
  list(): Promise<Video[]>;
  /** Creates or replaces (PUT semantics: omitted title/rootPrefix return to their defaults). */
  upsert(v: VideoInput): Promise<{ video: Video; created: boolean }>;
  /** true when the video existed. */
  remove(id: string): Promise<boolean>;
  /** Throws when the store cannot answer (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface CatalogOptions {
  /** Current time, epoch milliseconds: createdAt/updatedAt. */
  clock: () => number;
}

// Schema migrations: entry i brings the database from user_version i to i + 1. Append only.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS videos (
     id           TEXT PRIMARY KEY NOT NULL,
     title        TEXT NOT NULL,
     playlist_key TEXT NOT NULL,
     root_prefix  TEXT NOT NULL,
     created_at   TEXT NOT NULL,
     updated_at   TEXT NOT NULL
   ) WITHOUT ROWID`,
];

/** The schema version this code writes (PRAGMA user_version). */
export const CATALOG_SCHEMA_VERSION = MIGRATIONS.length;

interface Row {
  id: string;
  title: string;
  playlist_key: string;
  root_prefix: string;
  created_at: string;
  updated_at: string;
}

function toVideo(r: Row): Video {
  return { id: r.id, title: r.title, playlistKey: r.playlist_key, rootPrefix: r.root_prefix, createdAt: r.created_at, updatedAt: r.updated_at };
}

/** 'sqlite:<path>', 'sqlite://<path>', 'sqlite::memory:' or a bare path -> the better-sqlite3 filename. */
function sqlitePath(databaseUrl: string): string {
  const url = databaseUrl.trim();
  if (/^postgres(ql)?:/i.test(url)) {
    throw new Error('PostgreSQL catalogs are not implemented yet; use sqlite: (e.g. DATABASE_URL=sqlite:./data/hlsgate.db)');
  }
  let path: string;
  if (/^sqlite:/i.test(url)) {
    path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs/path, sqlite://rel/path
  } else if (/^[a-z][a-z0-9+.-]+:/i.test(url)) {
    throw new Error(`unsupported catalog database URL scheme "${url.split(':')[0]}:"; use sqlite:<path>`);
  } else {
    path = url;
  }
  if (path === '') throw new Error('catalog database path is empty; use e.g. sqlite:./data/hlsgate.db');
  return path;
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(`catalog database schema version ${version} is newer than this hlsgate understands (${MIGRATIONS.length}); upgrade hlsgate`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

/**
 * Opens (creating on first run: parent directories, file, schema) the catalog named by a
 * DATABASE_URL. 'postgres://...' is recognized and refused until a PostgreSQL Catalog exists.
 */
export function openCatalog(databaseUrl: string, options: CatalogOptions): Catalog {
  const path = sqlitePath(databaseUrl);
  const memory = path === ':memory:';
  if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 5000');
    if (!memory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  const { clock } = options;

  const selectOne = db.prepare<[string], Row>('SELECT * FROM videos WHERE id = ?');
  const selectAll = db.prepare<[], Row>('SELECT * FROM videos ORDER BY title COLLATE NOCASE, id');
  const insert = db.prepare('INSERT INTO videos (id, title, playlist_key, root_prefix, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
  const update = db.prepare('UPDATE videos SET title = ?, playlist_key = ?, root_prefix = ?, updated_at = ? WHERE id = ?');
  const del = db.prepare('DELETE FROM videos WHERE id = ?');

  const upsertTx = db.transaction((v: VideoInput): { video: Video; created: boolean } => {
    const stamp = new Date(clock()).toISOString();
    const title = v.title ?? v.id;
    const rootPrefix = v.rootPrefix ?? defaultRootPrefix(v.playlistKey);
    const existing = selectOne.get(v.id);
    if (existing) {
      update.run(title, v.playlistKey, rootPrefix, stamp, v.id);
      return { video: { id: v.id, title, playlistKey: v.playlistKey, rootPrefix, createdAt: existing.created_at, updatedAt: stamp }, created: false };
    }
    insert.run(v.id, title, v.playlistKey, rootPrefix, stamp, stamp);
    return { video: { id: v.id, title, playlistKey: v.playlistKey, rootPrefix, createdAt: stamp, updatedAt: stamp }, created: true };
  });

  // better-sqlite3 is synchronous; the Catalog interface is asynchronous (other stores are not).
  return {
    get: (id) =>
      settle(() => {
        if (!isValidVideoId(id)) return undefined;
        const row = selectOne.get(id);
        return row ? toVideo(row) : undefined;
      }),
    list: () => settle(() => selectAll.all().map(toVideo)),
    upsert: (v) =>
      settle(() => {
        // Re-validate: callers other than the admin API (CLI, seeding) must not bypass the rules.
        const input = parseVideoInput({ id: v.id, playlistKey: v.playlistKey, title: v.title, rootPrefix: v.rootPrefix });
        return upsertTx.immediate(input);
      }),
    remove: (id) => settle(() => isValidVideoId(id) && del.run(id).changes > 0),
    ping: () =>
      settle(() => {
        db.prepare('SELECT 1').get();
      }),
    close: () =>
      settle(() => {
        if (db.open) db.close();
      }),
  };
}

/** The result of a synchronous step as a promise; what it throws becomes the rejection. */
function settle<T>(step: () => T): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
