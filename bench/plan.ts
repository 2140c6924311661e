/**
 * Which scenario processes a run starts, with which arguments, in which
 * order. Quick mode shrinks every count so the whole run fits in two
 * minutes on two cores; the shapes of the workloads stay the same.
 */
import { SCENARIOS, type ScenarioName, type Variant } from './result.js';

export interface RunOptions {
  /** Scenario name fragments; a scenario runs when its name contains one. Empty: all. */
  readonly filters: readonly string[];
  readonly shards: readonly number[];
  /** Concurrent senders for the order workload; the size's default when absent. */
  readonly senders?: readonly number[];
  readonly quick: boolean;
  /** Also run the Emmett baseline (installed in bench/peers). */
  readonly peers: boolean;
}

export interface Invocation {
  readonly scenario: ScenarioName;
  readonly variant: Variant;
  /** The scenario's script, relative to the compiled bench folder. */
  readonly script: string;
  readonly args: readonly string[];
  readonly label: string;
}

interface Sizes {
  readonly orders: number;
  /** One sender waits for one fsync per command; in quick mode fewer orders give the same figure sooner. */
  readonly ordersOneSender: number;
  readonly orderConcurrency: readonly number[];
  /**
   * Orders named by UUIDs: enough that each order's index entries spread
   * over a file larger than the default run's, where the layout matters.
   */
  readonly uuidOrders: number;
  /** raw-sqlite needs enough rows for a stable figure; it is a ceiling, not a like-for-like run. */
  readonly rawOrdersAtLeast: number;
  readonly signed: number;
  readonly busy: number;
  readonly busyMicros: number;
  readonly hot: number;
  readonly latencySeconds: number;
  readonly hydrationEvents: number;
  readonly hydrationRepeats: number;
  readonly fanout: number;
  readonly catchUp: number;
  /**
   * Events of the catch-up over more counters than a catch-up stream's memory
   * holds (WIDE_CATCH_UP_AGGREGATES), where lost states are rebuilt; 0 skips it.
   */
  readonly catchUpWide: number;
  /** Emmett handles a command in about a millisecond: fewer orders give the same figure. */
  readonly emmettOrders: number;
}

/** Counters of the wide catch-up: more than a stream's memory holds (about 64,000 counters in 16 MiB). */
const WIDE_CATCH_UP_AGGREGATES = 100_000;

const FULL: Sizes = {
  orders: 10_000,
  ordersOneSender: 10_000,
  orderConcurrency: [1, 100, 1000],
  uuidOrders: 50_000,
  rawOrdersAtLeast: 20_000,
  signed: 30_000,
  busy: 15_000,
  busyMicros: 200,
  hot: 10_000,
  latencySeconds: 10,
  hydrationEvents: 10_000,
  hydrationRepeats: 10,
  fanout: 20_000,
  catchUp: 1_000_000,
  catchUpWide: 300_000,
  emmettOrders: 2_000,
};

const QUICK: Sizes = {
  orders: 2_000,
  ordersOneSender: 200,
  orderConcurrency: [1, 100],
  uuidOrders: 5_000,
  rawOrdersAtLeast: 10_000,
  signed: 6_000,
  busy: 4_000,
  busyMicros: 200,
  hot: 10_000,
  latencySeconds: 3,
  hydrationEvents: 10_000,
  hydrationRepeats: 3,
  fanout: 5_000,
  catchUp: 100_000,
  // Fewer events than counters would leave nothing to rebuild.
  catchUpWide: 0,
  emmettOrders: 300,
};

function invocation(scenario: ScenarioName, variant: Variant, args: Record<string, string | number>): Invocation {
  const flat = Object.entries({ variant, ...args }).flatMap(([key, value]) => [`--${key}`, String(value)]);
  const label = [scenario, variant, ...Object.entries(args).map(([key, value]) => `${key}=${value}`)].join(' ');
  return { scenario, variant, script: `scenarios/${scenario}.js`, args: flat, label };
}

