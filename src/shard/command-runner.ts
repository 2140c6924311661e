/**
 * One command inside a batch: idempotency (a known `commandId` returns its
 * original event), then validate and emit, then the event, its patch and any
 * snapshot added to the batch's uncommitted work once their rows are known
 * to fit SQLite's length limit (row-size.ts): a snapshot that does not is
 * left out, since it only spares replays. Nothing is written here;
 * the command processor commits the batch.
 */
import type { CommandDefinition, Domain } from '../domain.js';
import { CommandFailedError, IdempotencyConflictError, UnknownCommandError, toWire, type AsynxError } from '../errors.js';
import type { StoredEvent } from '../event.js';
import type { CommandOp, OpOutcome } from '../protocol.js';
import type { AggregateLoader } from './aggregate-loader.js';
import { commandDigest } from './command-digest.js';
import { decide } from './decide.js';
import { MAX_MESSAGE_LENGTH, eventLength } from './event-length.js';
import { patchText } from './patching.js';
import { oversizedEvent, oversizedSnapshotBytes, tooLongForString } from './row-size.js';
import type { NewEvent, NewSnapshot, ShardStore } from './shard-store.js';
import { MAX_ROW_TEXT_BYTES } from '../size-limits.js';
import type { CachedAggregate } from './state-cache.js';
import { newEventId } from './event-ids.js';

/** A stored event still being built: its position is set once the batch commits. */
export type EventDraft = { -readonly [K in keyof StoredEvent]: StoredEvent[K] };

export interface PendingEvent {
  readonly opIndex: number;
  readonly row: NewEvent;
  readonly event: EventDraft;
  /** At least its length in a message of committed events (event-length.ts). */
  readonly messageLength: number;
}

/** One batch's uncommitted work. */
export interface BatchState {
  /** State of aggregates changed in this batch, not yet committed. */
  readonly working: Map<string, CachedAggregate>;
  /**
   * Aggregates known at the batch's start to have no events (see
   * AggregateLoader.newAmong). One leaves the set when it gets an event:
   * the state cache may not keep it.
   */
  readonly fresh: Set<string>;
  pending: PendingEvent[];
  snapshots: NewSnapshot[];
  /** Aggregates hydrated past a stale snapshot (CachedAggregate.staleSnapshot), to be sealed with a fresh one at commit. */
  readonly seals: Map<string, CachedAggregate>;
  /** `aggregateId \0 commandId` of the commands with an ID seen in this batch. */
  readonly commandIds: Set<string>;
  readsSinceCommit: number[];
}

export function failed(error: AsynxError): OpOutcome {
  return { kind: 'failed', error: toWire(error) };
}

export interface RunnerSettings {
  readonly shard: number;
  /** Snapshot every N versions; 0 for never (commands may still ask for one). */
  readonly snapshotEvery: number;
  /** Text one stored row may hold, in bytes of UTF-8 (lower only in tests). @default MAX_ROW_TEXT_BYTES */
  readonly maxRowTextBytes?: number;
  /** The longest JSON text of committed events one message may carry (lower only in tests). @default MAX_MESSAGE_LENGTH */
  readonly maxMessageLength?: number;
}

export class CommandRunner {
  readonly #store: ShardStore;
  readonly #loader: AggregateLoader;
  readonly #domain: Domain<object, object>;
  readonly #shard: number;
  readonly #snapshotEvery: number;
  readonly #maxRowTextBytes: number;
  readonly #maxMessageLength: number;
  readonly #counters: { rejected: number };

  constructor(store: ShardStore, loader: AggregateLoader, domain: Domain<object, object>, settings: RunnerSettings, counters: { rejected: number }) {
    this.#store = store;
    this.#loader = loader;
    this.#domain = domain;
    this.#shard = settings.shard;
    this.#snapshotEvery = settings.snapshotEvery;
    this.#maxRowTextBytes = settings.maxRowTextBytes ?? MAX_ROW_TEXT_BYTES;
    this.#maxMessageLength = settings.maxMessageLength ?? MAX_MESSAGE_LENGTH;
    this.#counters = counters;
  }

