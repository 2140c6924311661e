/**
 * Which Prometheus metrics the engine's `stats()` becomes: name, kind, help
 * text, labels and how to read each from one `stats()` snapshot. Plain data,
 * no prom-client: `asynx-ts/prometheus` registers them (src/prometheus.ts).
 */
import type { EngineStats } from './engine-stats.js';
import type { SubscriberStats } from './event-bus.js';

export type Labels = Record<string, string>;
type Sample = readonly [labels: Labels, value: number];
type Read = (stats: EngineStats) => Sample[];

/** The latency quantiles `stats()` reports, with the field that holds each. */
const QUANTILES = [
  ['0.5', 'p50Ms'],
  ['0.99', 'p99Ms'],
  ['0.999', 'p999Ms'],
] as const;

/** Subscribers that share a name are reported as one: their counts are summed. */
interface SubscriberTotals {
  delivered: number;
  failed: number;
  pending: number;
  lag: number[];
  checkpoints: number[] | undefined;
}

function bySubscriber(subscribers: readonly SubscriberStats[]): Map<string, SubscriberTotals> {
  const totals = new Map<string, SubscriberTotals>();
  for (const s of subscribers) {
    const entry = totals.get(s.name) ?? { delivered: 0, failed: 0, pending: 0, lag: [], checkpoints: undefined };
    entry.delivered += s.delivered;
    entry.failed += s.failed;
    entry.pending += s.pending;
    s.lag.forEach((lag, shard) => (entry.lag[shard] = (entry.lag[shard] ?? 0) + lag));
    if (s.checkpoints !== undefined) {
      const previous = entry.checkpoints;
      entry.checkpoints = s.checkpoints.map((position, shard) => Math.min(position, previous?.[shard] ?? position));
    }
    totals.set(s.name, entry);
  }
  return totals;
}

const perShard =
  (pick: (shard: EngineStats['shards'][number]) => number): Read =>
  (stats) =>
    stats.shards.map((s) => [{ shard: String(s.shard) }, pick(s)] as const);

const perSubscriber =
  (pick: (totals: SubscriberTotals) => number): Read =>
  (stats) =>
    [...bySubscriber(stats.bus.subscribers)].map(([subscriber, totals]) => [{ subscriber }, pick(totals)] as const);

const perSubscriberShard =
  (pick: (totals: SubscriberTotals) => readonly number[] | undefined): Read =>
  (stats) =>
    [...bySubscriber(stats.bus.subscribers)].flatMap(([subscriber, totals]) =>
      (pick(totals) ?? []).map((value, shard) => [{ subscriber, shard: String(shard) }, value] as const),
    );

export interface Definition {
  readonly name: string;
  readonly kind: 'counter' | 'gauge';
  readonly help: string;
  readonly labels: readonly string[];
  readonly read: Read;
}

