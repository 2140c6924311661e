/**
 * One shard's SQLite file: the events log, the stream number of each
 * aggregate (store-schema.ts says why), one snapshot row per aggregate and
 * a small meta table. Statements are prepared once; every batch is one
 * `BEGIN IMMEDIATE … COMMIT`, which with WAL and `synchronous=FULL` returns
 * only after the commit is on disk.
 */
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { ConfigError, StorageError, describeThrown } from '../errors.js';
import type { ScalarColumnsJson } from '../event-wire.js';
import { assertNotTruncated, checkAfterRecovery, hasWalFrames, prepareSchema } from './store-schema.js';
import { storeOpenError } from './store-open-error.js';
import { REPLAY_PAGE, STREAM_OF, prepareQueries, type StoreQueries } from './store-queries.js';
import { StreamNumbers } from './stream-numbers.js';
import { MAX_ROW_TEXT_BYTES } from '../size-limits.js';
import { boundedPage, isTooBig } from './page-bytes.js';
import type { EventRow, LogPageColumns, NewEvent, NewSnapshot, ReplayColumns, ReplayManyColumns, SnapshotRow, StoreOptions } from './store-rows.js';

// Callers import the row types from here, with the store.
export type { EventRow, LogPageColumns, NewEvent, NewSnapshot, PatchRow, ReplayColumns, ShardIdentity, SnapshotRow, StoreOptions } from './store-rows.js';

export class ShardStore {
  readonly path: string;
  #db: Db;
  readonly #q: StoreQueries;
  #insertEvent: Statement<[string, string, number | null, number, string, number, string, string, string | null, string | null, string | null]>;
  readonly #maxPageBytes: number;
  #saveCheckpoint: Statement<[string, number]>;
  #upsertSnapshot: Statement<[string, number, number, string]>;
  readonly #streams: StreamNumbers;
  /** The event the running append is writing, for naming it when the write fails. */
  #writing: NewEvent | undefined;
  #appendAll: (events: readonly NewEvent[], snapshots: readonly NewSnapshot[]) => number[];
  #eraseAll: (aggregateId: string) => number;

