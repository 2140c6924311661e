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
import { InvalidArgumentError } from './errors.js';
import { rejectUnknownKeys } from './options.js';
import { METRIC_DEFINITIONS, type Labels } from './prometheus-metrics.js';

export { METRIC_DEFINITIONS } from './prometheus-metrics.js';

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

const METRICS_OPTIONS: ReadonlyArray<keyof MetricsOptions> = ['registry', 'prefix'];

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
 * Whether `value` has the registry methods `registerMetrics` calls; checked
 * by shape, because a registry may come from another copy of prom-client.
 */
function isRegistry(value: unknown): value is Registry<RegistryContentType> {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ['getSingleMetric', 'registerMetric', 'removeSingleMetric'].every((method) => typeof candidate[method] === 'function');
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  // String() of a function is its source: the whole Registry class for `{ registry: Registry }`.
  if (typeof value === 'function') return value.name === '' ? 'a function' : `a function (${value.name})`;
  if (typeof value !== 'object') return `${typeof value} ${String(value)}`;
  return Array.isArray(value) ? 'an array' : `an object without getSingleMetric/registerMetric/removeSingleMetric methods`;
}

/**
 * Registers collect-on-scrape metrics for `engine` (see the README's
 * "Metrics" section for the list). `stats()` is read once per scrape.
 * Throws `InvalidArgumentError` if a metric of the same name is already
 * registered (give a second engine its own registry or prefix) or an
 * option is not of its type.
 */
export function registerMetrics(engine: StatsSource, options: MetricsOptions = {}): EngineMetrics {
  if (typeof engine?.stats !== 'function') throw new InvalidArgumentError('registerMetrics(engine): engine must have a stats() method');
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`registerMetrics(engine, options): options must be an object, got ${describeValue(options)}`);
  }
  // A misspelt `registry` would otherwise register on the global registry, and the caller's would serve nothing.
  rejectUnknownKeys(options, METRICS_OPTIONS, 'registerMetrics option', InvalidArgumentError);
  // Only a missing option takes the default: `null` is refused below like any other non-registry or non-string.
  const registry: Registry<RegistryContentType> = options.registry === undefined ? globalRegistry : options.registry;
  const prefix = options.prefix === undefined ? 'asynx_' : options.prefix;
  if (!isRegistry(registry)) {
    throw new InvalidArgumentError(`registerMetrics(): registry must be a prom-client Registry, got ${describeValue(registry)}`);
  }
  if (typeof prefix !== 'string' || !/^([A-Za-z_:][A-Za-z0-9_:]*)?$/.test(prefix)) throw new InvalidArgumentError(`registerMetrics(): prefix ${JSON.stringify(prefix)} is not a valid start of a metric name`);

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
    throw new InvalidArgumentError(`registerMetrics(): ${taken.join(', ')} ${taken.length === 1 ? 'is' : 'are'} already registered; use another registry or prefix for a second engine`);
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
