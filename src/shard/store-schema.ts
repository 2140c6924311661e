/**
 * The layout of a shard file and the checks made when it is opened: the
 * tables, the pragmas (WAL, synchronous, secure_delete) and the meta rows
 * that tie the file to its shard index, shard count and hash scheme.
 */
import type { Database as Db } from 'better-sqlite3';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { ConfigError, StorageError } from '../errors.js';
import type { StoreOptions } from './store-rows.js';

/** Version of the file layout below; stored in `meta` as `format`. */
export const STORE_FORMAT = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL,
  aggregate_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  schema_version INTEGER NOT NULL,
  occurred_at TEXT NOT NULL,
  patch TEXT NOT NULL,
  command_id TEXT,
  command_hash TEXT,
  metadata TEXT,
  UNIQUE (aggregate_id, version)
);
CREATE INDEX IF NOT EXISTS events_by_command ON events (aggregate_id, command_id) WHERE command_id IS NOT NULL;
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
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/** Applies pragmas and tables, and checks (or, for a new file, writes) the meta rows. */
export function prepareSchema(db: Db, options: StoreOptions): void {
  if (options.path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  // Erased aggregates must not survive in free pages (GDPR erasure).
  db.pragma('secure_delete = ON');
  db.exec(SCHEMA);
  const meta = new Map(
    db.prepare<[], { key: string; value: string }>('SELECT key, value FROM meta').all().map((r) => [r.key, r.value]),
  );
  const expected: Record<string, string> = {
    format: String(STORE_FORMAT),
    shard: String(options.shard),
    shardCount: String(options.shardCount),
    hashScheme: options.hashScheme,
  };
  if (meta.size === 0) {
    const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      for (const [key, value] of Object.entries(expected)) insert.run(key, value);
    })();
    return;
  }
  for (const [key, value] of Object.entries(expected)) {
    if (meta.get(key) !== value) {
      throw new ConfigError(
        `shard file ${options.path} was written with ${key}=${meta.get(key) ?? '(missing)'}, but this engine has ${key}=${value}`,
        { file: options.path, key, stored: meta.get(key) ?? null, expected: value },
      );
    }
  }
}

/**
 * Throws `StorageError` when an existing shard file is shorter than its own
 * header says. SQLite would open such a file and fail only when a read
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
