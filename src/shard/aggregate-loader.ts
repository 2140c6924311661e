/**
 * Hydration: an aggregate's committed state from the cache, else from its
 * snapshot plus later events, else by replaying every event from `{}`.
 * Older events are upcast on the way in; a snapshot of another schema
 * version is never loaded into the current shape.
 */
import type { Domain, PatchOperation } from '../domain.js';
import { CommandFailedError, describeThrown } from '../errors.js';
import type { StoredEvent } from '../event.js';
import { deepFreeze, type JsonObject } from '../json.js';
import { applyInPlace, applyShared } from './patching.js';
import type { EventRow, PatchRow, ShardStore, SnapshotRow } from './shard-store.js';
import { REPLAY_PAGE } from './store-queries.js';
import type { CachedAggregate, StateCache } from './state-cache.js';
import { upcastPatch, type UpcastSource } from './upcasting.js';

export interface CorruptSnapshot {
  readonly aggregateId: string;
  readonly version: number;
  readonly reason: string;
}

/** A stored snapshot that may be used, with its text's length; or `stale`: skipped (older schema, unreadable), to be replaced. */
export type UsableSnapshot =
  | { state: JsonObject; version: number; textLength: number; stale?: never }
  | { state?: never; version?: never; textLength?: never; stale: true };

// A page's patches are one SQLite value (see ShardStore.replayAfter), bounded in count and in bytes.
export { REPLAY_PAGE } from './store-queries.js';

export class AggregateLoader {
  readonly #store: ShardStore;
  readonly #cache: StateCache;
  readonly #domain: Domain<object, object>;
  readonly #shard: number;
  readonly #onCorruptSnapshot: (report: CorruptSnapshot) => void;

  constructor(
    store: ShardStore,
    cache: StateCache,
    domain: Domain<object, object>,
    shard: number,
    onCorruptSnapshot: (report: CorruptSnapshot) => void,
  ) {
    this.#store = store;
    this.#cache = cache;
    this.#domain = domain;
    this.#shard = shard;
    this.#onCorruptSnapshot = onCorruptSnapshot;
  }

  /** The schema version stored patches are upcast to. */
  get schemaVersion(): number {
    return this.#domain.schemaVersion;
  }

