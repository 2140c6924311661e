/**
 * The layout of a shard file and the checks made when it is opened: the
 * tables, the pragmas (WAL, synchronous, secure_delete) and the meta rows
 * that tie the file to its shard index, shard count and hash scheme.
 */
import type { Database as Db } from 'better-sqlite3';
import { ConfigError } from '../errors.js';
import type { StoreOptions } from './shard-store.js';

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
