/**
 * The result record every scenario prints (one JSON line per measured case)
 * and the runner reads back: the contract between the two processes.
 */

export const SCENARIOS = ['order', 'cpu-heavy', 'hot-aggregate', 'latency', 'hydration', 'fanout', 'catch-up'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const BASELINES = ['txn-per-command', 'batched-single-thread', 'raw-sqlite', 'emmett'] as const;
export type Baseline = (typeof BASELINES)[number];
export type Variant = 'engine' | Baseline;
export const VARIANTS: readonly Variant[] = ['engine', ...BASELINES];

export interface BenchResult {
  readonly scenario: ScenarioName;
  readonly variant: Variant;
  /** The case within a scenario: the domain for cpu-heavy, cold or cached for hydration, `default` otherwise. */
  readonly workload: string;
  readonly shards: number;
  /**
   * Senders (commands in flight) on the client side; 1 for the single-thread
   * baselines, which run one command at a time; 0 for an open loop.
   */
  readonly concurrency: number;
  /** What `opsPerSec` counts: commands, events delivered, gets. */
  readonly unit: string;
  readonly operations: number;
  readonly seconds: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  /** CPU time of the whole process (all threads) per operation, in µs; see timing.ts. */
  readonly cpuUsPerOp?: number;
  /** CPU time of the main thread alone per operation, in µs (Linux, 10 ms resolution); see timing.ts. */
  readonly mainCpuUsPerOp?: number;
  readonly note?: string;
}

export function isVariant(value: string): value is Variant {
  return (VARIANTS as readonly string[]).includes(value);
}

export function isScenario(value: string): value is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(value);
}

/** Checks a line printed by a scenario process; throws naming the first bad field. */
export function parseResultLine(line: string): BenchResult {
  const value: unknown = JSON.parse(line);
  if (typeof value !== 'object' || value === null) throw new Error(`result is not an object: ${line}`);
  const record = value as Record<string, unknown>;
  const text = (key: string): string => {
    const field = record[key];
    if (typeof field !== 'string') throw new Error(`result field ${key} is not a string: ${line}`);
    return field;
  };
  const number = (key: string): number => {
    const field = record[key];
    if (typeof field !== 'number' || Number.isNaN(field)) throw new Error(`result field ${key} is not a number: ${line}`);
    return field;
  };
  const scenario = text('scenario');
  const variant = text('variant');
  if (!isScenario(scenario)) throw new Error(`unknown scenario ${scenario}`);
  if (!isVariant(variant)) throw new Error(`unknown variant ${variant}`);
  const note = record.note;
  const cpu = record.cpuUsPerOp;
  const mainCpu = record.mainCpuUsPerOp;
  return {
    scenario,
    variant,
    workload: text('workload'),
    shards: number('shards'),
    concurrency: number('concurrency'),
    unit: text('unit'),
    operations: number('operations'),
    seconds: number('seconds'),
    opsPerSec: number('opsPerSec'),
    p50Ms: number('p50Ms'),
    p99Ms: number('p99Ms'),
    p999Ms: number('p999Ms'),
    ...(typeof cpu === 'number' ? { cpuUsPerOp: cpu } : {}),
    ...(typeof mainCpu === 'number' ? { mainCpuUsPerOp: mainCpu } : {}),
    ...(typeof note === 'string' ? { note } : {}),
  };
}
