/**
 * What a shard file's rows look like on the way in and out: events as
 * SQLite returns them, events and snapshots to write, and the options a
 * store opens with. Kept apart from ShardStore, which holds the statements.
 */
import type { ScalarColumnsJson } from '../event-wire.js';
import type { SynchronousMode } from '../protocol.js';

export interface EventRow {
  readonly position: number;
  readonly event_id: string;
  readonly aggregate_id: string;
  readonly version: number;
  readonly name: string;
  readonly schema_version: number;
  readonly occurred_at: string;
  readonly patch: string;
  readonly command_id: string | null;
  readonly command_hash: string | null;
  readonly metadata: string | null;
}

/** What replaying one event needs. */
export type PatchRow = Pick<EventRow, 'aggregate_id' | 'version' | 'name' | 'schema_version' | 'patch'>;

/**
 * One aggregate's events for replay, as SQLite writes them in one row: each
 * column the JSON text of an array in version order (`patches` an array of
 * patches). One row and one parse per column cost about half of a row per
 * event (10,000 events: ~12 ms against ~25 ms).
 */
export type ReplayColumns = Readonly<Record<'versions' | 'schemaVersions' | 'names' | 'patches', string>>;

/** As {@link ReplayColumns} for several aggregates: `requests` holds each event's index among the aggregates asked for. */
export type ReplayManyColumns = Readonly<Record<'requests' | 'versions' | 'schemaVersions' | 'names' | 'patches', string>>;

export interface LogPageColumns {
  readonly scalars: ScalarColumnsJson;
  readonly patches: string;
  /** Fewer than the events asked for, because they were too large together for one page: more may follow. */
  readonly cut: boolean;
}

export interface SnapshotRow {
  readonly version: number;
  readonly schema_version: number;
  readonly state: string;
}

export interface NewEvent {
  readonly eventId: string;
  readonly aggregateId: string;
  readonly version: number;
  readonly name: string;
  readonly schemaVersion: number;
  readonly occurredAt: string;
  /** The RFC 6902 patch as JSON text. */
  readonly patch: string;
  readonly commandId: string | null;
  /** Digest of the command type and payload, to tell a retry from a conflicting reuse of `commandId`. */
  readonly commandHash: string | null;
  readonly metadata: string | null;
}

export interface NewSnapshot {
  readonly aggregateId: string;
  readonly version: number;
  readonly schemaVersion: number;
  readonly state: string;
}

export interface ShardIdentity {
  readonly shard: number;
  readonly shardCount: number;
  readonly hashScheme: string;
}

export interface StoreOptions extends ShardIdentity {
  /** File path, or `:memory:`. */
  readonly path: string;
  readonly synchronous: SynchronousMode;
  /**
   * How many aggregates' stream numbers the store keeps in memory, so that
   * an append need not look each one up. The engine passes its state
   * cache's size: an aggregate outside that cache is read from the file
   * before its command runs anyway. @default 10000
   */
  readonly streamCacheSize?: number;
  /**
   * Bytes of patches (and metadata) one replay or log page may hold (lower
   * only in tests; see page-bytes.ts). @default MAX_ROW_TEXT_BYTES
   */
  readonly maxPageBytes?: number;
}
