/**
 * The main thread's side of one shard: its bounded queue (see op-queue.ts), its worker (see
 * shard-worker.ts) and its open batches (see open-batches.ts). Whenever the shard is free, everything
 * waiting (up to `maxBatch`) goes over as one task, so batches grow by
 * themselves under load and stay at one command when load is light.
 */
import { whenAborted } from './abort-watch.js';
import {
  AbortError,
  QueueFullError,
  ShardCrashedError,
  ShuttingDownError,
  describeThrown,
  isAsynxError,
  type AsynxError,
} from './errors.js';
import type { StoredEvent } from './event.js';
import type { ResolvedOptions } from './options.js';
import { OpenBatches, type OpResult, type QueuedOp } from './open-batches.js';
import { OpQueue } from './op-queue.js';
import { outcomeAt } from './outcome-wire.js';
import { PendingForget, PendingForgets, answerQueuedReads, answered, erase, hasRunnable, takeBatch } from './pending-forget.js';
import type { ShardConfig, ShardReport, ShardRequest } from './protocol.js';
import { RoomWaiters } from './room-waiters.js';
import { restartHooks } from './shard-restarts.js';
import { ShardMetrics } from './shard-metrics.js';
import { ShardWorker, type BatchReply, type ShardNotice } from './shard-worker.js';

export interface ShardHandleHooks {
  /** Every committed event, in commit order, as soon as it arrives. */
  readonly onEvents: (events: StoredEvent[]) => void;
  /** What the worker reports besides events: an unreadable snapshot, a seal it could not write. */
  readonly onReport: (report: ShardReport) => void;
  /** `undefined` when the bus can take more events; otherwise resolves when it can. */
  readonly backpressure: () => Promise<void> | undefined;
  /** Delivers a tombstone; the aggregate is erased once the returned promise settles, and `erased` tells how that went. */
  readonly onForget: (tombstone: StoredEvent, erased: Promise<boolean>) => Promise<void>;
}

export class ShardHandle {
  readonly index: number;
  readonly metrics = new ShardMetrics();
  readonly #options: ResolvedOptions;
  readonly #hooks: ShardHandleHooks;
  readonly #worker: ShardWorker;
  readonly #queue = new OpQueue();
  #busy = false;
  #scheduled = false;
  #closed = false;
  #nextBatchId = 1;
  readonly #openBatches: OpenBatches;
  readonly #roomWaiters = new RoomWaiters();
  #idleWaiters: Array<() => void> = [];
  readonly #forgets: PendingForgets;
  /** The highest event position this shard has reported on its event port. */
  lastPosition = 0;

