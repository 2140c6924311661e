/**
 * What `asynx inspect` reads from a data directory: the manifest, and per
 * shard file its sizes, counts, head position and durable subscription
 * checkpoints, or one aggregate's history with its states replayed from the
 * stored patches. Shard files are opened read-only, each read in one read
 * transaction, so inspecting a directory an engine is writing to is safe and
 * sees a consistent state of each file.
 */
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readManifest, type Manifest } from '../data-dir.js';
import type { PatchOperation } from '../domain.js';
import { describeThrown } from '../errors.js';
import type { JsonObject } from '../json.js';
import { HASH_SCHEME, shardFor } from '../router.js';
import { hasWalFrames } from '../shard/store-schema.js';
import { manifestProblems } from './manifest-problems.js';
import { DamagedPatchError, replayAsWritten, type RawReplay } from './raw-replay.js';
import { shown } from './terminal-text.js';
import type { EventRow } from '../shard/shard-store.js';

/** A problem that ends the command with a one-line message and exit code 1. */
export class CliError extends Error {
  override get name(): string {
    return 'CliError';
  }
}

export interface CheckpointInfo {
  readonly name: string;
  readonly position: number;
  /** Positions committed after the checkpoint: `headPosition - position`. */
  readonly lag: number;
}

export interface ShardSummary {
  readonly shard: number;
  readonly file: string;
  readonly exists: boolean;
  /** Bytes of the database file and of its write-ahead log (0 when there is none). */
  readonly bytes: { readonly db: number; readonly wal: number; readonly total: number };
  readonly aggregates: number;
  readonly events: number;
  readonly snapshots: number;
  /** The position of the last event ever committed to this shard (0 for none). */
  readonly headPosition: number;
  /** Schema versions the shard's events were written with. */
  readonly schemaVersions: number[];
  readonly checkpoints: CheckpointInfo[];
  /** Why the file could not be read, when it could not. */
  readonly error?: string;
}

export interface DataDirSummary {
  readonly dataDir: string;
  readonly manifest: Manifest;
  readonly shards: ShardSummary[];
  readonly totals: { readonly bytes: number; readonly aggregates: number; readonly events: number; readonly snapshots: number };
}

export interface HistoryEntry {
  readonly version: number;
  readonly name: string;
  readonly occurredAt: string;
  readonly position: number;
  readonly schemaVersion: number;
  readonly eventId: string;
  readonly commandId?: string;
  readonly metadata?: JsonObject;
  readonly patch: PatchOperation[];
  /**
   * The state after this event, replayed from `{}` through the stored patches;
   * `null` once a patch does not apply to an older schema version's shape (see `note`).
   */
  readonly state: JsonObject | null;
}

export interface AggregateHistory {
  readonly dataDir: string;
  readonly aggregate: string;
  readonly aggregateId: string;
  readonly shard: number;
  readonly shards: number;
  readonly file: string;
  readonly schemaVersions: number[];
  /** Always false: the domain module is not loaded, so stored patches replay as written. */
  readonly upcastersApplied: false;
  /** Set when the aggregate's events or snapshot have more than one schema version. */
  readonly note?: string;
  readonly snapshot?: { readonly version: number; readonly schemaVersion: number };
  readonly events: HistoryEntry[];
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Checks that `dataDir` is an asynx data directory and returns its manifest. */
export function openDataDir(dataDir: string): { dir: string; manifest: Manifest } {
  const dir = resolve(dataDir);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (thrown) {
    const code = (thrown as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `data directory ${shown(dataDir)} does not exist` : `cannot read ${shown(dataDir)}: ${describeThrown(thrown).message}`);
  }
  if (!isDirectory) throw new CliError(`${shown(dataDir)} is not a directory`);
  let manifest: Manifest | undefined;
  try {
    manifest = readManifest(dir);
  } catch (thrown) {
    throw new CliError(describeThrown(thrown).message);
  }
  if (manifest === undefined) throw new CliError(`${shown(dataDir)} is not an asynx data directory (it has no asynx.json)`);
  const problems = manifestProblems(manifest);
  if (problems !== undefined) throw new CliError(`${shown(join(dataDir, 'asynx.json'))} is malformed: ${problems}`);
  return { dir, manifest };
}

function shardFile(dir: string, shard: number): string {
  return join(dir, `shard-${shard}.db`);
}

/** Runs `read` on the shard file, opened read-only, inside one read transaction. */
function readShard<T>(path: string, read: (db: Db) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    // A writer may hold the file; wait for its lock rather than fail at once.
    db.pragma('busy_timeout = 5000');
    return db.transaction(() => read(db))();
  } finally {
    db.close();
  }
}

