/**
 * The layout of a shard file and the checks made when it is opened: the
 * tables, the pragmas (WAL, synchronous, secure_delete) and the meta rows
 * that tie the file to its shard index, shard count and hash scheme.
 */
import type { Database as Db } from 'better-sqlite3';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { ConfigError, StorageError, describeThrown } from '../errors.js';
import type { StoreOptions } from './store-rows.js';

/** Version of the file layout below; stored in `meta` as `format`. */
export const STORE_FORMAT = 2;

/**
 * `streams` numbers each aggregate in the order of its first event, and
 * events are unique by `(stream, version)` rather than by the aggregate's
 * text ID. An event's index entry is then a few bytes instead of the ID,
 * and an aggregate created recently (the ones most commands go to) has its
 * entries at the end of the index, so a batch dirties a few index pages
 * instead of one per aggregate. With UUIDs for IDs this is what keeps
 * appends fast as the file grows: 100,000 orders at 2 shards, 33,255 →
 * 42,779 commands/s and 45.3 → 38.7 CPU µs per command. IDs that already
 * sort in creation order (`ORD-<i>`) gain nothing and pay ~1 µs per command
 * for the extra row per aggregate (bench/RESULTS.md, 2026-11-27).
 * `events.aggregate_id` stays, so the log reads without a join.
 */
const STREAMS_TABLE = `
CREATE TABLE IF NOT EXISTS streams (
  aggregate_id TEXT PRIMARY KEY,
  stream INTEGER NOT NULL
) WITHOUT ROWID;`;

const EVENTS_TABLE = `
CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL,
  aggregate_id TEXT NOT NULL,
  stream INTEGER NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  schema_version INTEGER NOT NULL,
  occurred_at TEXT NOT NULL,
  patch TEXT NOT NULL,
  command_id TEXT,
  command_hash TEXT,
  metadata TEXT,
  UNIQUE (stream, version)
);`;

const COMMAND_INDEX = 'CREATE INDEX IF NOT EXISTS events_by_command ON events (stream, command_id) WHERE command_id IS NOT NULL;';

const SCHEMA = `${STREAMS_TABLE}${EVENTS_TABLE}
${COMMAND_INDEX}
CREATE TABLE IF NOT EXISTS snapshots (
  aggregate_id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  schema_version INTEGER NOT NULL,
  state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
  name TEXT PRIMARY KEY,
  position INTEGER NOT NULL
);
`;

const META_TABLE = 'CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);';

/** Applies pragmas and tables, and checks (or, for a new file, writes) the meta rows; moves a format 1 file to format 2. */
export function prepareSchema(db: Db, options: StoreOptions): void {
  if (options.path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  // Erased aggregates must not survive in free pages (GDPR erasure).
  db.pragma('secure_delete = ON');
  db.exec(META_TABLE);
  const meta = new Map(
    db.prepare<[], { key: string; value: string }>('SELECT key, value FROM meta').all().map((r) => [r.key, r.value]),
  );
  const identity: Record<string, string> = {
    shard: String(options.shard),
    shardCount: String(options.shardCount),
    hashScheme: options.hashScheme,
  };
  if (meta.size === 0) {
    const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      db.exec(SCHEMA);
      for (const [key, value] of Object.entries({ format: String(STORE_FORMAT), ...identity })) insert.run(key, value);
    })();
    return;
  }
  for (const [key, value] of Object.entries(identity)) {
    if (meta.get(key) !== value) throw mismatch(options.path, key, meta.get(key), value);
  }
  const format = meta.get('format');
  if (format === '1') migrateFromFormat1(db, options.path);
  else if (format !== String(STORE_FORMAT)) throw mismatch(options.path, 'format', format, String(STORE_FORMAT));
  db.exec(SCHEMA);
}

function mismatch(path: string, key: string, stored: string | undefined, expected: string): ConfigError {
  return new ConfigError(`shard file ${path} was written with ${key}=${stored ?? '(missing)'}, but this engine has ${key}=${expected}`, {
    file: path,
    key,
    stored: stored ?? null,
    expected,
  });
}

/**
 * Rewrites a format 1 file (events unique by `(aggregate_id, version)`)
 * into format 2, in one transaction: nothing changes unless all of it
 * does. Positions, and the sequence that keeps erased positions unused,
 * stay as they were; streams are numbered in the order of each aggregate's
 * first event. Then the file is compacted (see compactAfterRewrite).
 */
