/**
 * Forgets between their tombstone and their erasure. The tombstone's
 * handlers may read or change other aggregates of the same shard, forget
 * them too, and wait for that, so the shard keeps running everything else
 * meanwhile: only commands (and forgets) for an aggregate being forgotten
 * wait for its erasure, which then runs before anything else; reads of it
 * are answered at once as of after the forget. Per aggregate, operations
 * still run in the order they were sent: those queued behind a forget are
 * held until its erasure, and a forget is sent to the worker alone (see
 * batch-length.ts), so nothing behind it can join its batch.
 */
import { NotFoundError, ShardCrashedError, describeThrown, fromWire, isAsynxError, type AsynxError } from './errors.js';
import type { StoredEvent } from './event.js';
import { encodeEvents } from './event-wire.js';
import type { QueuedOp } from './open-batches.js';
import type { OpQueue } from './op-queue.js';
import { outcomeAt } from './outcome-wire.js';
import type { EncodedPage, ShardRequest } from './protocol.js';
import type { ShardWorker } from './shard-worker.js';

export class PendingForget {
  readonly batchId: number;
  readonly item: QueuedOp;
  readonly tombstone: StoredEvent;
  /** Set once every handler of the tombstone has settled: the erasure may run. */
  delivered = false;
  /** Settles once the erasure has run: with whether it went through (if not, the events stay stored). */
  readonly erased: Promise<boolean>;
  /** Settles {@link erased}. */
  readonly erasureDone: (erased: boolean) => void;

  constructor(batchId: number, item: QueuedOp, tombstone: StoredEvent) {
    this.batchId = batchId;
    this.item = item;
    this.tombstone = tombstone;
    let done!: (erased: boolean) => void;
    this.erased = new Promise((resolve) => (done = resolve));
    this.erasureDone = done;
  }
}

/** A read's answer without the shard: its value, or the error it rejects with. */
export type ReadAnswer = { readonly value: unknown } | { readonly error: AsynxError };

/** The pending forgets of one shard, by aggregate. */
export class PendingForgets {
  readonly #byAggregate = new Map<string, PendingForget>();
  /** The domain's aggregate type, for the messages of reads answered here. */
  readonly #aggregate: string;

  constructor(aggregate: string) {
    this.#aggregate = aggregate;
  }

  /**
   * The answer to a read of an aggregate being forgotten. Anything queued for
   * it now was sent after its `forget`, so it must see the aggregate gone;
   * answered here, it does not wait for the erasure, which may wait for the
   * very handler that reads (two aggregates forgotten at once whose handlers
   * read each other). `undefined` for any other operation.
   */
  answerRead(op: ShardRequest): ReadAnswer | undefined {
    if (!this.holdsBack(op)) return undefined;
    switch (op.kind) {
      case 'get':
        return { error: new NotFoundError(`${this.#aggregate} ${op.aggregateId} does not exist`, { aggregateId: op.aggregateId }) };
      case 'exists':
      case 'preload':
        return { value: false };
      case 'history': {
        const page: EncodedPage = { events: encodeEvents([]), latestVersion: 0, firstPosition: 0 };
        return { value: page };
      }
      default:
        return undefined;
    }
  }

  get size(): number {
    return this.#byAggregate.size;
  }

  add(forget: PendingForget): void {
    this.#byAggregate.set(forget.tombstone.aggregateId, forget);
  }

  delete(forget: PendingForget): void {
    this.#byAggregate.delete(forget.tombstone.aggregateId);
  }

  /** A forget whose tombstone every handler has settled: its erasure may run. */
  erasable(): PendingForget | undefined {
    for (const forget of this.#byAggregate.values()) if (forget.delivered) return forget;
    return undefined;
  }

  /** Whether `op` must wait for an erasure: it is about an aggregate being forgotten. */
  holdsBack(op: ShardRequest): boolean {
    return this.#byAggregate.size > 0 && 'aggregateId' in op && this.#byAggregate.has(op.aggregateId);
  }
}

/** Answers the reads queued for `forget`'s aggregate (see {@link PendingForgets.answerRead}) and takes them out of `queue`. */
export function answerQueuedReads(queue: OpQueue, pending: PendingForgets, settle: (item: QueuedOp, error?: AsynxError, value?: unknown) => void): void {
  for (const item of queue.takeWhere((queued) => pending.answerRead(queued.op) !== undefined)) {
    const reply = pending.answerRead(item.op)!;
    if ('error' in reply) settle(item, reply.error);
    else settle(item, undefined, reply.value);
  }
}

/** A read's answer as the promise its caller gets. */
export function answered(reply: ReadAnswer): Promise<unknown> {
  return 'error' in reply ? Promise.reject(reply.error) : Promise.resolve(reply.value);
}

/**
 * Takes the next batch out of `queue`, in queue order. While forgets are
 * pending, the operations they hold back stay queued, in their order, and the
 * batch is made of those around them that may run.
 */
export function takeBatch(queue: OpQueue, maxBatch: number, pending: PendingForgets): QueuedOp[] {
  if (pending.size === 0) return queue.take(maxBatch);
  return queue.take(maxBatch, (op) => !pending.holdsBack(op));
}

/** Whether a dispatch would find something to do: while forgets are pending, some of the queue waits for them. */
export function hasRunnable(queue: OpQueue, pending: PendingForgets): boolean {
  if (pending.size === 0) return queue.length > 0;
  return pending.erasable() !== undefined || queue.some((item) => !pending.holdsBack(item.op));
}

/** Deletes the forgotten aggregate's events and snapshot, and settles `pending.erased`; the error, if that failed. */
export async function erase(worker: ShardWorker, pending: PendingForget): Promise<AsynxError | undefined> {
  let error: AsynxError | undefined;
  try {
    const reply = await worker.run(pending.batchId, [{ kind: 'erase', aggregateId: pending.tombstone.aggregateId }]);
    const outcome = outcomeAt(reply.outcomes, 0);
    error = outcome?.kind === 'failed' ? fromWire(outcome.error) : undefined;
  } catch (thrown) {
    error = isAsynxError(thrown) ? thrown : new ShardCrashedError(describeThrown(thrown).message);
  }
  pending.erasureDone(error === undefined);
  return error;
}
