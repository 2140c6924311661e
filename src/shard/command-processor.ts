/**
 * Runs one batch of operations for a shard: commands through validate and
 * emit, reads against the same in-batch state, and group commit: every
 * event of the batch goes to SQLite in one transaction and is acknowledged
 * only after it. A rejected command leaves no trace and does not affect the
 * others; a failed commit fails exactly the operations that depended on it.
 */
import { randomUUID } from 'node:crypto';
import type { CommandDefinition, Domain } from '../domain.js';
import {
  CommandFailedError,
  NotFoundError,
  UnknownCommandError,
  ValidationError,
  describeThrown,
  isAsynxError,
  toWire,
  type AsynxError,
} from '../errors.js';
import type { StoredEvent } from '../event.js';
import { NotJsonError, toJson, type JsonObject } from '../json.js';
import type { CommandOp, HistoryOp, OpOutcome, ShardOp } from '../protocol.js';
import type { AggregateLoader } from './aggregate-loader.js';
import { diffStates } from './patching.js';
import type { NewEvent, NewSnapshot, ShardStore } from './shard-store.js';
import type { CachedAggregate, StateCache } from './state-cache.js';

interface PendingEvent {
  readonly opIndex: number;
  readonly row: NewEvent;
  readonly event: Omit<StoredEvent, 'position'>;
}

/** Called with the events of each commit, in commit order, before the batch's outcomes return. */
export type PublishEvents = (events: StoredEvent[]) => void;

export interface ProcessorCounters {
  committed: number;
  rejected: number;
  failed: number;
  batches: number;
}

function failed(error: AsynxError): OpOutcome {
  return { kind: 'failed', error: toWire(error) };
}

export class CommandProcessor {
  readonly #store: ShardStore;
  readonly #loader: AggregateLoader;
  readonly #cache: StateCache;
  readonly #domain: Domain<object, object>;
  readonly #shard: number;
  readonly counters: ProcessorCounters = { committed: 0, rejected: 0, failed: 0, batches: 0 };

  constructor(store: ShardStore, loader: AggregateLoader, cache: StateCache, domain: Domain<object, object>, shard: number) {
    this.#store = store;
    this.#loader = loader;
    this.#cache = cache;
    this.#domain = domain;
    this.#shard = shard;
  }

