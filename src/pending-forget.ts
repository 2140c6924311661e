/**
 * A `forget` between its tombstone and its erasure. The tombstone's handlers
 * may read or change other aggregates of the same shard and wait for that,
 * so the shard keeps running everything else meanwhile: only operations on
 * the forgotten aggregate, and other forgets, wait for the erasure, which
 * then runs before anything else.
 */
import { batchLength } from './batch-length.js';
import { ShardCrashedError, describeThrown, fromWire, isAsynxError, type AsynxError } from './errors.js';
import type { StoredEvent } from './event.js';
import type { QueuedOp } from './open-batches.js';
import { outcomeAt } from './outcome-wire.js';
import type { ShardRequest } from './protocol.js';
import type { ShardWorker } from './shard-worker.js';

export class PendingForget {
  readonly batchId: number;
  readonly item: QueuedOp;
  readonly tombstone: StoredEvent;
  /** Set once every handler of the tombstone has settled: the erasure may run. */
  delivered = false;

  constructor(batchId: number, item: QueuedOp, tombstone: StoredEvent) {
    this.batchId = batchId;
    this.item = item;
    this.tombstone = tombstone;
  }

  /** Whether `op` must wait for the erasure. */
  holdsBack(op: ShardRequest): boolean {
    return op.kind === 'forget' || ('aggregateId' in op && op.aggregateId === this.tombstone.aggregateId);
  }
}

/**
 * Takes the next batch out of `queue`, in queue order. While a forget is
 * pending, the operations it holds back stay queued, in their order, and the
 * batch is made of those behind them that may run.
 */
export function takeBatch(queue: QueuedOp[], maxBatch: number, pending: PendingForget | undefined): QueuedOp[] {
  if (pending === undefined) return queue.splice(0, batchLength(queue, maxBatch));
  const runnable: QueuedOp[] = [];
  for (const item of queue) {
    if (runnable.length === maxBatch) break;
    if (!pending.holdsBack(item.op)) runnable.push(item);
  }
  const batch = runnable.slice(0, batchLength(runnable, maxBatch));
  const taken = new Set(batch);
  let kept = 0;
  for (const item of queue) if (!taken.has(item)) queue[kept++] = item;
  queue.length = kept;
  return batch;
}

/** Whether a dispatch would find something to do: while a forget is pending, some of the queue waits for it. */
export function hasRunnable(queue: readonly QueuedOp[], pending: PendingForget | undefined): boolean {
  if (pending === undefined) return queue.length > 0;
  return pending.delivered || queue.some((item) => !pending.holdsBack(item.op));
}

/** Deletes the forgotten aggregate's events and snapshot; the error, if that failed. */
export async function erase(worker: ShardWorker, pending: PendingForget): Promise<AsynxError | undefined> {
  try {
    const reply = await worker.run(pending.batchId, [{ kind: 'erase', aggregateId: pending.tombstone.aggregateId }]);
    const outcome = outcomeAt(reply.outcomes, 0);
    return outcome?.kind === 'failed' ? fromWire(outcome.error) : undefined;
  } catch (thrown) {
    return isAsynxError(thrown) ? thrown : new ShardCrashedError(describeThrown(thrown).message);
  }
}
