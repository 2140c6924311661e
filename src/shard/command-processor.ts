/**
 * Runs one batch of operations for a shard: commands (each through
 * command-runner.ts), reads against the same in-batch state, and group commit: every
 * event of the batch goes to SQLite in one transaction and is acknowledged
 * only after it. A rejected command leaves no trace and does not affect the
 * others; a failed commit fails exactly the operations that depended on it.
 */
import type { Domain } from '../domain.js';
import { CommandFailedError, NotFoundError, describeThrown, isAsynxError } from '../errors.js';
import { FORGOTTEN_EVENT, type StoredEvent } from '../event.js';
import type { HistoryOp, HistoryPage, OpOutcome, ShardOp } from '../protocol.js';
import type { AggregateLoader } from './aggregate-loader.js';
import { CommandRunner, failed, type BatchState, type PendingEvent, type RunnerSettings } from './command-runner.js';
import { MAX_MESSAGE_LENGTH, messageGroups } from './event-length.js';
import { LogReader, type LogReaderLimits } from './log-reader.js';
import type { ShardStore } from './shard-store.js';
import type { CachedAggregate, StateCache } from './state-cache.js';
import { newEventId } from './event-ids.js';
import { oversizedSnapshotBytes } from './row-size.js';
import type { NewSnapshot } from './store-rows.js';
import { MAX_ROW_TEXT_BYTES } from '../size-limits.js';

/** Called with the events of each commit, in commit order, before the batch's outcomes return. */
export type PublishEvents = (events: StoredEvent[]) => void;

export interface ProcessorCounters {
  committed: number;
  rejected: number;
  failed: number;
  batches: number;
}

export interface ProcessorSettings extends RunnerSettings {
  /** The catch-up reader's bounds (lower only in tests). */
  readonly logLimits?: LogReaderLimits;
}

/** Snapshots sealing hydrated aggregates (see BatchState.seals) that could not be written. */
export interface SealFailure {
  readonly aggregateIds: readonly string[];
  readonly reason: string;
  /** Whether the aggregates' next read or command tries again: not when the snapshot can never fit a row. */
  readonly retried: boolean;
}

function* commandTargets(ops: readonly ShardOp[]): Generator<string> {
  for (const op of ops) if (op.kind === 'command') yield op.aggregateId;
}

export class CommandProcessor {
  readonly #store: ShardStore;
  readonly #loader: AggregateLoader;
  readonly #cache: StateCache;
  readonly #domain: Domain<object, object>;
  readonly #shard: number;
  readonly #log: LogReader;
  readonly #commands: CommandRunner;
  readonly #maxMessageLength: number;
  readonly #maxRowTextBytes: number;
  readonly #onSealFailed: (failure: SealFailure) => void;
  readonly counters: ProcessorCounters = { committed: 0, rejected: 0, failed: 0, batches: 0 };

  constructor(
    store: ShardStore,
    loader: AggregateLoader,
    cache: StateCache,
    domain: Domain<object, object>,
    settings: ProcessorSettings,
    onSealFailed: (failure: SealFailure) => void,
  ) {
    this.#store = store;
    this.#onSealFailed = onSealFailed;
    this.#loader = loader;
    this.#cache = cache;
    this.#domain = domain;
    this.#shard = settings.shard;
    this.#log = new LogReader(store, loader, settings.shard, domain.schemaVersion, settings.logLimits);
    this.#commands = new CommandRunner(store, loader, domain, settings, this.counters);
    this.#maxMessageLength = settings.maxMessageLength ?? MAX_MESSAGE_LENGTH;
    this.#maxRowTextBytes = settings.maxRowTextBytes ?? MAX_ROW_TEXT_BYTES;
  }