  /**
   * A command with a `commandId` that already produced an event resolves to
   * that event; otherwise the command runs. Returns an outcome unless the
   * command's event is pending commit.
   */
  run(
    op: CommandOp,
    opIndex: number,
    batch: BatchState,
    current: (aggregateId: string) => CachedAggregate | undefined,
    commit: () => void,
    occurredAt: string,
  ): OpOutcome | undefined {
    let digest: string | null = null;
    if (op.commandId !== undefined) {
      digest = commandDigest(op.type, op.payload);
      const key = `${op.aggregateId}\u0000${op.commandId}`;
      // A repeat within this batch: commit the first so the lookup below finds it.
      if (batch.commandIds.has(key)) commit();
      batch.commandIds.add(key);
      const earlier = this.#store.eventByCommandId(op.aggregateId, op.commandId);
      if (earlier !== undefined) {
        if (earlier.command_hash !== digest) {
          this.#counters.rejected++;
          return failed(
            new IdempotencyConflictError(
              `commandId ${op.commandId} was already used on ${op.aggregateId} by a different command (event ${earlier.name} v${earlier.version}); nothing was written`,
              { aggregateId: op.aggregateId, commandId: op.commandId, type: op.type, version: earlier.version },
            ),
          );
        }
        return { kind: 'value', value: this.#loader.eventOf(earlier) };
      }
    }
    const outcome = this.#execute(op, opIndex, current(op.aggregateId), occurredAt, digest, batch);
    if (outcome !== undefined) this.#counters.rejected++;
    return outcome;
  }

  /** Runs one command into the batch's pending events; returns an outcome only when it is rejected. */
  #execute(
    op: CommandOp,
    opIndex: number,
    current: CachedAggregate | undefined,
    occurredAt: string,
    commandHash: string | null,
    batch: BatchState,
  ): OpOutcome | undefined {
    const commands = this.#domain.commands as Record<string, CommandDefinition<object, unknown>>;
    const definition = Object.hasOwn(commands, op.type) ? commands[op.type] : undefined;
    if (definition === undefined) return failed(new UnknownCommandError(`unknown command type ${op.type}`, { type: op.type }));
    const decision = decide(definition, op.type, op.aggregateId, current?.state, op.payload);
    if (!decision.ok) return failed(decision.error);
    const state = decision.state;
    const version = (current?.version ?? 0) + 1;
    let patch: string;
    let snapshot: NewSnapshot | undefined;
    try {
      patch = patchText(current?.state, state);
      if (definition.snapshot === true || (this.#snapshotEvery > 0 && version % this.#snapshotEvery === 0)) {
        snapshot = { aggregateId: op.aggregateId, version, schemaVersion: this.#domain.schemaVersion, state: JSON.stringify(state) };
      }
    } catch (thrown) {
      if (thrown instanceof RangeError) return failed(tooLongForString(op.type, op.aggregateId, version, thrown));
      throw thrown;
    }
    const eventId = newEventId();
    const row: NewEvent = {
      eventId,
      aggregateId: op.aggregateId,
      version,
      name: definition.event,
      schemaVersion: this.#domain.schemaVersion,
      occurredAt,
      patch,
      commandId: op.commandId ?? null,
      commandHash,
      metadata: op.metadata === undefined ? null : JSON.stringify(op.metadata),
    };
    // Refused here, the command fails alone; at commit, SQLite would fail the whole batch.
    const oversized = oversizedEvent(op.type, row, this.#maxRowTextBytes);
    if (oversized !== undefined) return failed(oversized);
    // A state is no longer than its previous state and its patch together, and exactly its snapshot's length.
    const stateLength = snapshot?.state.length ?? (current === undefined ? patch.length : current.textLength === undefined ? undefined : current.textLength + patch.length);
    // Too large for a row, the snapshot is left out and the event goes alone: the aggregate hydrates by replay.
    if (snapshot !== undefined && oversizedSnapshotBytes(snapshot, this.#maxRowTextBytes) !== undefined) snapshot = undefined;
    const length = eventLength(
      op.type,
      row,
      { value: state, textLength: stateLength },
      current === undefined ? undefined : { value: current.state, textLength: current.textLength },
      this.#maxMessageLength,
    );
    if (length instanceof CommandFailedError) return failed(length);
    // Every field, position included, from the start: an object completed by
    // a spread at commit was measured 5× slower to read when encoding events.
    const event: EventDraft = {
      id: eventId,
      aggregateId: op.aggregateId,
      name: definition.event,
      version,
      schemaVersion: this.#domain.schemaVersion,
      occurredAt,
      state,
      previousState: current?.state,
      position: 0,
      shard: this.#shard,
    };
    if (op.commandId !== undefined) event.commandId = op.commandId;
    if (op.metadata !== undefined) event.metadata = op.metadata;
    batch.pending.push({ opIndex, row, event, messageLength: length.message });
    if (snapshot !== undefined) {
      batch.snapshots.push(snapshot);
      // This snapshot already seals any migration.
      batch.seals.delete(op.aggregateId);
    }
    batch.working.set(op.aggregateId, { state, version, textLength: length.state });
    batch.fresh.delete(op.aggregateId);
    return undefined;
  }
}
