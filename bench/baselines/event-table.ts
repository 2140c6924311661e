/**
 * The events table the hand-written baselines write: the engine's events
 * table without the idempotency and metadata columns (which the engine
 * leaves empty in these workloads), with the same keys and pragmas, so the
 * storage work per event is the same and the comparison is about
 * everything around it. A copy rather than an import on purpose: it is
 * what a user would write without the library.
 */
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';

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
  UNIQUE (aggregate_id, version)
);
`;

export const INSERT_EVENT = `INSERT INTO events (event_id, aggregate_id, version, name, schema_version, occurred_at, patch)
  VALUES (?, ?, ?, ?, ?, ?, ?)`;

export type EventValues = [eventId: string, aggregateId: string, version: number, name: string, schemaVersion: number, occurredAt: string, patch: string];

/** Opens `file` with WAL and `synchronous=FULL`, so every commit waits for its fsync. */
export function openEventFile(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(SCHEMA);
  return db;
}

export function countEvents(db: Db): number {
  return db.prepare<[], { n: number }>('SELECT count(*) AS n FROM events').get()!.n;
}