  constructor(options: StoreOptions) {
    this.path = options.path;
    this.#maxPageBytes = options.maxPageBytes ?? MAX_ROW_TEXT_BYTES;
    const walPending = hasWalFrames(options.path);
    if (!walPending) assertNotTruncated(options.path);
    try {
      this.#db = new Database(options.path);
    } catch (thrown) {
      throw new StorageError(`cannot open shard file ${options.path}: ${describeThrown(thrown).message}`, { file: options.path });
    }
    try {
      prepareSchema(this.#db, options);
      if (walPending) checkAfterRecovery(this.#db, options.path);
    } catch (thrown) {
      this.#db.close();
      if (thrown instanceof ConfigError || thrown instanceof StorageError) throw thrown;
      throw storeOpenError(options.path, thrown);
    }
    const db = this.#db;
    this.#q = prepareQueries(db);
    this.#insertEvent = db.prepare(
      `INSERT INTO events (event_id, aggregate_id, stream, version, name, schema_version, occurred_at, patch, command_id, command_hash, metadata)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#streams = new StreamNumbers(db, options.streamCacheSize);
    this.#saveCheckpoint = db.prepare(
      'INSERT INTO checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = max(position, excluded.position)',
    );
    this.#upsertSnapshot = db.prepare(
      `INSERT INTO snapshots (aggregate_id, version, schema_version, state) VALUES (?, ?, ?, ?)
       ON CONFLICT (aggregate_id) DO UPDATE SET version = excluded.version,
         schema_version = excluded.schema_version, state = excluded.state`,
    );
    this.#appendAll = db
      .transaction((events: readonly NewEvent[], snapshots: readonly NewSnapshot[]) => {
        const positions = new Array<number>(events.length);
        for (let i = 0; i < events.length; i++) {
          const e = events[i]!;
          this.#writing = e;
          const info = this.#insertEvent.run(
            e.eventId, e.aggregateId, this.#streams.forEvent(e.aggregateId, e.version), e.version, e.name, e.schemaVersion, e.occurredAt, e.patch, e.commandId, e.commandHash, e.metadata,
          );
          positions[i] = Number(info.lastInsertRowid);
        }
        this.#writing = undefined;
        for (const s of snapshots) this.#upsertSnapshot.run(s.aggregateId, s.version, s.schemaVersion, s.state);
        return positions;
      })
      .immediate;
    const deleteEvents = db.prepare<[string]>(`DELETE FROM events WHERE stream = ${STREAM_OF}`);
    const deleteStream = db.prepare<[string]>('DELETE FROM streams WHERE aggregate_id = ?');
    const deleteSnapshot = db.prepare<[string]>('DELETE FROM snapshots WHERE aggregate_id = ?');
    this.#eraseAll = db.transaction((aggregateId: string) => {
      const erased = deleteEvents.run(aggregateId).changes;
      deleteStream.run(aggregateId);
      deleteSnapshot.run(aggregateId);
      return erased;
    }).immediate;
  }

  /** Events of one aggregate with `afterVersion < version <= toVersion`, in version order. */
  eventsAfter(aggregateId: string, afterVersion: number, toVersion = Number.MAX_SAFE_INTEGER): EventRow[] {
    return this.#q.eventsAfter.all(aggregateId, afterVersion, toVersion);
  }

  /**
   * As {@link eventsAfter}, with only what replaying the events needs, in one
   * row, for up to `REPLAY_PAGE` events (store-queries.ts): a long history is read in pages, so no
   * single value grows towards SQLite's length limit. A page whose patches
   * together pass the store's page bound (SQLite's limit unless lowered) is
   * read again, cut after the last event that keeps it within: `cut` then
   * says that more events may follow a page shorter than `REPLAY_PAGE`.
   */
  replayAfter(aggregateId: string, afterVersion: number, toVersion: number): ReplayColumns & { readonly cut: boolean } {
    const { page, cut } = boundedPage(
      (last) => this.#q.replayAfter.get(aggregateId, afterVersion, Math.min(toVersion, last))!,
      (columns) => columns.patches.length > this.#maxPageBytes,
      () => this.#q.replaySizes.iterate(aggregateId, afterVersion, toVersion, REPLAY_PAGE),
      this.#maxPageBytes,
    );
    return { ...page, cut };
  }

  /**
   * As {@link replayAfter} for several aggregates in one statement, in
   * request then version order; `requests`: each row's index in `requests`.
   * Rows past `limit` are left out; `undefined` when their patches are too
   * large together for one page (read them with {@link replayAfter}).
   */
  replayMany(requests: ReadonlyArray<readonly [aggregateId: string, afterVersion: number, toVersion: number]>, limit: number): ReplayManyColumns | undefined {
    try {
      const columns = this.#q.replayMany.get(JSON.stringify(requests), limit)!;
      return columns.patches.length > this.#maxPageBytes ? undefined : columns;
    } catch (thrown) {
      if (isTooBig(thrown)) return undefined;
      throw thrown;
    }
  }

  /** The aggregate's latest stored version, 0 when it has none. */
  latestVersion(aggregateId: string): number {
    return this.#q.latestVersion.get(aggregateId)?.version ?? 0;
  }

  /**
   * The position of the aggregate's first event, 0 when it has none. Positions
   * are never reused, so this tells one life of an aggregate ID from the next
   * after a forget; stream numbers cannot (a new file or worker numbers from
   * the highest stream left, which may be one just erased).
   */
  firstPosition(aggregateId: string): number {
    return this.#q.firstPosition.get(aggregateId) ?? 0;
  }

  /** Whether the aggregate has any event: one index probe, to tell a new aggregate apart before hydrating. */
  hasEvents(aggregateId: string): boolean {
    return this.#q.hasEvents.get(aggregateId) !== undefined;
  }

  /**
   * Those of `aggregateIds` that have any event. One statement for many
   * probes: a batch's new aggregates are told apart for about a third of
   * what {@link hasEvents} costs each.
   */
  withEvents(aggregateIds: readonly string[]): string[] {
    return this.#q.withEvents.all(JSON.stringify(aggregateIds));
  }

  /**
   * Up to `limit` events after `position`, in position (commit) order: each of
   * `LOG_COLUMNS` (store-queries.ts) as the JSON text of an array, and the events' patches
   * as the JSON text of an array of patches. Cut, as {@link replayAfter}
   * pages are, where the events' patches and metadata pass the page bound.
   */
  logPageAfter(position: number, limit: number): LogPageColumns {
    const { page, cut } = boundedPage(
      (last) => this.#q.logPage.get(position, last, limit)!,
      (columns) => columns[8]!.length + columns[9]!.length > this.#maxPageBytes, // metadata and patches
      () => this.#q.logSizes.iterate(position, limit),
      this.#maxPageBytes,
    );
    const [ids, aggregateIds, names, versions, schemaVersions, occurredAt, positions, commandIds, metadata, patches] = page;
    return {
      scalars: { ids, aggregateIds, names, versions, schemaVersions, occurredAt, positions, commandIds, metadata } as ScalarColumnsJson,
      patches: patches!,
      cut,
    };
  }

  /** The position of the last event ever committed (0 for none). */
  headPosition(): number {
    return this.#q.headPosition.get()?.position ?? 0;
  }

  /** A durable subscription's saved position, `undefined` for a new name. */
  checkpointOf(name: string): number | undefined {
    return this.#q.checkpoint.get(name)?.position;
  }

  /** Saves a durable subscription's position; it never moves back. */
  saveCheckpoint(name: string, position: number): void {
    try {
      this.#saveCheckpoint.run(name, position);
    } catch (thrown) {
      throw new StorageError(`saving checkpoint ${name} to ${this.path} failed: ${describeThrown(thrown).message}`, { file: this.path });
    }
  }

  /** The event an earlier command with this `commandId` produced for this aggregate. */
  eventByCommandId(aggregateId: string, commandId: string): EventRow | undefined {
    return this.#q.byCommandId.get(aggregateId, commandId);
  }

  snapshotOf(aggregateId: string): SnapshotRow | undefined {
    return this.#q.snapshot.get(aggregateId);
  }

  /** The snapshots of those of `aggregateIds` that have one. */
  snapshotsOf(aggregateIds: readonly string[]): Map<string, SnapshotRow> {
    return new Map(this.#q.snapshots.all(JSON.stringify(aggregateIds)).map((row) => [row.aggregate_id, row]));
  }

  /**
   * Writes events and snapshots in one immediate transaction and returns the
   * events' positions. Throws `StorageError` and writes nothing on failure.
   */
  append(events: readonly NewEvent[], snapshots: readonly NewSnapshot[] = []): number[] {
    this.#writing = undefined;
    try {
      return this.#appendAll(events, snapshots);
    } catch (thrown) {
      this.#streams.forgetAll();
      const sqliteCode = (thrown as { code?: unknown }).code;
      // Set by the transaction, which TypeScript cannot see from here.
      const event = this.#writing as NewEvent | undefined;
      const at = event === undefined ? '' : ` at ${event.aggregateId} v${event.version}`;
      throw new StorageError(`commit to ${this.path} failed${at}: ${describeThrown(thrown).message}`, {
        file: this.path,
        ...(event === undefined ? {} : { aggregateId: event.aggregateId, version: event.version }),
        ...(typeof sqliteCode === 'string' ? { sqliteCode } : {}),
      });
    }
  }

  /**
   * Deletes every event and the snapshot of an aggregate and returns how many
   * events went. With `secure_delete` the freed bytes are zeroed, and the
   * truncating checkpoint removes the old copies from the WAL file.
   */
  erase(aggregateId: string): number {
    let erased: number;
    this.#streams.forget(aggregateId);
    try {
      erased = this.#eraseAll(aggregateId);
      if (this.path === ':memory:') return erased;
      // A reader (`asynx inspect`, say) can hold the WAL for a moment: wait up to a second for it.
      const busyTimeout = this.#db.pragma('busy_timeout', { simple: true }) as number;
      this.#db.pragma('busy_timeout = 1000');
      try {
        const [result] = this.#db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
        if (result?.busy === 0) return erased;
      } finally {
        this.#db.pragma(`busy_timeout = ${busyTimeout}`);
      }
    } catch (thrown) {
      throw new StorageError(`erasing ${aggregateId} from ${this.path} failed: ${describeThrown(thrown).message}`, {
        file: this.path,
        aggregateId,
      });
    }
    throw new StorageError(
      `${aggregateId} was deleted from ${this.path}, but a reader kept the WAL busy, so its old bytes stay in ${this.path}-wal until the next checkpoint`,
      { file: this.path, aggregateId, erasedEvents: erased },
    );
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
