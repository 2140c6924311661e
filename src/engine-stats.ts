/** What `engine.stats()` returns, and how a shard's figures are read off its handle. */
import type { SubscriberStats } from './event-bus.js';
import type { CacheCounters } from './protocol.js';
import type { ShardHandle } from './shard-handle.js';
import { BATCH_SIZE_BUCKETS, type LatencySummary } from './shard-metrics.js';

export interface ShardStats {
  readonly shard: number;
  /** Operations waiting in the main-thread queue. */
  readonly queueDepth: number;
  /** Operations sent to the worker and not yet settled. */
  readonly inFlight: number;
  /**
   * Commands committed since open, including those of a batch whose worker
   * died (their callers got `ShardCrashedError`): counted once the main
   * thread learns of them, from the events the worker posted before it died
   * or, for any it never posted, when its replacement starts.
   */
  readonly committed: number;
  /**
   * Commands that settled without a new event: rejected by the domain, failed
   * by user code, idempotency conflicts, failed commits. Commands failed by a
   * worker crash count in `crashes` (per crash), not here.
   */
  readonly rejected: number;
  /**
   * Worker deaths, in a batch (watchdog stops included) or between batches.
   * A new worker starts with the shard's next operation; if that start fails,
   * the shard's operations reject with its error from then on.
   */
  readonly crashes: number;
  /** Set once a restart failed: the error every operation on the shard now rejects with (reopen the engine to retry). */
  readonly broken: string | undefined;
  /** Tasks sent to the worker: command batches, and reads, history pages and durable-subscription work. */
  readonly batches: number;
  readonly meanBatchSize: number;
  readonly maxBatchSize: number;
  /** Count of batches per size bucket: `{ upTo: 1, count }, { upTo: 2, count }, …` */
  readonly batchSizes: ReadonlyArray<{ readonly upTo: number; readonly count: number }>;
  readonly latency: LatencySummary;
  /** The shard's state cache, as of its last batch: hits, misses and aggregates held. */
  readonly cache: CacheCounters;
}

export interface EngineStats {
  readonly shards: ShardStats[];
  readonly bus: {
    /** Committed events handed to the bus; `forget` tombstones are never stored and not counted. */
    readonly published: number;
    readonly subscribers: SubscriberStats[];
  };
}

export function shardStats(shard: ShardHandle): ShardStats {
  const m = shard.metrics;
  return {
    shard: shard.index,
    queueDepth: shard.queueDepth,
    inFlight: shard.inFlight,
    committed: m.committed,
    rejected: m.rejected,
    crashes: m.crashes,
    broken: m.broken,
    batches: m.batches,
    meanBatchSize: m.batches === 0 ? 0 : m.batchedOps / m.batches,
    maxBatchSize: m.maxBatch,
    batchSizes: BATCH_SIZE_BUCKETS.map((upTo, i) => ({ upTo, count: m.batchSizes[i] ?? 0 })),
    latency: m.latency(),
    cache: m.cache,
  };
}
