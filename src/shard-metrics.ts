/**
 * Counters and distributions of one shard, kept on the main thread where
 * every operation is queued and settled.
 */
import { percentile } from './percentile.js';
import type { CacheCounters } from './protocol.js';

/** Batch size buckets: a batch of n operations counts in the first bucket with n <= bound. */
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, Number.POSITIVE_INFINITY] as const;

/** Latency samples kept for percentiles (a ring of the most recent commands). */
const LATENCY_SAMPLES = 8192;

export interface LatencySummary {
  /** Milliseconds from `send` to the durable acknowledgement (or rejection), over recent commands. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly samples: number;
}

export class ShardMetrics {
  cache: CacheCounters = { hits: 0, misses: 0, size: 0 };
  /**
   * Commands committed since open, counted from how far the shard's log moved:
   * each committed command stores one event, at the next position, and
   * positions have no gaps. So commands of a batch whose worker died count
   * too, once the main thread learns of them: from their events, which a
   * dying worker may still have posted, or from its replacement's head.
   */
  committed = 0;
  /** The shard's last event position as far as the main thread knows. */
  #head = 0;
  rejected = 0;
  crashes = 0;
  /** Why the shard's worker cannot be restarted, once a restart failed: every later operation rejects with it. */
  broken: string | undefined;
  batches = 0;
  batchedOps = 0;
  maxBatch = 0;
  readonly batchSizes: number[] = BATCH_SIZE_BUCKETS.map(() => 0);
  readonly #latencies = new Float64Array(LATENCY_SAMPLES);
  #latencyCount = 0;

  /** The first worker opened the log at `head`: what was committed before is not counted. */
  logOpened(head: number): void {
    this.#head = head;
  }

  /** An event at `position` arrived: the log reached it. */
  logReached(position: number): void {
    if (position <= this.#head) return;
    this.committed += position - this.#head;
    this.#head = position;
  }

  /** A replacement worker opened the log at `head`; returns the commits its dead predecessor never reported. */
  logReopened(head: number): number {
    // Behind what is known: a new, empty log (a ':memory:' shard starts over).
    if (head < this.#head) {
      this.#head = head;
      return 0;
    }
    const unreported = head - this.#head;
    this.logReached(head);
    return unreported;
  }

  recordBatch(size: number): void {
    this.batches++;
    this.batchedOps += size;
    if (size > this.maxBatch) this.maxBatch = size;
    const bucket = BATCH_SIZE_BUCKETS.findIndex((bound) => size <= bound);
    this.batchSizes[bucket] = (this.batchSizes[bucket] ?? 0) + 1;
  }

  recordLatency(ms: number): void {
    this.#latencies[this.#latencyCount % LATENCY_SAMPLES] = ms;
    this.#latencyCount++;
  }

  latency(): LatencySummary {
    const count = Math.min(this.#latencyCount, LATENCY_SAMPLES);
    if (count === 0) return { p50Ms: 0, p99Ms: 0, p999Ms: 0, samples: 0 };
    const sorted = this.#latencies.slice(0, count).sort();
    return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), p999Ms: percentile(sorted, 0.999), samples: count };
  }
}
