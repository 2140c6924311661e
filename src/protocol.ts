/**
 * Every message between the main thread and a shard worker. Control and
 * results travel as piscina tasks; committed events travel on the shard's
 * own MessagePort, transferred in the `init` task (workerData cannot carry a
 * port). Everything here is plain data: errors cross as `WireError`.
 */
import type { MessagePort } from 'node:worker_threads';
import type { WireError } from './errors.js';
import type { StoredEvent } from './event.js';
import type { JsonObject, JsonValue } from './json.js';

export type SynchronousMode = 'full' | 'normal';

/** What a worker needs to open its shard. */
export interface ShardConfig {
  readonly shard: number;
  readonly shardCount: number;
  readonly hashScheme: string;
  /** Directory of the shard files, or `:memory:`. */
  readonly dataDir: string;
  readonly domainUrl: string;
  readonly aggregate: string;
  readonly synchronous: SynchronousMode;
  readonly cacheSize: number;
  /** Snapshot automatically every N versions; 0 turns the policy off. */
  readonly snapshotEvery: number;
}

export interface CommandOp {
  readonly kind: 'command';
  readonly type: string;
  readonly payload: JsonValue;
  readonly aggregateId: string;
  readonly commandId?: string;
  readonly metadata?: JsonObject;
}

/** A command as the main thread sends it: the payload and the metadata are the JSON texts checked at `send`. */
export interface CommandRequest {
  readonly kind: 'command';
  readonly type: string;
  readonly payloadJson: string;
  readonly aggregateId: string;
  readonly commandId?: string;
  readonly metadataJson?: string;
}

export interface GetOp {
  readonly kind: 'get';
  readonly aggregateId: string;
}

export interface ExistsOp {
  readonly kind: 'exists';
  readonly aggregateId: string;
}

/** One page of an aggregate's history: versions `from..to`, inclusive. */
export interface HistoryOp {
  readonly kind: 'history';
  readonly aggregateId: string;
  readonly from: number;
  readonly to: number;
  /** The state at version `from - 1`, when the caller already has it (later pages). */
  readonly base?: JsonObject;
  /**
   * With `base`: the `firstPosition` of the first page. A page of another
   * life of the aggregate (forgotten and created again since) comes back
   * with no events, so `base` is never applied to another stream's patches.
   */
  readonly firstPosition?: number;
}

/** Loads an aggregate into the shard's state cache; resolves with whether it exists. */
export interface PreloadOp {
  readonly kind: 'preload';
  readonly aggregateId: string;
}

/**
 * First half of `forget`: returns the tombstone (the aggregate's last state)
 * without changing anything, so the main thread can deliver it first.
 */
export interface ForgetOp {
  readonly kind: 'forget';
  readonly aggregateId: string;
}

/** Second half of `forget`: erases every event and the snapshot of the aggregate. */
export interface EraseOp {
  readonly kind: 'erase';
  readonly aggregateId: string;
}

/** A page of the shard's log after a position, for a durable subscription. */
export interface ReadLogOp {
  readonly kind: 'read-log';
  readonly afterPosition: number;
  readonly limit: number;
  /**
   * Names a catch-up reading page after page: the reply then refers to
   * states the reader kept from the stream's earlier pages (event-wire.ts).
   */
  readonly stream?: number;
}

/** A durable subscription's saved position and the shard's head position. */
export interface ReadCheckpointOp {
  readonly kind: 'read-checkpoint';
  readonly name: string;
}

export interface SaveCheckpointOp {
  readonly kind: 'save-checkpoint';
  readonly name: string;
  readonly position: number;
}

export interface CheckpointState {
  /** `null` for a subscription name the shard has never seen. */
  readonly saved: number | null;
  readonly head: number;
}

export type ShardOp =
  | CommandOp
  | GetOp
  | ExistsOp
  | HistoryOp
  | PreloadOp
  | ForgetOp
  | EraseOp
  | ReadLogOp
  | ReadCheckpointOp
  | SaveCheckpointOp;

/** An operation as it crosses to a shard; the worker parses commands into {@link CommandOp}. */
export type ShardRequest = Exclude<ShardOp, CommandOp> | CommandRequest;

export interface CacheCounters {
  readonly hits: number;
  readonly misses: number;
  readonly size: number;
}

export interface HistoryPage {
  readonly events: StoredEvent[];
  /** The aggregate's latest version when the page was read (0 when it does not exist). */
  readonly latestVersion: number;
  /** The position of the aggregate's first event (0 when it does not exist): see ShardStore.firstPosition. */
  readonly firstPosition: number;
}

