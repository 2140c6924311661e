/**
 * The statements that read a shard's file, prepared once when it opens.
 * The store (shard-store.ts) runs them and writes through its own.
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import type { EventRow, ReplayColumns, ReplayManyColumns, SnapshotRow } from './store-rows.js';

/** Columns of a log page as SQLite writes them, each the JSON text of an array; metadata items are JSON objects or null. */
export const LOG_COLUMNS = ['event_id', 'aggregate_id', 'name', 'version', 'schema_version', 'occurred_at', 'position', 'command_id', 'json(metadata)'];

/** An event row's columns, without the stream number that only the file's own keys use. */
const EVENT_COLUMNS = 'position, event_id, aggregate_id, version, name, schema_version, occurred_at, patch, command_id, command_hash, metadata';

/**
 * Events read per statement when replaying an aggregate. Written into the
 * statement rather than bound: with `LIMIT ?` the same replay of a
 * 20-event aggregate took 30 µs against 12, run after run.
 */
export const REPLAY_PAGE = 50_000;

/** The aggregate's stream number, NULL for an aggregate without events (so `stream = NULL` matches nothing). */
export const STREAM_OF = '(SELECT stream FROM streams WHERE aggregate_id = ?)';

export interface StoreQueries {
  readonly eventsAfter: Statement<[string, number, number], EventRow>;
  readonly replayAfter: Statement<[string, number, number], ReplayColumns>;
  readonly replaySizes: Statement<[string, number, number, number], [number, number]>;
  readonly replayMany: Statement<[string, number], ReplayManyColumns>;
  readonly latestVersion: Statement<[string], { version: number | null }>;
  readonly firstPosition: Statement<[string], number>;
  readonly hasEvents: Statement<[string], number>;
  readonly withEvents: Statement<[string], string>;
  readonly snapshot: Statement<[string], SnapshotRow>;
  readonly snapshots: Statement<[string], SnapshotRow & { readonly aggregate_id: string }>;
  readonly byCommandId: Statement<[string, string], EventRow>;
  readonly logPage: Statement<[number, number, number], string[]>;
  readonly logSizes: Statement<[number, number], [number, number]>;
  readonly headPosition: Statement<[], { position: number | null }>;
  readonly checkpoint: Statement<[string], { position: number }>;
}

export function prepareQueries(db: Db): StoreQueries {
  // octet_length reads a value's size from its record header, never its content (see page-bytes.ts).
  const sizes = `FROM events WHERE stream = ${STREAM_OF} AND version > ? AND version <= ? ORDER BY version LIMIT ?`;
  const logSizes = 'SELECT position, octet_length(patch) + coalesce(octet_length(metadata), 0) FROM events WHERE position > ? ORDER BY position LIMIT ?';
  return {
    eventsAfter: db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ${STREAM_OF} AND version > ? AND version <= ? ORDER BY version`),
    // group_concat keeps the subquery's order: the events table is read once, in version order.
    replayAfter: db.prepare(
      `SELECT json_group_array(version) AS versions, json_group_array(schema_version) AS schemaVersions,
              json_group_array(name) AS names, '[' || coalesce(group_concat(patch, ','), '') || ']' AS patches
       FROM (SELECT version, schema_version, name, patch FROM events
             WHERE stream = ${STREAM_OF} AND version > ? AND version <= ? ORDER BY version LIMIT ${REPLAY_PAGE})`,
    ),
    replaySizes: db.prepare<[string, number, number, number], [number, number]>(`SELECT version, octet_length(patch) ${sizes}`).raw(true),
    // As replayAfter for several aggregates, each request a JSON array [aggregateId, afterVersion, toVersion].
    replayMany: db.prepare(
      `SELECT json_group_array(request) AS requests, json_group_array(version) AS versions, json_group_array(schema_version) AS schemaVersions,
              json_group_array(name) AS names, '[' || coalesce(group_concat(patch, ','), '') || ']' AS patches
       FROM (SELECT r.key AS request, e.version, e.schema_version, e.name, e.patch
             FROM json_each(?) AS r JOIN streams AS s ON s.aggregate_id = r.value ->> 0
             JOIN events AS e ON e.stream = s.stream AND e.version > r.value ->> 1 AND e.version <= r.value ->> 2
             ORDER BY r.key, e.version LIMIT ?)`,
    ),
    latestVersion: db.prepare(`SELECT max(version) AS version FROM events WHERE stream = ${STREAM_OF}`),
    firstPosition: db.prepare<[string], number>(`SELECT position FROM events WHERE stream = ${STREAM_OF} AND version = 1`).pluck(true),
    // An aggregate has a stream from its first event until it is erased.
    hasEvents: db.prepare<[string], number>('SELECT 1 FROM streams WHERE aggregate_id = ?').pluck(true),
    withEvents: db
      .prepare<[string], string>('SELECT value FROM json_each(?) WHERE EXISTS (SELECT 1 FROM streams WHERE aggregate_id = value)')
      .pluck(true),
    snapshot: db.prepare('SELECT version, schema_version, state FROM snapshots WHERE aggregate_id = ?'),
    snapshots: db.prepare('SELECT aggregate_id, version, schema_version, state FROM json_each(?) JOIN snapshots ON aggregate_id = value'),
    byCommandId: db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ${STREAM_OF} AND command_id = ?`),
    // A log page as one JSON array per column, built by SQLite: a handful of strings
    // per page instead of one per value, which is what reading rows costs.
    // The subquery's LIMIT keeps it from being flattened, so the aggregates see its rows in position order.
    logPage: db
      .prepare<[number, number, number], string[]>(
        `SELECT ${LOG_COLUMNS.map((c) => `json_group_array(${c})`).join(', ')}, '[' || coalesce(group_concat(patch, ','), '') || ']'
         FROM (SELECT * FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?)`,
      )
      .raw(true),
    logSizes: db.prepare<[number, number], [number, number]>(logSizes).raw(true),
    // The sequence, not max(position): erased events must not make positions look unused.
    headPosition: db.prepare("SELECT seq AS position FROM sqlite_sequence WHERE name = 'events'"),
    checkpoint: db.prepare('SELECT position FROM checkpoints WHERE name = ?'),
  };
}
