/**
 * The benchmark runner: starts every scenario case in a fresh Node process,
 * one at a time (they would skew each other), prints one table, checks the
 * targets, and records the run in bench/RESULTS.md and bench/scaling.svg.
 *
 *   node dist/bench/run.js [scenario…] [--shards 1,2,4] [--senders 1,100,1000] [--rounds N] [--quick] [--json] [--no-record]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { emmettInstalled } from './baselines/emmett.js';
import { runInvocation } from './child-run.js';
import { describeMachine } from './machine.js';
import { measureParallelCapacity } from './parallel-capacity.js';
import { planRun, type Invocation } from './plan.js';
import { rate } from './ratios.js';
import { medianOfRounds } from './rounds.js';
import type { BenchResult } from './result.js';
import { appendRecord, describeCapacity } from './results-file.js';
import { scalingChart } from './svg-chart.js';
import { formatTable } from './table.js';
import { checkTargets, formatTargetCheck } from './targets.js';

/** Set to 1 by `asynx bench` (src/cli/bench.ts) for the runner it starts, so usage and RESULTS.md name the command typed. */
const INVOKED_BY_CLI = 'ASYNX_BENCH_VIA_CLI';

/** How the runner was started: `npm run bench`, `asynx bench`, or node itself. */
function invocation(): 'npm' | 'cli' | 'node' {
  if (process.env.npm_lifecycle_event === 'bench') return 'npm';
  return process.env[INVOKED_BY_CLI] === '1' ? 'cli' : 'node';
}

const COMMAND = { npm: 'npm run bench --', cli: 'asynx bench', node: 'node dist/bench/run.js' }[invocation()];

const USAGE = `usage: ${COMMAND} [scenario…] [--shards 1,2,4] [--senders 1,100,1000] [--rounds N] [--quick] [--json] [--no-record] [--peers]

  scenario      run only scenarios whose name contains this (order, cpu-heavy,
                hot-aggregate, latency, hydration, fanout, catch-up)
  --shards      shard counts to measure (default 1,2,4)
  --senders     concurrent senders of the order workload (default 1,100,1000;
                1,100 with --quick)
  --rounds      run every case N times, a round of all cases after another,
                and keep each case's median run (default 1; 3 for figures to
                quote from a shared machine, whose speed drifts within a run)
  --quick       smaller counts: the whole run takes under two minutes on 2 cores
  --json        print one JSON object per result instead of the table
  --no-record   leave bench/RESULTS.md and bench/scaling.svg alone (a run
                filtered by scenario records RESULTS.md only)
  --peers       also run the Emmett baseline; installs bench/peers first
                (npm, --legacy-peer-deps; builds sqlite3 from source)`;

/** Where the sources live: results are recorded next to them, not in dist/. */
const BENCH_SOURCE_DIR = new URL('../../bench/', import.meta.url);

interface CliOptions {
  readonly filters: string[];
  readonly shards: number[];
  readonly senders: number[] | undefined;
  readonly rounds: number;
  readonly quick: boolean;
  readonly json: boolean;
  readonly record: boolean;
  readonly peers: boolean;
}

/** A list of whole numbers from 1 to `max`, as `--name 1,2,4` takes it: sorted, without repeats. */
function parseCounts(option: string, raw: string, max: number): number[] {
  const counts = raw.split(',').map((part) => Number(part.trim()));
  if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > max)) {
    throw new Error(`--${option} takes whole numbers from 1 to ${max}, separated by commas, got ${raw}`);
  }
  return [...new Set(counts)].sort((a, b) => a - b);
}

function parseRounds(raw: string | undefined): number {
  if (raw === undefined) return 1;
  const rounds = Number(raw);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error(`--rounds takes a whole number from 1 to 20, got ${raw}`);
  return rounds;
}

function readCli(argv: readonly string[]): CliOptions | undefined {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      shards: { type: 'string' },
      senders: { type: 'string' },
      rounds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'no-record': { type: 'boolean', default: false },
      peers: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return undefined;
  return {
    filters: positionals,
    shards: parseCounts('shards', values.shards ?? '1,2,4', 256),
    senders: values.senders === undefined ? undefined : parseCounts('senders', values.senders, 100_000),
    rounds: parseRounds(values.rounds),
    quick: values.quick,
    json: values.json,
    record: !values['no-record'],
    peers: values.peers,
  };
}

/**
 * Installs the peer libraries the benchmark compares against into
 * bench/peers, once. They are never dependencies of the library itself.
 */
