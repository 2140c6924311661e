/**
 * Batches sent to a shard whose outcome is not complete yet. A batch's reply
 * (piscina task result) and its committed events (event port) travel on two
 * channels and may arrive in either order; a command settles once both its
 * outcome and its event are here. Each shard has its own instance.
 */
import { fromWire, type AsynxError } from './errors.js';
import type { StoredEvent } from './event.js';
import { otherOutcome } from './outcome-wire.js';
import type { PackedOutcomes, ShardRequest } from './protocol.js';
import type { ShardMetrics } from './shard-metrics.js';

/** What a queued operation resolves with: a command's event, or a read's value. */
export type OpResult = unknown;

/** One operation waiting in a shard's queue or in flight. */
export interface QueuedOp {
  readonly op: ShardRequest;
  readonly enqueuedAt: number;
  readonly resolve: (value: OpResult) => void;
  readonly reject: (error: AsynxError) => void;
  /** Stops waiting for the caller's signal, when one was given. */
  stopWatchingSignal: (() => void) | undefined;
  dispatched: boolean;
  settled: boolean;
}

interface OpenBatch {
  readonly items: QueuedOp[];
  /** Events that arrived on the port before the reply named their command. */
  readonly events: Map<number, StoredEvent>;
  /** Committed commands whose event has not arrived on the port yet. */
  readonly awaiting: Map<number, QueuedOp>;
  /**
   * Idempotent repeats, of this batch or a later one, answered with the
   * event of a command of this batch that is still awaited: held until that
   * event arrives, so that it is published before they resolve
   * (`sendAndWait` looks for it on the bus). A later batch's reply may come
   * before this batch's events, which travel on the other channel.
   */
  repeats: Map<number, Array<readonly [QueuedOp, OpResult]>> | undefined;
  replied: boolean;
}

/** The event an idempotent repeat was answered with; `undefined` for a read's value. */
function repeatedEvent(item: QueuedOp, value: OpResult): StoredEvent | undefined {
  return item.op.kind === 'command' ? (value as StoredEvent) : undefined;
}

export type Settle = (item: QueuedOp, error: AsynxError | undefined, value?: OpResult) => void;

export class OpenBatches {
  readonly #batches = new Map<number, OpenBatch>();
  readonly #settle: Settle;
  readonly #metrics: ShardMetrics;
  /** Called whenever a batch is done; `open` tells whether others are still open. */
  readonly #onClosed: (open: number) => void;

  constructor(settle: Settle, metrics: ShardMetrics, onClosed: (open: number) => void) {
    this.#settle = settle;
    this.#metrics = metrics;
    this.#onClosed = onClosed;
  }

  get size(): number {
    return this.#batches.size;
  }

  /** Operations in open batches. */
  get operations(): number {
    let count = 0;
    for (const batch of this.#batches.values()) count += batch.items.length;
    return count;
  }

  open(batchId: number, items: QueuedOp[]): void {
    this.#batches.set(batchId, { items, events: new Map(), awaiting: new Map(), repeats: undefined, replied: false });
  }

  /** Forgets a batch whose operations were settled some other way (a crash, a forget). */
  close(batchId: number): void {
    const batch = this.#batches.get(batchId);
    this.#batches.delete(batchId);
    // Its events will not come: repeats held for them, perhaps of later batches, wait no longer.
    if (batch?.repeats !== undefined) for (const position of [...batch.repeats.keys()]) this.#settleRepeats(batch, position);
    this.#onClosed(this.#batches.size);
  }

  /** Committed events from the port: settles the commands whose outcome already came. */
  events(batchId: number, events: readonly StoredEvent[]): void {
    const batch = this.#batches.get(batchId);
    // A batch that is no longer open was failed by a crash: its events were still published.
    if (batch === undefined) return;
    for (const event of events) {
      const item = batch.awaiting.get(event.position);
      if (item === undefined) {
        batch.events.set(event.position, event);
      } else {
        batch.awaiting.delete(event.position);
        this.#settle(item, undefined, event);
        this.#settleRepeats(batch, event.position);
      }
    }
    this.#closeIfDone(batchId, batch);
  }

  /** The worker's reply: one outcome per operation, in order. */
  reply(batchId: number, outcomes: PackedOutcomes): void {
    const batch = this.#batches.get(batchId);
    if (batch === undefined) return;
    let nextOther = 0;
    for (let i = 0; i < batch.items.length; i++) {
      const item = batch.items[i]!;
      const position = outcomes.positions[i]!;
      if (position > 0) {
        const event = batch.events.get(position);
        if (event === undefined) {
          batch.awaiting.set(position, item);
        } else {
          batch.events.delete(position);
          this.#settle(item, undefined, event);
        }
        continue;
      }
      const outcome = otherOutcome(outcomes, nextOther++, i);
      if (outcome.kind === 'value') {
        const repeated = repeatedEvent(item, outcome.value);
        const holder = repeated === undefined ? undefined : this.#awaitedIn(repeated.position);
        if (holder !== undefined) this.#holdRepeat(holder, repeated!.position, item, outcome.value);
        else this.#settle(item, undefined, outcome.value);
      } else {
        if (item.op.kind === 'command') this.#metrics.rejected++;
        this.#settle(item, fromWire(outcome.error));
      }
    }
    batch.replied = true;
    this.#closeIfDone(batchId, batch);
  }

  /** Fails every operation of every open batch, for close and destroy. */
  failAll(error: AsynxError): void {
    for (const batch of this.#batches.values()) {
      for (const item of batch.items) this.#settle(item, error);
      // Held here, repeats of batches already closed are not among its items.
      for (const held of batch.repeats?.values() ?? []) for (const [item] of held) this.#settle(item, error);
    }
    this.#batches.clear();
    this.#onClosed(0);
  }

  /** The open batch still awaiting the event at `position`, if any. */
  #awaitedIn(position: number): OpenBatch | undefined {
    for (const batch of this.#batches.values()) if (batch.awaiting.has(position)) return batch;
    return undefined;
  }

  #holdRepeat(batch: OpenBatch, position: number, item: QueuedOp, value: OpResult): void {
    batch.repeats ??= new Map();
    const held = batch.repeats.get(position);
    if (held === undefined) batch.repeats.set(position, [[item, value]]);
    else held.push([item, value]);
  }

  #settleRepeats(batch: OpenBatch, position: number): void {
    const held = batch.repeats?.get(position);
    if (held === undefined) return;
    batch.repeats!.delete(position);
    for (const [item, value] of held) this.#settle(item, undefined, value);
  }

  #closeIfDone(batchId: number, batch: OpenBatch): void {
    if (!batch.replied || batch.awaiting.size > 0) return;
    this.close(batchId);
  }
}