/** A page of a shard's log in position order, for a durable subscription's catch-up. */
export interface LogPage {
  readonly events: StoredEvent[];
  /** The shard's last committed position when the page was read. */
  readonly head: number;
}

/** Committed events between threads: JSON text written by event-wire.ts, never parsed elsewhere. */
export type EncodedEvents = string & { readonly __encoding: 'asynx-event-columns' };

/** How a `history` or `read-log` operation's page crosses threads. */
export interface EncodedPage {
  readonly events: EncodedEvents;
  /** `latestVersion` and `firstPosition` of a history page, `head` of a log page. */
  readonly latestVersion?: number;
  readonly firstPosition?: number;
  readonly head?: number;
  /**
   * A log page's number of events and the position of its last one, so the
   * reader can ask for the next page before it decodes this one.
   */
  readonly count?: number;
  readonly last?: number;
  /**
   * Whether a log page may have events after it: it holds all the events
   * asked for, or fewer because they were too large together for one page.
   */
  readonly more?: boolean;
}

export type OpOutcome =
  /** A command's event is durable; the event itself comes on the event port. */
  | { readonly kind: 'committed'; readonly position: number }
  | {
      readonly kind: 'value';
      readonly value: JsonValue | boolean | number | HistoryPage | StoredEvent | LogPage | CheckpointState | EncodedPage;
    }
  | { readonly kind: 'failed'; readonly error: WireError };

/** A batch's operations as they cross to the shard: see request-wire.ts. */
export interface PackedRequests {
  /** The commands, in order: the JSON text of an array of {@link CommandOp}. */
  readonly commands: string;
  /** The other operations, with their index in the batch, in index order. */
  readonly others: Array<readonly [index: number, op: Exclude<ShardRequest, CommandRequest>]>;
}

/** An outcome other than a commit. */
export type OtherOutcome = Exclude<OpOutcome, { readonly kind: 'committed' }>;

/** A batch's outcomes as they cross back to the main thread: see outcome-wire.ts. */
export interface PackedOutcomes {
  /** Per operation, in order: the committed event's position, or 0 when its outcome is in `others`. */
  readonly positions: number[];
  /** The other outcomes, with their operation's index, in index order. */
  readonly others: Array<readonly [index: number, outcome: OtherOutcome]>;
}

export type ShardTask =
  | { readonly kind: 'init'; readonly config: ShardConfig; readonly events: MessagePort }
  | { readonly kind: 'batch'; readonly batchId: number; readonly requests: PackedRequests }
  | { readonly kind: 'close' };

export type ShardReply =
  /** `head`: the shard's last event position, whose sequence has no gaps (see ShardMetrics.committed). */
  | { readonly kind: 'ready'; readonly head: number }
  | { readonly kind: 'init-failed'; readonly error: WireError }
  /** The worker has no open shard (it replaced a crashed one): send `init` again. */
  | { readonly kind: 'not-initialised' }
  | { readonly kind: 'batch-done'; readonly batchId: number; readonly outcomes: PackedOutcomes; readonly cache: CacheCounters }
  | { readonly kind: 'closed' };

/** Posted on the event port after each commit, before the batch's reply. */
export interface EventsMessage {
  readonly kind: 'events';
  readonly batchId: number;
  readonly events: EncodedEvents;
}

/** A snapshot row could not be read; the aggregate was replayed in full instead. */
export interface SnapshotCorruptMessage {
  readonly kind: 'snapshot-corrupt';
  readonly aggregateId: string;
  readonly version: number;
  readonly reason: string;
}

/** Posted once the worker has imported the domain module at start-up: the import's time limit no longer applies. */
export interface DomainLoadedMessage {
  readonly kind: 'domain-loaded';
}

/** The snapshots sealing these aggregates could not be written; the operations of their batch went on without them. */
export interface SealFailedMessage {
  readonly kind: 'seal-failed';
  readonly aggregateIds: readonly string[];
  readonly reason: string;
  /** False when the snapshot can never fit a row: the aggregates stay unsealed, hydrated by replay. */
  readonly retried: boolean;
}

/** What a worker reports on its event port besides events. */
export type ShardReport = SnapshotCorruptMessage | SealFailedMessage;

/** Everything a worker posts on its event port. */
export type PortMessage = EventsMessage | ShardReport | DomainLoadedMessage;
