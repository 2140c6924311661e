/**
 * The command line of one scenario process and its output: arguments in,
 * one JSON line per result out on stdout, anything else on stderr.
 */
import { parseArgs } from 'node:util';
import { basename } from 'node:path';
import { VARIANTS, isVariant, type BenchResult, type Variant } from './result.js';
import type { Timing } from './timing.js';

export interface ScenarioArgs {
  readonly variant: Variant;
  readonly shards: number;
  readonly concurrency: number;
  /** Commands, orders or events, depending on the scenario. */
  readonly count: number;
  readonly workload: string;
  /** CPU time a synthetic validate burns, in microseconds. */
  readonly micros: number;
  /** Measuring time for duration-based scenarios (latency). */
  readonly seconds: number;
  readonly repeats: number;
  /** Aggregates the workload spreads its commands over, for scenarios that take it. */
  readonly aggregates: number;
}

function positiveInteger(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
  return value;
}

function positiveNumber(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`--${name} must be a positive number, got ${raw}`);
  return value;
}

function usage(): string {
  const script = `dist/bench/scenarios/${basename(process.argv[1] ?? 'scenario.js')}`;
  return `usage: node ${script} [--variant ${VARIANTS.join('|')}] [--shards N] [--concurrency N] [--count N] [--workload NAME] [--micros N] [--seconds S] [--repeats N] [--aggregates N]
Runs one case of one scenario and prints its result as a JSON line; \`npm run bench\` runs every case and records them.`;
}

/** The scenario's defaults and, where it has several, the workloads `--workload` may name (the first is the default). */
export interface ScenarioSpec extends Partial<ScenarioArgs> {
  readonly workloads?: readonly string[];
}

/**
 * The scenario's arguments from its command line. `--help` prints the usage;
 * a bad argument ends the process with exit code 2 and a message naming it,
 * before anything is measured.
 */
export function readScenarioArgs(defaults: ScenarioSpec = {}, argv: readonly string[] = process.argv.slice(2)): ScenarioArgs {
  if (argv.includes('--help')) {
    process.stdout.write(`${usage()}\n`);
    process.exit(0);
  }
  try {
    return parseScenarioArgs(defaults, argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage()}\n`);
    process.exit(2);
  }
}

/** As {@link readScenarioArgs}, throwing on a bad argument. */
export function parseScenarioArgs(defaults: ScenarioSpec, argv: readonly string[]): ScenarioArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      variant: { type: 'string' },
      shards: { type: 'string' },
      concurrency: { type: 'string' },
      count: { type: 'string' },
      workload: { type: 'string' },
      micros: { type: 'string' },
      seconds: { type: 'string' },
      repeats: { type: 'string' },
      aggregates: { type: 'string' },
    },
    strict: true,
  });
  const variant = values.variant ?? defaults.variant ?? 'engine';
  if (!isVariant(variant)) throw new Error(`--variant must be one of ${VARIANTS.join(', ')}, got ${variant}`);
  const workload = values.workload ?? defaults.workload ?? defaults.workloads?.[0] ?? 'default';
  if (defaults.workloads !== undefined && !defaults.workloads.includes(workload)) {
    throw new Error(`--workload must be one of ${defaults.workloads.join(', ')}, got ${workload}`);
  }
  return {
    variant,
    shards: positiveInteger(values.shards, 'shards', defaults.shards ?? 1),
    concurrency: positiveInteger(values.concurrency, 'concurrency', defaults.concurrency ?? 1),
    count: positiveInteger(values.count, 'count', defaults.count ?? 1000),
    workload,
    micros: positiveInteger(values.micros, 'micros', defaults.micros ?? 200),
    seconds: positiveNumber(values.seconds, 'seconds', defaults.seconds ?? 2),
    repeats: positiveInteger(values.repeats, 'repeats', defaults.repeats ?? 3),
    aggregates: positiveInteger(values.aggregates, 'aggregates', defaults.aggregates ?? 10_000),
  };
}

/**
 * Runs a scenario and prints its results. A run that leaves a handle open
 * (a worker, a port) would hang the runner, so the process is ended a few
 * seconds after printing, with a warning that points at the leak.
 */
export function runScenario(main: () => Promise<BenchResult | BenchResult[]>): void {
  main().then(
    (results) => {
      for (const result of Array.isArray(results) ? results : [results]) process.stdout.write(`${JSON.stringify(result)}\n`);
      setTimeout(() => {
        process.stderr.write('warning: the scenario finished but something kept the process alive (an engine not closed?)\n');
        process.exit(0);
      }, 5_000).unref();
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

/** A throughput result from a timed section and a latency summary. */
export function throughput(
  base: Pick<BenchResult, 'scenario' | 'variant' | 'workload' | 'shards' | 'concurrency' | 'unit'>,
  operations: number,
  timing: Timing,
  latency: { readonly p50Ms: number; readonly p99Ms: number; readonly p999Ms: number },
  note?: string,
): BenchResult {
  const seconds = timing.elapsedMs / 1000;
  return {
    ...base,
    operations,
    seconds: round(seconds, 3),
    opsPerSec: Math.round(operations / seconds),
    cpuUsPerOp: round((timing.cpuMs * 1000) / operations, 1),
    ...(timing.mainCpuMs === undefined ? {} : { mainCpuUsPerOp: round((timing.mainCpuMs * 1000) / operations, 1) }),
    p50Ms: round(latency.p50Ms, 3),
    p99Ms: round(latency.p99Ms, 3),
    p999Ms: round(latency.p999Ms, 3),
    ...(note === undefined ? {} : { note }),
  };
}

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
