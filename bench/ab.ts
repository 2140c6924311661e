/**
 * A/B of one change: runs the same scenario script from two built trees
 * (say a worktree of the last commit and the working tree), alternately,
 * each run in a fresh process, and prints the medians of throughput, CPU
 * per operation, main-thread CPU per operation and the p50 and p99
 * latencies of each side, with every run's figures. Alternating spreads the machine's drift over both sides;
 * on a shared 2-core machine runs of the same code move by ±10%, so take
 * at least 5 runs and read the CPU figures next to the throughput.
 *
 *   git worktree add ../before HEAD && (cd ../before && npm ci && npm run build)
 *   node dist/bench/ab.js --a ../before --b . --runs 10 -- order.js --shards 1 --concurrency 1000 --count 30000
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseResultLine, type BenchResult } from './result.js';

/** A bad command line, as opposed to a run that failed. */
class UsageError extends Error {}

const USAGE = 'usage: node dist/bench/ab.js --a <tree> --b <tree> [--runs N] -- <scenario>.js [scenario options…]';

export interface SideSummary {
  readonly opsPerSec: number;
  readonly cpuUsPerOp: number | undefined;
  readonly mainCpuUsPerOp: number | undefined;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** The median of each figure over `runs` (the lower middle for an even count). */
export function medians(runs: readonly BenchResult[]): SideSummary {
  const median = (values: Array<number | undefined>): number | undefined => {
    const known = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
    return known.length === 0 ? undefined : known[Math.floor((known.length - 1) / 2)];
  };
  return {
    opsPerSec: median(runs.map((r) => r.opsPerSec)) ?? 0,
    cpuUsPerOp: median(runs.map((r) => r.cpuUsPerOp)),
    mainCpuUsPerOp: median(runs.map((r) => r.mainCpuUsPerOp)),
    p50Ms: median(runs.map((r) => r.p50Ms)) ?? 0,
    p99Ms: median(runs.map((r) => r.p99Ms)) ?? 0,
  };
}

function runOnce(tree: string, scenario: readonly string[]): BenchResult {
  const [script, ...args] = scenario;
  const path = join(tree, 'dist/bench/scenarios', script!);
  const child = spawnSync(process.execPath, [path, ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
  if (child.status !== 0 || line === undefined) {
    throw new Error(`${path} ${args.join(' ')} failed (exit ${child.status ?? child.signal}): ${child.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  }
  return parseResultLine(line);
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: { a: { type: 'string' }, b: { type: 'string' }, runs: { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.a === undefined || values.b === undefined) throw new UsageError('--a and --b name the two built trees to compare');
  const runs = Number(values.runs ?? '5');
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new UsageError(`--runs takes a whole number from 1 to 100, got ${values.runs}`);
  if (positionals.length === 0 || !positionals[0]!.endsWith('.js')) throw new UsageError('after --, name the scenario script (order.js, latency.js, …) and its options');
  const sides = { A: resolve(values.a), B: resolve(values.b) };
  for (const [side, tree] of Object.entries(sides)) {
    const script = join(tree, 'dist/bench/scenarios', positionals[0]!);
    if (!existsSync(script)) throw new UsageError(`${side}: ${script} does not exist (build that tree first)`);
  }
  const results: Record<'A' | 'B', BenchResult[]> = { A: [], B: [] };
  for (let i = 0; i < runs; i++) {
    for (const side of ['A', 'B'] as const) results[side].push(runOnce(sides[side], positionals));
  }
  const figure = (value: number | undefined): string => (value === undefined ? '-' : String(value));
  for (const side of ['A', 'B'] as const) {
    const m = medians(results[side]);
    const each = results[side].map((r) => `${r.opsPerSec}/${figure(r.cpuUsPerOp)}/${figure(r.mainCpuUsPerOp)}/${r.p50Ms}/${r.p99Ms}`).join(' ');
    process.stdout.write(
      `${side} ${sides[side]}: median ${m.opsPerSec} ops/s, ${figure(m.cpuUsPerOp)} cpu µs/op, ${figure(m.mainCpuUsPerOp)} main µs/op, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms  (runs ops/cpu/main/p50/p99: ${each})\n`,
    );
  }
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  try {
    main();
  } catch (error) {
    const usage = error instanceof UsageError || (error as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage ? `${USAGE}\n` : ''}`);
    process.exit(usage ? 2 : 1);
  }
}