function installPeers(): void {
  if (emmettInstalled()) return;
  const prefix = fileURLToPath(new URL('peers/', BENCH_SOURCE_DIR));
  process.stderr.write('installing bench/peers (Emmett, sqlite3 built from source)...\n');
  const result = spawnSync('npm', ['install', '--prefix', prefix, '--legacy-peer-deps', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (result.status !== 0 || !emmettInstalled()) throw new Error(`installing bench/peers failed (exit ${String(result.status)})`);
}

/** The command as the user typed it, for RESULTS.md. */
function commandLine(argv: readonly string[]): string {
  const quoted = argv.map((arg) => (/^[\w.,=/:-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`));
  switch (invocation()) {
    case 'npm':
      return ['npm run bench', ...(quoted.length > 0 ? ['--', ...quoted] : [])].join(' ');
    case 'cli':
      return ['asynx bench', ...quoted].join(' ');
    case 'node':
      return ['node', relative(process.cwd(), process.argv[1] ?? 'dist/bench/run.js'), ...quoted].join(' ');
  }
}

/** Progress goes to stderr and only to a terminal, so piped or recorded output stays clean. */
function progress(): { step(index: number, total: number, invocation: Invocation): void; done(): void } {
  if (!process.stderr.isTTY) return { step: () => undefined, done: () => undefined };
  const began = performance.now();
  return {
    step(index, total, invocation) {
      const seconds = Math.round((performance.now() - began) / 1000);
      process.stderr.write(`\r\u001b[K[${index + 1}/${total}, ${seconds} s] ${invocation.label}`);
    },
    done() {
      process.stderr.write('\r\u001b[K');
    },
  };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let options: CliOptions | undefined;
  let plan: Invocation[];
  try {
    options = readCli(argv);
    if (options === undefined) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (options.peers) installPeers();
    plan = planRun(options);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  const machine = describeMachine();
  const startedAt = new Date();
  const began = performance.now();
  const timeoutMs = options.quick ? 120_000 : 600_000;
  const runs: BenchResult[] = [];
  const failures: string[] = [];
  const capacityBefore = await measureParallelCapacity(machine.cores);
  const shown = progress();
  const steps = plan.length * options.rounds;
  for (let round = 0; round < options.rounds; round++) {
    for (const [index, invocation] of plan.entries()) {
      shown.step(round * plan.length + index, steps, invocation);
      const outcome = await runInvocation(invocation, timeoutMs);
      if (outcome.ok) runs.push(...outcome.results);
      else failures.push(`${invocation.label}${options.rounds > 1 ? ` (round ${round + 1})` : ''}: ${outcome.reason}`);
    }
  }
  shown.done();
  const results = medianOfRounds(runs);
  const capacity = { before: capacityBefore, after: await measureParallelCapacity(machine.cores) };
  const rated = rate(results);
  const targets = checkTargets(rated).filter((check) => check.met !== undefined);

  if (options.json) {
    for (const result of rated) process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stdout.write(`${formatTable(rated)}\n\n`);
    for (const check of targets) process.stdout.write(`${formatTargetCheck(check)}\n`);
    process.stdout.write(`\n${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadAverage} at start\n`);
    process.stdout.write(`${describeCapacity(capacity, machine.cores)}\n`);
  }
  for (const failure of failures) process.stderr.write(`failed: ${failure}\n`);

  // An installed package ships the compiled runner but not bench/: nothing to record into.
  const canRecord = existsSync(fileURLToPath(BENCH_SOURCE_DIR));
  if (options.record && !canRecord) process.stderr.write('not recorded: there is no bench/ folder beside this build\n');
  if (options.record && canRecord && results.length > 0) {
    const resultsFile = fileURLToPath(new URL('RESULTS.md', BENCH_SOURCE_DIR));
    await appendRecord(resultsFile, {
      startedAt,
      command: commandLine(argv),
      quick: options.quick,
      scenarios: options.filters,
      machine,
      capacity,
      durationSeconds: (performance.now() - began) / 1000,
      results: rated,
      targets,
      failures,
    });
    // A run of some scenarios only would replace the chart of every scenario with a partial one.
    const chart =
      options.filters.length > 0
        ? undefined
        : scalingChart(results, `${startedAt.toISOString().slice(0, 10)}, ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}${options.quick ? ', quick run' : ''}`);
    const chartFile = fileURLToPath(new URL('scaling.svg', BENCH_SOURCE_DIR));
    if (chart !== undefined) await writeFile(chartFile, chart);
    process.stderr.write(`recorded in ${relative(process.cwd(), resultsFile)}${chart === undefined ? '' : ` and ${relative(process.cwd(), chartFile)}`}\n`);
  }
  return failures.length > 0 ? 1 : 0;
}

process.exitCode = await main();