  constructor(index: number, config: ShardConfig, options: ResolvedOptions, hooks: ShardHandleHooks) {
    this.index = index;
    this.#options = options;
    this.#hooks = hooks;
    this.#worker = new ShardWorker(index, config, options, {
      notice: (notice) => this.#onNotice(notice),
      ...restartHooks(index, this.metrics, options.logger),
    });
    this.#forgets = new PendingForgets(config.aggregate);
    const onClosed = (open: number): void => {
      if (open === 0) this.#worker.idle();
      this.#checkIdle();
    };
    this.#openBatches = new OpenBatches((item, error, value) => this.#settle(item, error, value), this.metrics, onClosed);
  }

  get queueDepth(): number {
    return this.#queue.length;
  }

  get inFlight(): number {
    return this.#openBatches.operations;
  }

  /** Starts the worker and opens its shard file; rejects with the worker's start-up error. */
  async start(): Promise<void> {
    const started = await this.#worker.start();
    if (isAsynxError(started)) throw started;
    this.metrics.logOpened(started.head);
  }

  /**
   * Queues an operation. Rejects at once with `QueueFullError` when the queue
   * is full (or waits for room with `onFull: 'wait'`).
   */
  enqueue(op: ShardRequest, signal?: AbortSignal): Promise<OpResult> {
    // With room in the queue and no send waiting for it, no async wrapper: a promise and a microtask fewer per operation.
    if (this.#queue.length < this.#options.queueDepth && this.#roomWaiters.size === 0) return this.#admit(op, signal);
    if (this.#options.onFull === 'reject') {
      return Promise.reject(
        new QueueFullError(`shard ${this.index} has ${this.#queue.length} operations waiting (queueDepth ${this.#options.queueDepth})`, {
          shard: this.index,
          queueDepth: this.#options.queueDepth,
        }),
      );
    }
    // Behind the sends already waiting: operations are queued in the order they were sent.
    return this.#roomWaiters.wait(signal, () => this.#admit(op, signal));
  }

  /** Queues a durable subscription's own read or save however full the queue (refused, it would stop for good); they stay few. */
  enqueueInternal(op: ShardRequest): Promise<OpResult> {
    return this.#admit(op, undefined);
  }

  /** Queues `op` now: the queue has room. */
  #admit(op: ShardRequest, signal: AbortSignal | undefined): Promise<OpResult> {
    if (this.#closed) return Promise.reject(new ShuttingDownError(`shard ${this.index} is closed`));
    if (this.#worker.broken !== undefined) return Promise.reject(this.#worker.broken);
    if (signal?.aborted === true) return Promise.reject(new AbortError('the signal was already aborted; not executed', { executed: false }));
    const reply = this.#forgets.answerRead(op);
    if (reply !== undefined) return answered(reply);
    return new Promise<OpResult>((resolve, reject) => {
      const item: QueuedOp = {
        op,
        enqueuedAt: performance.now(),
        resolve,
        reject,
        stopWatchingSignal: undefined,
        dispatched: false,
        settled: false,
      };
      if (signal !== undefined) item.stopWatchingSignal = whenAborted(signal, () => this.#abort(item));
      this.#queue.push(item);
      this.#schedule();
    });
  }

  /** Resolves once nothing is queued, running or waiting for its events. */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Rejects everything still queued (not yet sent to the worker) with `error`. */
  rejectQueued(error: AsynxError): void {
    for (const item of this.#queue.takeAll()) this.#settle(item, error);
    this.#wakeRoomWaiters();
    this.#checkIdle();
  }

  /** Closes the shard file and stops the worker. Call after `whenIdle()` for an orderly close. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.rejectQueued(new ShuttingDownError(`shard ${this.index} closed`));
    if (this.#busy) await this.#worker.destroy();
    else await this.#worker.close();
    this.#openBatches.failAll(new ShuttingDownError(`shard ${this.index} closed before this operation finished`, { executed: 'unknown' }));
  }

  /** Stops the worker now; anything unfinished rejects with `ShuttingDownError`, saying the shard was `stopped` (by whom). */
  async destroy(stopped = 'destroyed'): Promise<void> {
    this.#closed = true;
    this.rejectQueued(new ShuttingDownError(`shard ${this.index} ${stopped}`));
    this.#openBatches.failAll(new ShuttingDownError(`shard ${this.index} ${stopped} before this operation finished`, { executed: 'unknown' }));
    await this.#worker.destroy();
  }

  #schedule(): void {
    if (this.#busy || this.#scheduled) return;
    this.#scheduled = true;
    // A microtask lets a burst of synchronous sends join one batch.
    queueMicrotask(() => {
      this.#scheduled = false;
      void this.#dispatch();
    });
  }

  async #dispatch(): Promise<void> {
    if (this.#busy) return;
    const erasable = this.#forgets.erasable();
    if (erasable !== undefined) return this.#erase(erasable);
    if (this.#queue.length === 0) return;
    this.#busy = true;
    try {
      const relief = this.#hooks.backpressure();
      if (relief !== undefined) await relief;
      const items = takeBatch(this.#queue, this.#options.maxBatch, this.#forgets);
      this.#wakeRoomWaiters();
      if (items.length === 0) return;
      const batchId = this.#nextBatchId++;
      this.#openBatches.open(batchId, items);
      for (const item of items) item.dispatched = true;
      this.metrics.recordBatch(items.length);
      let reply: BatchReply;
      try {
        reply = await this.#worker.run(batchId, items.map((item) => item.op));
      } catch (thrown) {
        this.#openBatches.close(batchId);
        const error = isAsynxError(thrown) ? thrown : new ShardCrashedError(describeThrown(thrown).message, { executed: 'unknown' });
        for (const item of items) this.#settle(item, error);
        // A shard that cannot restart fails what waits for it too.
        if (this.#worker.broken !== undefined) this.rejectQueued(this.#worker.broken);
        return;
      }
      this.metrics.cache = reply.cache;
      const forget = items[0]!.op.kind === 'forget' ? outcomeAt(reply.outcomes, 0) : undefined;
      if (forget?.kind === 'value') {
        this.#deliverTombstone(new PendingForget(batchId, items[0]!, forget.value as StoredEvent));
        return;
      }
      this.#openBatches.reply(batchId, reply.outcomes);
    } finally {
      this.#busy = false;
      this.#checkIdle();
      if (hasRunnable(this.#queue, this.#forgets)) this.#schedule();
    }
  }

  /** Hands the tombstone to its handlers; the erasure runs once they have settled (see pending-forget.ts). */
  #deliverTombstone(forget: PendingForget): void {
    this.#forgets.add(forget);
    answerQueuedReads(this.#queue, this.#forgets, (item, error, value) => this.#settle(item, error, value));
    this.#wakeRoomWaiters();
    const erasable = (): void => {
      forget.delivered = true;
      this.#schedule();
    };
    this.#hooks.onForget(forget.tombstone, forget.erased).then(erasable, erasable);
  }

  /** Erases the forgotten aggregate, then settles `forget` and lets what waited for it run. */
  async #erase(forget: PendingForget): Promise<void> {
    // Destroyed meanwhile: the forget was already failed, and its worker is gone.
    if (this.#closed) return;
    this.#busy = true;
    const error = await erase(this.#worker, forget);
    this.#forgets.delete(forget);
    this.#settle(forget.item, error, forget.tombstone);
    this.#openBatches.close(forget.batchId);
    this.#busy = false;
    this.#checkIdle();
    if (hasRunnable(this.#queue, this.#forgets)) this.#schedule();
  }

  #onNotice(message: ShardNotice): void {
    if (message.kind !== 'events') {
      this.#hooks.onReport(message);
      return;
    }
    const last = message.events[message.events.length - 1];
    if (last !== undefined) {
      if (last.position > this.lastPosition) this.lastPosition = last.position;
      this.metrics.logReached(last.position);
    }
    this.#hooks.onEvents(message.events);
    this.#openBatches.events(message.batchId, message.events);
  }

  #abort(item: QueuedOp): void {
    if (item.settled) return;
    if (!item.dispatched) {
      this.#settle(item, new AbortError('aborted while queued; it was not executed', { executed: false }));
      this.#queue.abandoned();
      this.#wakeRoomWaiters();
      this.#checkIdle();
      return;
    }
    this.#settle(
      item,
      new AbortError('aborted after it was sent to its shard; it may still be committed: re-send with the same commandId to find out', {
        executed: 'unknown',
      }),
    );
  }

  #settle(item: QueuedOp, error: AsynxError | undefined, value?: OpResult): void {
    if (item.settled) return;
    item.settled = true;
    item.stopWatchingSignal?.();
    // Only what reached the shard: a command aborted or refused while queued never ran.
    if (item.dispatched && item.op.kind === 'command') this.metrics.recordLatency(performance.now() - item.enqueuedAt);
    if (error === undefined) item.resolve(value);
    else item.reject(error);
  }

  #wakeRoomWaiters(): void {
    this.#roomWaiters.admit(() => this.#queue.length < this.#options.queueDepth);
  }

  #isIdle(): boolean {
    return !this.#busy && this.#queue.length === 0 && this.#openBatches.size === 0;
  }

  #checkIdle(): void {
    if (!this.#isIdle() || this.#idleWaiters.length === 0) return;
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }
}