/** Every counter and gauge, by name without the prefix. The batch size histogram is built separately. */
export const METRIC_DEFINITIONS: readonly Definition[] = [
  { name: 'shards', kind: 'gauge', help: 'Number of shards (worker threads, one SQLite file each).', labels: [], read: (s) => [[{}, s.shards.length]] },
  {
    name: 'shard_queue_depth',
    kind: 'gauge',
    help: 'Operations waiting in the shard\'s main-thread queue.',
    labels: ['shard'],
    read: perShard((s) => s.queueDepth),
  },
  {
    name: 'shard_in_flight',
    kind: 'gauge',
    help: 'Operations sent to the shard\'s worker and not yet settled.',
    labels: ['shard'],
    read: perShard((s) => s.inFlight),
  },
  {
    name: 'commands_committed_total',
    kind: 'counter',
    help: 'Commands whose event was committed to the shard file, those of a batch whose worker died included once known.',
    labels: ['shard'],
    read: perShard((s) => s.committed),
  },
  {
    name: 'commands_rejected_total',
    kind: 'counter',
    help: 'Commands that failed in the shard: rejected by the domain, failed in user code, or whose commit failed.',
    labels: ['shard'],
    read: perShard((s) => s.rejected),
  },
  {
    name: 'shard_crashes_total',
    kind: 'counter',
    help: 'Deaths of the shard\'s worker thread, in a batch or between batches; a new worker starts with the shard\'s next operation.',
    labels: ['shard'],
    read: perShard((s) => s.crashes),
  },
  {
    name: 'shard_broken',
    kind: 'gauge',
    help: '1 once a restart of the shard\'s worker failed: every operation on the shard rejects with that error until the engine is reopened.',
    labels: ['shard'],
    read: perShard((s) => (s.broken === undefined ? 0 : 1)),
  },
  {
    name: 'batches_total',
    kind: 'counter',
    help: 'Batches sent to the shard\'s worker (each one SQLite transaction for its writes).',
    labels: ['shard'],
    read: perShard((s) => s.batches),
  },
  {
    name: 'batch_size_max',
    kind: 'gauge',
    help: 'Largest batch sent to the shard so far, in operations.',
    labels: ['shard'],
    read: perShard((s) => s.maxBatchSize),
  },
  {
    name: 'command_latency_seconds',
    kind: 'gauge',
    help: 'Time from send to the durable acknowledgement or rejection, quantiles over the shard\'s most recent commands (up to 8192); NaN before the first.',
    labels: ['shard', 'quantile'],
    // NaN, as a Prometheus summary shows quantiles of no observations: 0 would read as instant commands.
    read: (stats) =>
      stats.shards.flatMap((s) =>
        QUANTILES.map(([quantile, field]) => [{ shard: String(s.shard), quantile }, s.latency.samples === 0 ? NaN : s.latency[field] / 1000] as const),
      ),
  },
  {
    name: 'command_latency_samples',
    kind: 'gauge',
    help: 'Commands behind the command_latency_seconds quantiles of the shard.',
    labels: ['shard'],
    read: perShard((s) => s.latency.samples),
  },
  {
    name: 'cache_hits_total',
    kind: 'counter',
    help: 'Commands and reads served from the shard\'s state cache (as of its last batch; restarts at 0 with the worker).',
    labels: ['shard'],
    read: perShard((s) => s.cache.hits),
  },
  {
    name: 'cache_misses_total',
    kind: 'counter',
    help: 'Aggregates the shard had to load from its file (as of its last batch; restarts at 0 with the worker).',
    labels: ['shard'],
    read: perShard((s) => s.cache.misses),
  },
  {
    name: 'cache_aggregates',
    kind: 'gauge',
    help: 'Aggregates held in the shard\'s state cache (as of its last batch).',
    labels: ['shard'],
    read: perShard((s) => s.cache.size),
  },
  {
    name: 'events_published_total',
    kind: 'counter',
    help: 'Committed events handed to the main-thread bus.',
    labels: [],
    read: (s) => [[{}, s.bus.published]],
  },
  {
    name: 'subscriber_delivered_total',
    kind: 'counter',
    help: 'Events the subscriber handled without error.',
    labels: ['subscriber'],
    read: perSubscriber((t) => t.delivered),
  },
  {
    name: 'subscriber_failed_total',
    kind: 'counter',
    help: 'Events whose handler threw, rejected or timed out.',
    labels: ['subscriber'],
    read: perSubscriber((t) => t.failed),
  },
  {
    name: 'subscriber_pending',
    kind: 'gauge',
    help: 'Events queued for the subscriber and not yet handled.',
    labels: ['subscriber'],
    read: perSubscriber((t) => t.pending),
  },
  {
    name: 'subscriber_lag',
    kind: 'gauge',
    help: 'How far behind the subscriber is on the shard: positions between a durable subscription\'s checkpoint and the shard\'s last commit, otherwise events waiting for the handler.',
    labels: ['subscriber', 'shard'],
    read: perSubscriberShard((t) => t.lag),
  },
  {
    name: 'subscriber_checkpoint_position',
    kind: 'gauge',
    help: 'Shard position up to which a durable subscription has handled every event.',
    labels: ['subscriber', 'shard'],
    read: perSubscriberShard((t) => t.checkpoints),
  },
];

/** Upper bounds of the batch size histogram, as in `stats().shards[i].batchSizes` (the last is +Inf). */