  /** The committed state and version, or `undefined` when the aggregate has no events. */
  load(aggregateId: string): CachedAggregate | undefined {
    const cached = this.#cache.get(aggregateId);
    if (cached !== undefined) return cached;
    // Most misses are new aggregates: one probe instead of a snapshot lookup and an events read.
    if (!this.#store.hasEvents(aggregateId)) return undefined;
    let base = this.#snapshotAtOrBefore(aggregateId, Number.MAX_SAFE_INTEGER);
    let replayed = this.#replay(aggregateId, base?.state, base?.version ?? 0, Number.MAX_SAFE_INTEGER);
    // No event after the snapshot: it is the latest state, unless it claims a version the events never reached.
    if (base?.version !== undefined && replayed.version === base.version && this.#isAhead(aggregateId, base.version)) {
      base = { stale: true };
      replayed = this.#replay(aggregateId, undefined, 0, Number.MAX_SAFE_INTEGER);
    }
    const { state, version } = replayed;
    const staleSnapshot = base?.stale === true || replayed.migrated;
    if (state === undefined) return undefined;
    // Patches written here only add, remove and replace: the state's text is no longer than the snapshot's and theirs together.
    const textLength = staleSnapshot ? undefined : (base?.textLength ?? 0) + replayed.patchLength;
    const loaded: CachedAggregate = staleSnapshot ? { state: deepFreeze(state), version, staleSnapshot } : { state: deepFreeze(state), version, textLength };
    this.#cache.set(aggregateId, loaded);
    return loaded;
  }

  /**
   * Of `aggregateIds`, those neither cached nor stored: the new aggregates of
   * a batch, found with one query instead of a probe in each {@link load}.
   */
  newAmong(aggregateIds: Iterable<string>): Set<string> {
    const uncached = new Set<string>();
    for (const id of aggregateIds) if (!this.#cache.has(id)) uncached.add(id);
    if (uncached.size < 2) return new Set();
    for (const stored of this.#store.withEvents([...uncached])) uncached.delete(stored);
    return uncached;
  }

  /**
   * Events `from..to` with their states. `base` is the state at `from - 1`
   * when the caller has it; otherwise it is rebuilt (from the snapshot when
   * that is old enough). Reads only: never writes a snapshot.
   */
  eventsBetween(aggregateId: string, from: number, to: number, base?: JsonObject): StoredEvent[] {
    let state = base !== undefined || from <= 1 ? base : this.stateAt(aggregateId, from - 1);
    const events: StoredEvent[] = [];
    for (const row of this.#store.eventsAfter(aggregateId, from - 1, to)) {
      const next = this.applyRow(state, row);
      events.push(this.toEvent(row, next, state));
      state = next;
    }
    return events;
  }

  /** The state at `version` (a private copy), from the snapshot when it is old enough. */
  stateAt(aggregateId: string, version: number): JsonObject | undefined {
    const snapshot = this.#snapshotAtOrBefore(aggregateId, version);
    return this.#replay(aggregateId, snapshot?.state, snapshot?.version ?? 0, version).state;
  }

  /**
   * `state` (a private copy, changed in place) with the events
   * `after < version <= to` applied; `migrated` when any was upcast.
   */
  #replay(
    aggregateId: string,
    state: JsonObject | undefined,
    after: number,
    to: number,
  ): { state: JsonObject | undefined; version: number; migrated: boolean; patchLength: number } {
    const current = this.#domain.schemaVersion;
    let replayed = state;
    let version = after;
    let migrated = false;
    let patchLength = 0;
    for (;;) {
      const columns = this.#store.replayAfter(aggregateId, version, to);
      const versions = JSON.parse(columns.versions) as number[];
      if (versions.length === 0) break;
      const schemaVersions = JSON.parse(columns.schemaVersions) as number[];
      const patches = JSON.parse(columns.patches) as PatchOperation[][];
      patchLength += columns.patches.length;
      const upcasting = schemaVersions.some((schemaVersion) => schemaVersion !== current);
      // Names only matter to upcasters, which only older events meet.
      const names = upcasting ? (JSON.parse(columns.names) as string[]) : undefined;
      for (let i = 0; i < versions.length; i++) {
        const schemaVersion = schemaVersions[i]!;
        const patch =
          schemaVersion === current
            ? patches[i]!
            : this.#upcast(patches[i]!, { aggregate_id: aggregateId, version: versions[i]!, name: names![i]!, schema_version: schemaVersion });
        replayed = this.#apply(replayed, patch, false, aggregateId, versions[i]!);
      }
      version = versions[versions.length - 1]!;
      migrated ||= upcasting;
      // A page cut for its size is short but not the last.
      if (versions.length < REPLAY_PAGE && !columns.cut) break;
    }
    return { state: replayed, version, migrated, patchLength };
  }

  /** The state after `row`, as a new object sharing unchanged parts with `previous`, which is left untouched. */
  applyRow(previous: JsonObject | undefined, row: PatchRow): JsonObject {
    return this.#apply(previous, this.#patchOf(row), true, row.aggregate_id, row.version);
  }

  /** `state` (a private copy, changed in place; `undefined` for none) after the event `row` of parsed `patch`. */
  replayParsed(state: JsonObject | undefined, patch: PatchOperation[], row: UpcastSource): JsonObject {
    const upcast = row.schema_version === this.#domain.schemaVersion ? patch : this.#upcast(patch, row);
    return this.#apply(state, upcast, false, row.aggregate_id, row.version);
  }

  /** As {@link applyRow}, for a patch the caller has already parsed. */
  applyParsed(previous: JsonObject | undefined, patch: PatchOperation[], row: UpcastSource): JsonObject {
    return this.#apply(previous, this.#upcast(patch, row), true, row.aggregate_id, row.version);
  }

  /** The stored event `row` with its states rebuilt. */
  eventOf(row: EventRow): StoredEvent {
    const [event] = this.eventsBetween(row.aggregate_id, row.version, row.version);
    if (event === undefined) throw new Error(`event ${row.aggregate_id} v${row.version} vanished while being read`);
    return event;
  }

  toEvent(row: EventRow, state: JsonObject, previousState: JsonObject | undefined): StoredEvent {
    const event: {
      -readonly [K in keyof StoredEvent]: StoredEvent[K];
    } = {
      id: row.event_id,
      aggregateId: row.aggregate_id,
      name: row.name,
      version: row.version,
      schemaVersion: row.schema_version,
      occurredAt: row.occurred_at,
      state,
      previousState,
      position: row.position,
      shard: this.#shard,
    };
    if (row.command_id !== null) event.commandId = row.command_id;
    if (row.metadata !== null) event.metadata = JSON.parse(row.metadata) as JsonObject;
    return event;
  }

  /**
   * The state after an event, changed in place (a private copy) or `shared`
   * (see applyShared). A patch that does not apply is reported with the
   * aggregate and version it belongs to: the applier's message alone names
   * neither.
   */
  #apply(state: JsonObject | undefined, patch: readonly PatchOperation[], shared: boolean, aggregateId: string, version: number): JsonObject {
    try {
      return shared ? applyShared(state, patch) : applyInPlace(state ?? {}, patch);
    } catch (thrown) {
      const { message } = describeThrown(thrown);
      throw new CommandFailedError(
        `${this.#domain.aggregate} ${aggregateId} cannot be rebuilt: the stored patch of v${version} does not apply to the state before it: ${message}`,
        { aggregateId, version, cause: message },
      );
    }
  }

  /** The row's patch, upcast from its schema version to the domain's. */
  #patchOf(row: PatchRow): PatchOperation[] {
    return this.#upcast(JSON.parse(row.patch) as PatchOperation[], row);
  }