  run(ops: readonly ShardOp[], publish: PublishEvents): OpOutcome[] {
    this.counters.batches++;
    const outcomes = new Array<OpOutcome>(ops.length);
    const batch: BatchState = {
      working: new Map(),
      fresh: ops.length > 1 ? this.#loader.newAmong(commandTargets(ops)) : new Set(),
      pending: [],
      snapshots: [],
      seals: new Map(),
      commandIds: new Set(),
      readsSinceCommit: [],
    };
    const occurredAt = new Date().toISOString();

    const current = (aggregateId: string): CachedAggregate | undefined => {
      let entry = batch.working.get(aggregateId);
      if (entry === undefined) {
        // Known new: counted as the cache miss load() would have counted.
        if (batch.fresh.has(aggregateId)) this.#cache.misses++;
        else entry = this.#loader.load(aggregateId);
      }
      if (entry?.staleSnapshot === true) batch.seals.set(aggregateId, entry);
      return entry;
    };
    const commit = (): void => this.#commit(batch, outcomes, publish);

    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      try {
        switch (op.kind) {
          case 'command': {
            const outcome = this.#commands.run(op, i, batch, current, commit, occurredAt);
            if (outcome !== undefined) outcomes[i] = outcome;
            break;
          }
          case 'get': {
            const found = current(op.aggregateId);
            outcomes[i] =
              found === undefined
                ? failed(new NotFoundError(`${this.#domain.aggregate} ${op.aggregateId} does not exist`, { aggregateId: op.aggregateId }))
                : { kind: 'value', value: found.state };
            batch.readsSinceCommit.push(i);
            break;
          }
          case 'exists':
          case 'preload':
            outcomes[i] = { kind: 'value', value: current(op.aggregateId) !== undefined };
            batch.readsSinceCommit.push(i);
            break;
          case 'history':
            // History reads the file, so this batch's earlier events must be in it.
            commit();
            outcomes[i] = { kind: 'value', value: this.#historyPage(op) };
            break;
          case 'forget': {
            commit();
            const last = current(op.aggregateId);
            outcomes[i] =
              last === undefined
                ? failed(new NotFoundError(`cannot forget ${this.#domain.aggregate} ${op.aggregateId}: it does not exist`, { aggregateId: op.aggregateId }))
                : { kind: 'value', value: this.#tombstone(op.aggregateId, last, occurredAt) };
            break;
          }
          case 'erase':
            commit();
            this.#cache.delete(op.aggregateId);
            this.#log.forget(op.aggregateId);
            outcomes[i] = { kind: 'value', value: this.#store.erase(op.aggregateId) };
            break;
          case 'read-log':
            commit();
            outcomes[i] = { kind: 'value', value: this.#log.read(op.afterPosition, op.limit, op.stream) };
            break;
          case 'read-checkpoint':
            commit();
            outcomes[i] = { kind: 'value', value: { saved: this.#store.checkpointOf(op.name) ?? null, head: this.#store.headPosition() } };
            break;
          case 'save-checkpoint':
            this.#store.saveCheckpoint(op.name, op.position);
            outcomes[i] = { kind: 'value', value: true };
            break;
        }
      } catch (thrown) {
        outcomes[i] = failed(isAsynxError(thrown) ? thrown : new CommandFailedError(describeThrown(thrown).message));
      }
    }
    commit();
    return outcomes;
  }

  /** Writes the batch's pending events, snapshots and seals in one transaction, then publishes. */
  #commit(batch: BatchState, outcomes: OpOutcome[], publish: PublishEvents): void {
    const { pending, working, seals } = batch;
    const sealSnapshots = seals.size === 0 ? [] : this.#sealSnapshots(batch);
    if (pending.length === 0 && seals.size === 0) {
      batch.readsSinceCommit = [];
      return;
    }
    try {
      const { positions, sealed } = this.#append(batch, sealSnapshots);
      const events: StoredEvent[] = [];
      for (let i = 0; i < pending.length; i++) {
        const { opIndex, event } = pending[i]!;
        event.position = positions[i]!;
        events.push(event);
        outcomes[opIndex] = { kind: 'committed', position: positions[i]! };
      }
      if (sealed) for (const [aggregateId, entry] of seals) this.#cache.set(aggregateId, { state: entry.state, version: entry.version });
      // Working entries are never marked staleSnapshot (see CommandRunner): cached as they are.
      for (const [aggregateId, entry] of working) this.#cache.set(aggregateId, entry);
      // Unsealed, they stay marked (read-only ones already are, as the loader cached them): the next commit tries again.
      if (!sealed) for (const [aggregateId, entry] of working) if (seals.has(aggregateId)) this.#cache.set(aggregateId, { ...entry, staleSnapshot: true });
      this.counters.committed += pending.length;
      if (events.length > 0) this.#publish(pending, events, publish);
    } catch (thrown) {
      const error = isAsynxError(thrown) ? thrown : new CommandFailedError(describeThrown(thrown).message);
      // Reads in this stretch may have seen state that never became durable.
      for (const index of [...pending.map((p) => p.opIndex), ...batch.readsSinceCommit]) outcomes[index] = failed(error);
      this.counters.failed += pending.length;
    }
    working.clear();
    seals.clear();
    batch.pending = [];
    batch.snapshots = [];
    batch.readsSinceCommit = [];
  }

  /** Publishes a commit's events, in several messages when they are too long together for one (event-length.ts). */
  #publish(pending: readonly PendingEvent[], events: StoredEvent[], publish: PublishEvents): void {
    const groups = messageGroups(pending, (p) => p.messageLength, this.#maxMessageLength);
    if (groups.length === 1) publish(events);
    else for (const group of groups) publish(group.map((p) => p.event));
  }

  /**
   * Appends the batch's events and snapshots, with its seals, in one
   * transaction; `sealed` tells whether the seals were written. A seal only
   * spares later replays: when writing it fails (a full disk), the failure is
   * reported and the events go again without it, so the reads and commands
   * it rode along with fail only if their own writes do.
   */
  #append(batch: BatchState, sealSnapshots: readonly NewSnapshot[]): { positions: number[]; sealed: boolean } {
    const events = batch.pending.map((p) => p.row);
    if (batch.seals.size === 0) return { positions: this.#store.append(events, batch.snapshots), sealed: true };
    try {
      return { positions: this.#store.append(events, [...batch.snapshots, ...sealSnapshots]), sealed: true };
    } catch (thrown) {
      this.#onSealFailed({ aggregateIds: [...batch.seals.keys()], reason: describeThrown(thrown).message, retried: true });
      return { positions: events.length === 0 ? [] : this.#store.append(events, batch.snapshots), sealed: false };
    }
  }

  /**
   * The snapshots sealing the batch's aggregates, of their latest state. A
   * seal whose row is over the row limit would fail every time: it is
   * reported once and given up (taken out of `seals`, its aggregate no
   * longer marked), and the aggregate hydrates by replay, as before.
   */
  #sealSnapshots(batch: BatchState): NewSnapshot[] {
    const snapshots: NewSnapshot[] = [];
    const givenUp: string[] = [];
    const described: string[] = [];
    for (const [aggregateId, sealed] of batch.seals) {
      const latest = batch.working.get(aggregateId) ?? sealed;
      const snapshot = { aggregateId, version: latest.version, schemaVersion: this.#domain.schemaVersion, state: JSON.stringify(latest.state) };
      const bytes = oversizedSnapshotBytes(snapshot, this.#maxRowTextBytes);
      if (bytes === undefined) {
        snapshots.push(snapshot);
        continue;
      }
      givenUp.push(aggregateId);
      described.push(`${aggregateId} at v${latest.version} (${bytes} bytes)`);
      batch.seals.delete(aggregateId);
      // A working entry is cached unmarked once its events commit; a read-only one is committed state already.
      if (!batch.working.has(aggregateId)) this.#cache.set(aggregateId, { state: sealed.state, version: sealed.version, textLength: snapshot.state.length });
    }
    if (givenUp.length > 0) {
      this.#onSealFailed({
        aggregateIds: givenUp,
        reason: `the snapshot of ${described.join(', ')} would be a row over the ${this.#maxRowTextBytes} bytes of text one stored row may hold`,
        retried: false,
      });
    }
    return snapshots;
  }

  /** The event delivered before erasure: the aggregate's last state, never stored. */
  #tombstone(aggregateId: string, last: CachedAggregate, occurredAt: string): StoredEvent {
    return {
      id: newEventId(),
      aggregateId,
      name: FORGOTTEN_EVENT,
      version: last.version,
      schemaVersion: this.#domain.schemaVersion,
      occurredAt,
      state: last.state,
      previousState: last.state,
      position: 0,
      shard: this.#shard,
    };
  }

  #historyPage(op: HistoryOp): HistoryPage {
    const latestVersion = this.#store.latestVersion(op.aggregateId);
    const firstPosition = this.#store.firstPosition(op.aggregateId);
    // Another life of the aggregate: its patches must not be applied to the previous one's state.
    if (op.firstPosition !== undefined && op.firstPosition !== firstPosition) return { events: [], latestVersion, firstPosition };
    return { events: this.#loader.eventsBetween(op.aggregateId, op.from, op.to, op.base), latestVersion, firstPosition };
  }

}