function headPosition(db: Db): number {
  const row = db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get();
  return row?.seq ?? 0;
}

/**
 * Whether the file numbers its aggregates in a `streams` table (store
 * format 2); a format 1 file, not opened by an engine since, has none.
 */
function hasStreams(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'streams'").get() !== undefined;
}

/**
 * Whether the shard file holds anything: one that was ever opened has its
 * header page, or frames in its WAL. An empty one is what a start cut off
 * before its first write leaves, or a failed copy; the engine treats it as
 * absent (see data-dir.ts), and SQLite would read it as a database without tables.
 */
function holdsData(path: string): boolean {
  return sizeOf(path) > 0 || hasWalFrames(path);
}

/** Why a shard file that is not there (or empty) matters: the engine refuses to open such a directory (see data-dir.ts). */
function lostFile(path: string): string {
  return `the file is ${existsSync(path) ? 'empty' : 'missing'}, though asynx.json records every shard file as created: its aggregates' history is gone`;
}

function summarizeShard(dir: string, manifest: Manifest, shard: number): ShardSummary {
  const path = shardFile(dir, shard);
  const file = `shard-${shard}.db`;
  const db = sizeOf(path);
  const wal = sizeOf(`${path}-wal`);
  const base = { shard, file, bytes: { db, wal, total: db + wal } };
  const empty = { aggregates: 0, events: 0, snapshots: 0, headPosition: 0, schemaVersions: [], checkpoints: [] };
  const exists = existsSync(path);
  // Before the first start has created every file, a missing one is only not made yet.
  if (!holdsData(path)) return manifest.shardFilesCreated === true ? { ...base, exists, ...empty, error: lostFile(path) } : { ...base, exists, ...empty };
  try {
    return readShard(path, (handle) => {
      const head = headPosition(handle);
      const count = (sql: string): number => handle.prepare<[], { n: number }>(sql).get()?.n ?? 0;
      return {
        ...base,
        exists,
        aggregates: count(hasStreams(handle) ? 'SELECT count(*) AS n FROM streams' : 'SELECT count(DISTINCT aggregate_id) AS n FROM events'),
        events: count('SELECT count(*) AS n FROM events'),
        snapshots: count('SELECT count(*) AS n FROM snapshots'),
        headPosition: head,
        schemaVersions: handle
          .prepare<[], { v: number }>('SELECT DISTINCT schema_version AS v FROM events ORDER BY v')
          .all()
          .map((r) => r.v),
        checkpoints: handle
          .prepare<[], { name: string; position: number }>('SELECT name, position FROM checkpoints ORDER BY name')
          .all()
          .map((r) => ({ name: r.name, position: r.position, lag: Math.max(0, head - r.position) })),
      };
    });
  } catch (thrown) {
    return { ...base, exists, ...empty, error: describeThrown(thrown).message };
  }
}

/** The manifest and every shard file's figures. */
export function summarize(dataDir: string): DataDirSummary {
  const { dir, manifest } = openDataDir(dataDir);
  const shards = Array.from({ length: manifest.shards }, (_, shard) => summarizeShard(dir, manifest, shard));
  const sum = (pick: (s: ShardSummary) => number): number => shards.reduce((total, s) => total + pick(s), 0);
  return {
    dataDir: dir,
    manifest,
    shards,
    totals: { bytes: sum((s) => s.bytes.total), aggregates: sum((s) => s.aggregates), events: sum((s) => s.events), snapshots: sum((s) => s.snapshots) },
  };
}