function orderRuns(sizes: Sizes, shards: readonly number[], senders: readonly number[], peers: boolean): Invocation[] {
  const runs = [
    ...(peers ? [invocation('order', 'emmett', { count: sizes.emmettOrders })] : []),
    invocation('order', 'txn-per-command', { count: sizes.orders }),
    invocation('order', 'batched-single-thread', { count: sizes.orders }),
    ...shards.map((s) => invocation('order', 'raw-sqlite', { shards: s, count: Math.max(sizes.orders, sizes.rawOrdersAtLeast) })),
  ];
  for (const s of shards) {
    for (const c of senders) {
      runs.push(invocation('order', 'engine', { shards: s, concurrency: c, count: c === 1 ? sizes.ordersOneSender : sizes.orders }));
    }
  }
  // UUID names, with the most senders asked for, against the hand-batched loop on the same orders.
  const uuid = { workload: 'uuid', count: sizes.uuidOrders };
  runs.push(invocation('order', 'batched-single-thread', uuid));
  for (const s of shards) runs.push(invocation('order', 'engine', { ...uuid, shards: s, concurrency: Math.max(...senders) }));
  return runs;
}

function cpuHeavyRuns(sizes: Sizes, shards: readonly number[]): Invocation[] {
  const workloads: Array<Record<string, string | number>> = [
    { workload: 'ed25519', count: sizes.signed },
    { workload: 'busy', count: sizes.busy, micros: sizes.busyMicros },
  ];
  return workloads.flatMap((w) => [
    invocation('cpu-heavy', 'batched-single-thread', w),
    ...shards.map((s) => invocation('cpu-heavy', 'engine', { ...w, shards: s })),
  ]);
}

export function planRun(options: RunOptions): Invocation[] {
  const sizes = options.quick ? QUICK : FULL;
  const shards = options.shards;
  const byScenario: Record<ScenarioName, () => Invocation[]> = {
    order: () => orderRuns(sizes, shards, options.senders ?? sizes.orderConcurrency, options.peers),
    'cpu-heavy': () => cpuHeavyRuns(sizes, shards),
    'hot-aggregate': () => [
      invocation('hot-aggregate', 'batched-single-thread', { count: sizes.hot }),
      ...shards.map((s) => invocation('hot-aggregate', 'engine', { shards: s, count: sizes.hot })),
    ],
    latency: () => shards.map((s) => invocation('latency', 'engine', { shards: s, seconds: sizes.latencySeconds })),
    // A get is served by one shard whatever the count, so one shard count tells all.
    hydration: () => [invocation('hydration', 'engine', { shards: shards[0]!, count: sizes.hydrationEvents, repeats: sizes.hydrationRepeats })],
    fanout: () => [
      invocation('fanout', 'batched-single-thread', { count: sizes.fanout }),
      ...shards.map((s) => invocation('fanout', 'engine', { shards: s, count: sizes.fanout })),
    ],
    'catch-up': () => [
      ...shards.map((s) => invocation('catch-up', 'engine', { shards: s, count: sizes.catchUp })),
      ...(sizes.catchUpWide > 0 ? [invocation('catch-up', 'engine', { shards: shards[0]!, count: sizes.catchUpWide, aggregates: WIDE_CATCH_UP_AGGREGATES })] : []),
    ],
  };
  return selectScenarios(options.filters).flatMap((scenario) => byScenario[scenario]());
}

export function selectScenarios(filters: readonly string[]): ScenarioName[] {
  if (filters.length === 0) return [...SCENARIOS];
  const chosen = SCENARIOS.filter((name) => filters.some((f) => name.includes(f.toLowerCase())));
  if (chosen.length === 0) throw new Error(`no scenario matches ${filters.join(', ')}; scenarios: ${SCENARIOS.join(', ')}`);
  return chosen;
}