function migrateFromFormat1(db: Db, path: string): void {
  try {
    rewriteFormat1(db);
  } catch (thrown) {
    throw new StorageError(
      `rewriting shard file ${path} from store format 1 to ${STORE_FORMAT} failed, so it was left as it was: ${describeThrown(thrown).message}`,
      { file: path, format: 1 },
    );
  }
  compactAfterRewrite(db);
}

/**
 * The rewrite leaves the old table's pages free in the file and the new
 * table in the WAL, which would keep both at their largest while the
 * engine runs: 1,000,000 events, 177 MB before, 326 MB after and a WAL as
 * large. VACUUM and a truncating checkpoint give the space back (148 MB,
 * an empty WAL) for ~15% more time (4.6 → 5.3 s). A VACUUM that fails (no
 * room for its copy) leaves a larger file with the same content, so the
 * engine opens anyway.
 */
function compactAfterRewrite(db: Db): void {
  try {
    db.exec('VACUUM');
  } catch {
    // The rewritten file is complete; it only keeps its free pages.
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
}

function rewriteFormat1(db: Db): void {
  db.transaction(() => {
    const sequence = db.prepare<[], number>("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck(true).get() ?? 0;
    db.exec(`
      ${STREAMS_TABLE}
      INSERT INTO streams (aggregate_id, stream)
        SELECT aggregate_id, row_number() OVER (ORDER BY min(position)) FROM events GROUP BY aggregate_id;
      ALTER TABLE events RENAME TO events_format1;
      ${EVENTS_TABLE}
      INSERT INTO events (position, event_id, aggregate_id, stream, version, name, schema_version, occurred_at, patch, command_id, command_hash, metadata)
        SELECT e.position, e.event_id, e.aggregate_id, s.stream, e.version, e.name, e.schema_version, e.occurred_at, e.patch,
               e.command_id, e.command_hash, e.metadata
        FROM events_format1 e JOIN streams s ON s.aggregate_id = e.aggregate_id ORDER BY e.position;
      DROP TABLE events_format1;
      ${COMMAND_INDEX}
      DELETE FROM sqlite_sequence WHERE name = 'events';
    `);
    const highest = db.prepare<[], number | null>('SELECT max(position) FROM events').pluck(true).get() ?? 0;
    const head = Math.max(sequence, highest);
    if (head > 0) db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)").run(head);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'format'").run(String(STORE_FORMAT));
  }).immediate();
}

/**
 * Whether the shard file's WAL holds frames. Its pages are part of the
 * database until a checkpoint copies them over, and a process killed during
 * that copy leaves a file that is shorter than its header says: the copy
 * goes in page order, so page 1, with the new page count, comes before the
 * pages that make the file grow. SQLite recovers such a file from its WAL.
 */
export function hasWalFrames(path: string): boolean {
  if (path === ':memory:') return false;
  try {
    // A WAL is a 32-byte header, then frames.
    return statSync(`${path}-wal`).size > 32;
  } catch {
    return false;
  }
}

/**
 * For a file opened with frames in its WAL: copies them into the file (which
 * finishes a checkpoint a killed process left half done), then checks the
 * file as {@link assertNotTruncated} does. A reader holding the WAL (an
 * `asynx inspect`) can keep the copy from finishing; the check is skipped then.
 */
export function checkAfterRecovery(db: Db, path: string): void {
  const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
  if (result?.busy === 0) assertNotTruncated(path);
}

/**
 * Throws `StorageError` when an existing shard file is shorter than its own
 * header says (and its WAL holds nothing that could make up for it). SQLite would open such a file and fail only when a read
 * reaches a missing page; checking the header makes it fail at open instead.
 */
export function assertNotTruncated(path: string): void {
  if (path === ':memory:') return;
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return; // a new file
  }
  if (size === 0) return;
  const header = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\u0000') {
    throw new StorageError(`shard file ${path} is not a SQLite database (damaged or overwritten)`, { file: path });
  }
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const pages = header.readUInt32BE(28);
  // The page count in the header is only valid when it was written with the current change counter.
  const valid = header.readUInt32BE(92) === header.readUInt32BE(24);
  if (valid && pages * pageSize > size) {
    throw new StorageError(`shard file ${path} is truncated: ${size} bytes, but its header records ${pages} pages of ${pageSize} bytes`, {
      file: path,
      bytes: size,
      expectedBytes: pages * pageSize,
    });
  }
}