/** The event columns inspect reads (the store's row, without the routing and idempotency columns). */
type RawEvent = Omit<EventRow, 'aggregate_id' | 'command_hash'>;

/**
 * One aggregate's events, found on the shard its ID routes to, with each
 * state replayed from `{}`. Throws `CliError` when it has no events.
 */
export function aggregateHistory(dataDir: string, aggregateId: string): AggregateHistory {
  const { dir, manifest } = openDataDir(dataDir);
  if (manifest.hashScheme !== HASH_SCHEME) {
    throw new CliError(`${shown(dataDir)} routes aggregates with hash scheme ${shown(manifest.hashScheme)}, which this version (${HASH_SCHEME}) cannot follow`);
  }
  const shard = shardFor(aggregateId, manifest.shards);
  const path = shardFile(dir, shard);
  if (!holdsData(path)) {
    throw new CliError(manifest.shardFilesCreated === true ? `shard-${shard}.db, where ${shown(aggregateId)} would be, is unreadable: ${lostFile(path)}` : `no events for ${shown(aggregateId)}`);
  }
  let rows: RawEvent[];
  let snapshot: { version: number; schema_version: number } | undefined;
  try {
    [rows, snapshot] = readShard(path, (db) => [
      db
        .prepare<[string], RawEvent>(
          `SELECT position, event_id, version, name, schema_version, occurred_at, patch, command_id, metadata
           FROM events WHERE ${hasStreams(db) ? 'stream = (SELECT stream FROM streams WHERE aggregate_id = ?)' : 'aggregate_id = ?'} ORDER BY version`,
        )
        .all(aggregateId),
      db.prepare<[string], { version: number; schema_version: number }>('SELECT version, schema_version FROM snapshots WHERE aggregate_id = ?').get(aggregateId),
    ]);
  } catch (thrown) {
    throw new CliError(`cannot read ${shown(path)}: ${describeThrown(thrown).message}`);
  }
  if (rows.length === 0) throw new CliError(`no events for ${shown(aggregateId)}`);
  let replay: RawReplay;
  try {
    replay = replayAsWritten(aggregateId, rows);
  } catch (thrown) {
    if (thrown instanceof DamagedPatchError) throw new CliError(thrown.message);
    throw thrown;
  }
  const events = rows.map(
    (row, i): HistoryEntry => ({
      version: row.version,
      name: row.name,
      occurredAt: row.occurred_at,
      position: row.position,
      schemaVersion: row.schema_version,
      eventId: row.event_id,
      ...(row.command_id === null ? {} : { commandId: row.command_id }),
      ...(row.metadata === null ? {} : { metadata: JSON.parse(row.metadata) as JsonObject }),
      patch: JSON.parse(row.patch) as PatchOperation[],
      state: replay.states[i]!,
    }),
  );
  const versions = new Set(rows.map((r) => r.schema_version));
  if (snapshot !== undefined) versions.add(snapshot.schema_version);
  const schemaVersions = [...versions].sort((a, b) => a - b);
  const stopped =
    replay.stopped === undefined
      ? ''
      : `; from v${replay.stopped.version} on, a stored patch does not apply to the older shape without them (${replay.stopped.reason}), so no state is shown`;
  const note =
    schemaVersions.length > 1
      ? `this aggregate was written with schema versions ${schemaVersions.join(', ')}; the states below replay the stored patches as written, ` +
        `without the domain’s upcasters (the domain module is not loaded), so older events keep their old shape${stopped}`
      : undefined;
  return {
    dataDir: dir,
    aggregate: manifest.aggregate,
    aggregateId,
    shard,
    shards: manifest.shards,
    file: `shard-${shard}.db`,
    schemaVersions,
    upcastersApplied: false,
    ...(note === undefined ? {} : { note }),
    ...(snapshot === undefined ? {} : { snapshot: { version: snapshot.version, schemaVersion: snapshot.schema_version } }),
    events,
  };
}
