/**
 * `asynx-ts/prometheus`: the engine's `stats()` as Prometheus metrics, read
 * when the registry is scraped (nothing runs between scrapes). Uses the
 * optional peer dependency `prom-client`, which only this entry point loads.
 *
 * ```ts
 * import { Registry } from 'prom-client';
 * import { registerMetrics } from 'asynx-ts/prometheus';
 * const registry = new Registry();
 * registerMetrics(engine, { registry });
 * // GET /metrics → await registry.metrics()
 * ```
 */
import { Counter, Gauge, Histogram, register as globalRegistry, type Registry, type RegistryContentType } from 'prom-client';
import type { EngineStats } from './engine-stats.js';
import type { SubscriberStats } from './event-bus.js';

export interface MetricsOptions {
  /** Where to register (Prometheus or OpenMetrics format). @default prom-client's global `register` */
  readonly registry?: Registry<RegistryContentType>;
  /** Prepended to every metric name. @default 'asynx_' */
  readonly prefix?: string;
}

/** Anything with the engine's `stats()`: an `Engine` of any domain. */
export interface StatsSource {
  stats(): EngineStats;
}

export interface EngineMetrics {
  readonly registry: Registry<RegistryContentType>;
  /** The full names of the registered metrics. */
  readonly names: readonly string[];
  /** Removes this engine's metrics from the registry (for example after `engine.close()`). */
  unregister(): void;
}

type Labels = Record<string, string>;
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

interface Definition {
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
    help: 'Commands whose event was committed to the shard file.',
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
    help: 'Deaths of the shard\'s worker thread, each followed by a restart.',
    labels: ['shard'],
    read: perShard((s) => s.crashes),
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
    help: 'Time from send to the durable acknowledgement or rejection, quantiles over the shard\'s most recent commands (up to 8192).',
    labels: ['shard', 'quantile'],
    read: (stats) =>
      stats.shards.flatMap((s) => QUANTILES.map(([quantile, field]) => [{ shard: String(s.shard), quantile }, s.latency[field] / 1000] as const)),
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
const BATCH_BOUNDS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

interface HistogramSample {
  readonly value: number;
  readonly labels: Labels;
  readonly metricName: string;
}

/**
 * The batch size histogram, built from the bucket counts `stats()` already
 * keeps instead of from observations: `get` is overridden to report them.
 */
class BatchSizeHistogram extends Histogram<'shard'> {
  readonly #snapshot: () => EngineStats;

  constructor(name: string, snapshot: () => EngineStats) {
    super({ name, help: 'Operations per batch sent to the shard\'s worker.', labelNames: ['shard'], buckets: BATCH_BOUNDS, registers: [] });
    this.#snapshot = snapshot;
  }

  #values(): HistogramSample[] {
    const name = (this as unknown as { name: string }).name;
    return this.#snapshot().shards.flatMap((s) => {
      const shard = String(s.shard);
      let cumulative = 0;
      const buckets = s.batchSizes.map(({ upTo, count }): HistogramSample => {
        cumulative += count;
        return { value: cumulative, labels: { shard, le: Number.isFinite(upTo) ? String(upTo) : '+Inf' }, metricName: `${name}_bucket` };
      });
      return [
        ...buckets,
        { value: Math.round(s.meanBatchSize * s.batches), labels: { shard }, metricName: `${name}_sum` },
        { value: s.batches, labels: { shard }, metricName: `${name}_count` },
      ];
    });
  }

  /** What the registry formats. */
  async getForPromString(): ReturnType<Histogram<'shard'>['get']> {
    const self = this as unknown as { name: string; help: string; aggregator: string };
    return { name: self.name, help: self.help, type: 'histogram', aggregator: self.aggregator, values: this.#values() } as unknown as Awaited<
      ReturnType<Histogram<'shard'>['get']>
    >;
  }

  override async get(): ReturnType<Histogram<'shard'>['get']> {
    return this.getForPromString();
  }
}

/**
 * Registers collect-on-scrape metrics for `engine` (see the README's
 * "Metrics" section for the list). `stats()` is read once per scrape.
 * Throws if a metric of the same name is already registered: give a second
 * engine its own registry or prefix.
 */
export function registerMetrics(engine: StatsSource, options: MetricsOptions = {}): EngineMetrics {
  const registry: Registry<RegistryContentType> = options.registry ?? globalRegistry;
  const prefix = options.prefix ?? 'asynx_';
  if (typeof engine?.stats !== 'function') throw new TypeError('registerMetrics(engine): engine must have a stats() method');
  if (!/^([A-Za-z_:][A-Za-z0-9_:]*)?$/.test(prefix)) throw new TypeError(`registerMetrics(): prefix ${JSON.stringify(prefix)} is not a valid start of a metric name`);

  // One stats() per scrape: the registry collects every metric in the same turn of the event loop.
  let cached: EngineStats | undefined;
  const snapshot = (): EngineStats => {
    if (cached === undefined) {
      cached = engine.stats();
      setImmediate(() => {
        cached = undefined;
      });
    }
    return cached;
  };

  const names = [...METRIC_DEFINITIONS.map((d) => `${prefix}${d.name}`), `${prefix}batch_size`];
  const taken = names.filter((name) => registry.getSingleMetric(name) !== undefined);
  if (taken.length > 0) {
    throw new Error(`registerMetrics(): ${taken.join(', ')} ${taken.length === 1 ? 'is' : 'are'} already registered; use another registry or prefix for a second engine`);
  }

  const metrics = METRIC_DEFINITIONS.map((d) => {
    const config = { name: `${prefix}${d.name}`, help: d.help, labelNames: d.labels as string[], registers: [] };
    if (d.kind === 'counter') {
      return new Counter<string>({
        ...config,
        collect() {
          this.reset();
          for (const [labels, value] of d.read(snapshot())) this.inc(labels, value);
        },
      });
    }
    return new Gauge<string>({
      ...config,
      collect() {
        this.reset();
        for (const [labels, value] of d.read(snapshot())) this.set(labels, value);
      },
    });
  });
  const histogram = new BatchSizeHistogram(`${prefix}batch_size`, snapshot);
  for (const metric of [...metrics, histogram]) registry.registerMetric(metric);

  return {
    registry,
    names,
    unregister() {
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}