  #upcast(stored: PatchOperation[], row: UpcastSource): PatchOperation[] {
    return upcastPatch(this.#domain, stored, row);
  }

  /**
   * Whether the snapshot at `version` is ahead of the aggregate's events (a
   * file restored from mismatched backups, an edited row): loaded, it would
   * hide the events after the real last one it holds and make the next
   * command leave a gap. Reported as corrupt. One index probe, made only
   * when no event follows the snapshot.
   */
  #isAhead(aggregateId: string, version: number): boolean {
    const latest = this.#store.latestVersion(aggregateId);
    if (latest >= version) return false;
    this.#onCorruptSnapshot({ aggregateId, version, reason: `its version is ahead of the events, which end at v${latest}` });
    return true;
  }

  /**
   * The snapshot when it can be used for versions up to `maxVersion`.
   * `stale` marks one skipped for its older schema version or because it
   * could not be read (reported): a full replay replaces it.
   */
  #snapshotAtOrBefore(
    aggregateId: string,
    maxVersion: number,
  ): UsableSnapshot | undefined {
    return this.usableSnapshot(aggregateId, this.#store.snapshotOf(aggregateId), maxVersion);
  }

  /** As {@link #snapshotAtOrBefore}, for a snapshot row already read. */
  usableSnapshot(aggregateId: string, row: SnapshotRow | undefined, maxVersion: number): UsableSnapshot | undefined {
    if (row === undefined || row.version > maxVersion) return undefined;
    // A snapshot in an older shape must not be read as the new one: replay instead.
    if (row.schema_version !== this.#domain.schemaVersion) return { stale: true };
    try {
      const state: unknown = JSON.parse(row.state);
      if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new Error('not a JSON object');
      return { state: state as JsonObject, version: row.version, textLength: row.state.length };
    } catch (thrown) {
      this.#onCorruptSnapshot({ aggregateId, version: row.version, reason: describeThrown(thrown).message });
      return { stale: true };
    }
  }
}
