/**
 * A shard's operations not yet sent to its worker, in the order they were
 * sent. An operation aborted while queued is settled where it stands and
 * only counted out (`abandoned`): finding and splicing it out of a queue of
 * tens of thousands made aborting many sends quadratic. Settled operations
 * are skipped by every read, dropped from the front as batches are taken,
 * and the whole array is compacted once they outnumber the live ones, so an
 * abort costs O(1) amortised and dead operations never hold more than half
 * of the array.
 */
import { batchLength } from './batch-length.js';
import type { QueuedOp } from './open-batches.js';
import type { ShardRequest } from './protocol.js';

export class OpQueue {
  /** Live operations in order, with settled (aborted) ones among them. */
  #items: QueuedOp[] = [];
  #live = 0;

  /** Operations still waiting: what `queueDepth` limits and `stats()` reports. */
  get length(): number {
    return this.#live;
  }

  push(item: QueuedOp): void {
    this.#items.push(item);
    this.#live++;
  }

  /** Counts out a queued operation the caller has just settled where it stands (aborted); it leaves the array later. */
  abandoned(): void {
    this.#live--;
    this.#compactIfSparse();
  }

  /** Whether some live operation satisfies `test`. */
  some(test: (item: QueuedOp) => boolean): boolean {
    for (const item of this.#items) if (!item.settled && test(item)) return true;
    return false;
  }

  /**
   * Takes the next batch, in queue order: the first live operations that
   * `runs` lets through (all of them without it), as many as `batchLength`
   * allows. Those `runs` holds back keep their places.
   */
  take(maxBatch: number, runs?: (op: ShardRequest) => boolean): QueuedOp[] {
    if (runs === undefined && this.#live === this.#items.length) {
      // Nothing aborted in the queue: the batch is its front.
      const batch = this.#items.splice(0, batchLength(this.#items, maxBatch));
      this.#live -= batch.length;
      return batch;
    }
    const candidates: QueuedOp[] = [];
    for (let i = 0; i < this.#items.length && candidates.length < maxBatch; i++) {
      const item = this.#items[i]!;
      if (!item.settled && (runs === undefined || runs(item.op))) candidates.push(item);
    }
    const batch = candidates.slice(0, batchLength(candidates, maxBatch));
    if (runs === undefined) {
      this.#dropFront(batch.length);
      this.#compactIfSparse();
    } else {
      const taken = new Set(batch);
      this.takeWhere((item) => taken.has(item));
    }
    return batch;
  }

  /** Takes out the live operations that satisfy `test`, in order; the others keep their places. */
  takeWhere(test: (item: QueuedOp) => boolean): QueuedOp[] {
    const taken: QueuedOp[] = [];
    let kept = 0;
    for (const item of this.#items) {
      if (item.settled) continue;
      if (test(item)) taken.push(item);
      else this.#items[kept++] = item;
    }
    this.#items.length = kept;
    this.#live = kept;
    return taken;
  }

  /** Takes out every live operation, in order, and leaves the queue empty. */
  takeAll(): QueuedOp[] {
    const live = this.#items.filter((item) => !item.settled);
    this.#items = [];
    this.#live = 0;
    return live;
  }

  /** Removes the first `count` live operations, and the settled ones before them. */
  #dropFront(count: number): void {
    let end = 0;
    for (let taken = 0; taken < count; end++) if (!this.#items[end]!.settled) taken++;
    this.#items.splice(0, end);
    this.#live -= count;
  }

  /** Compacts once settled operations outnumber live ones: the array is then under twice their number, so each abort pays O(1) for it. */
  #compactIfSparse(): void {
    const dead = this.#items.length - this.#live;
    if (dead <= this.#live) return;
    this.#items = this.#live === 0 ? [] : this.#items.filter((item) => !item.settled);
  }
}