  run(ops: readonly ShardOp[], publish: PublishEvents): OpOutcome[] {
    this.counters.batches++;
    const outcomes = new Array<OpOutcome>(ops.length);
    // Uncommitted state of aggregates changed in this batch; the cache only
    // ever holds committed state, so a failed commit cannot leak into it.
    const working = new Map<string, CachedAggregate>();
    let pending: PendingEvent[] = [];
    let snapshots: NewSnapshot[] = [];
    let readsSinceCommit: number[] = [];
    const occurredAt = new Date().toISOString();

    const current = (aggregateId: string): CachedAggregate | undefined =>
      working.get(aggregateId) ?? this.#loader.load(aggregateId);

    const commit = (): void => {
      if (pending.length === 0) {
        readsSinceCommit = [];
        return;
      }
      try {
        const positions = this.#store.append(
          pending.map((p) => p.row),
          snapshots,
        );
        const events = pending.map((p, i): StoredEvent => ({ ...p.event, position: positions[i]! }));
        for (let i = 0; i < pending.length; i++) outcomes[pending[i]!.opIndex] = { kind: 'committed', position: positions[i]! };
        for (const [aggregateId, entry] of working) this.#cache.set(aggregateId, entry);
        this.counters.committed += pending.length;
        publish(events);
      } catch (thrown) {
        const error = isAsynxError(thrown) ? thrown : new CommandFailedError(describeThrown(thrown).message);
        // Reads in this stretch may have seen state that never became durable.
        for (const index of [...pending.map((p) => p.opIndex), ...readsSinceCommit]) outcomes[index] = failed(error);
        this.counters.failed += pending.length;
      }
      working.clear();
      pending = [];
      snapshots = [];
      readsSinceCommit = [];
    };

    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      try {
        switch (op.kind) {
          case 'command': {
            const outcome = this.#execute(op, i, current(op.aggregateId), occurredAt, working, pending, snapshots);
            if (outcome !== undefined) {
              outcomes[i] = outcome;
              this.counters.rejected++;
            }
            break;
          }
          case 'get': {
            const found = current(op.aggregateId);
            outcomes[i] =
              found === undefined
                ? failed(new NotFoundError(`${this.#domain.aggregate} ${op.aggregateId} does not exist`, { aggregateId: op.aggregateId }))
                : { kind: 'value', value: found.state };
            readsSinceCommit.push(i);
            break;
          }
          case 'exists':
            outcomes[i] = { kind: 'value', value: current(op.aggregateId) !== undefined };
            readsSinceCommit.push(i);
            break;
          case 'history':
            // History reads the file, so this batch's earlier events must be in it.
            commit();
            outcomes[i] = { kind: 'value', value: this.#historyPage(op) };
            break;
        }
      } catch (thrown) {
        outcomes[i] = failed(isAsynxError(thrown) ? thrown : new CommandFailedError(describeThrown(thrown).message));
      }
    }
    commit();
    return outcomes;
  }

  #historyPage(op: HistoryOp): { events: StoredEvent[]; latestVersion: number } {
    return {
      events: this.#loader.eventsBetween(op.aggregateId, op.from, op.to, op.base),
      latestVersion: this.#store.latestVersion(op.aggregateId),
    };
  }

  /** Runs one command into `pending`; returns an outcome only when it is rejected. */
  #execute(
    op: CommandOp,
    opIndex: number,
    current: CachedAggregate | undefined,
    occurredAt: string,
    working: Map<string, CachedAggregate>,
    pending: PendingEvent[],
    snapshots: NewSnapshot[],
  ): OpOutcome | undefined {
    const commands = this.#domain.commands as Record<string, CommandDefinition<object, unknown>>;
    const definition = Object.hasOwn(commands, op.type) ? commands[op.type] : undefined;
    if (definition === undefined) return failed(new UnknownCommandError(`unknown command type ${op.type}`, { type: op.type }));
    const where = { type: op.type, aggregateId: op.aggregateId };
    let emitted: unknown;
    try {
      definition.validate?.(current?.state, op.payload);
      emitted = definition.emit(current?.state, op.payload);
    } catch (thrown) {
      if (isAsynxError(thrown) && thrown.code === 'VALIDATION_FAILED') {
        return failed(new ValidationError(thrown.message, { ...where, ...thrown.details }));
      }
      const { message, stack } = describeThrown(thrown);
      return failed(
        new CommandFailedError(`${op.type} on ${op.aggregateId} threw: ${message}`, { ...where, cause: message, causeStack: stack ?? null }),
      );
    }
    if (typeof emitted !== 'object' || emitted === null || Array.isArray(emitted)) {
      const got = emitted === null ? 'null' : Array.isArray(emitted) ? 'an array' : typeof emitted;
      return failed(
        new CommandFailedError(`emit of ${op.type} on ${op.aggregateId} returned ${got}; it must return the next state as an object`, where),
      );
    }
    let state: JsonObject;
    try {
      state = toJson(emitted, 'state', true) as JsonObject;
    } catch (thrown) {
      if (!(thrown instanceof NotJsonError)) throw thrown;
      return failed(
        new CommandFailedError(`emit of ${op.type} on ${op.aggregateId} returned state that cannot be stored: ${thrown.message}`, {
          ...where,
          path: thrown.path,
        }),
      );
    }
    const version = (current?.version ?? 0) + 1;
    const eventId = randomUUID();
    const row: NewEvent = {
      eventId,
      aggregateId: op.aggregateId,
      version,
      name: definition.event,
      schemaVersion: this.#domain.schemaVersion,
      occurredAt,
      patch: JSON.stringify(diffStates(current?.state, state)),
      commandId: op.commandId ?? null,
      metadata: op.metadata === undefined ? null : JSON.stringify(op.metadata),
    };
    const event: { -readonly [K in keyof Omit<StoredEvent, 'position'>]: StoredEvent[K] } = {
      id: eventId,
      aggregateId: op.aggregateId,
      name: definition.event,
      version,
      schemaVersion: this.#domain.schemaVersion,
      occurredAt,
      state,
      previousState: current?.state,
      shard: this.#shard,
    };
    if (op.commandId !== undefined) event.commandId = op.commandId;
    if (op.metadata !== undefined) event.metadata = op.metadata;
    pending.push({ opIndex, row, event });
    if (definition.snapshot === true) {
      snapshots.push({ aggregateId: op.aggregateId, version, schemaVersion: this.#domain.schemaVersion, state: JSON.stringify(state) });
    }
    working.set(op.aggregateId, { state, version });
    return undefined;
  }
}
