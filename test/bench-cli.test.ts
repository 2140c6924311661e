/**
 * The benchmark's command lines, run as child processes from dist/bench:
 * bad arguments stop the runner and each scenario script before any
 * measuring starts, with exit code 2 and a message naming the option; the
 * thread-scaling probe prints its table; the profile summary and the A/B
 * runner do what they say.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { medians } from '../dist/bench/ab.js';
import { medianOfRounds } from '../dist/bench/rounds.js';
import { selfTimes, type CpuProfile } from '../dist/bench/profile-summary.js';
import type { BenchResult } from '../dist/bench/result.js';
import { planRun } from '../dist/bench/plan.js';
import { orderId, uuidFor } from '../dist/bench/workloads/order-workload.js';
import fc from 'fast-check';

const execFileAsync = promisify(execFile);

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function runScript(script: string, ...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [join(process.cwd(), 'dist/bench', script), ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A refused command line: exit code 2, the reason and the usage (when the script prints one) on stderr, nothing on stdout. */
async function expectRefusal(script: string, args: readonly string[], message: string, usage?: string): Promise<void> {
  const result = await runScript(script, ...args);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(message);
  if (usage !== undefined) expect(result.stderr).toContain(usage);
  expect(result.stdout).toBe('');
}

describe('npm run bench (dist/bench/run.js)', () => {
  it.each([
    [['--shards', '0'], '--shards takes whole numbers from 1 to 256'],
    [['--shards', '1,,2'], 'got 1,,2'],
    [['--senders', '100,many'], '--senders takes whole numbers from 1 to 100000'],
    [['no-such-scenario'], 'no scenario matches no-such-scenario'],
    [['--fast'], "Unknown option '--fast'"],
    [['--rounds', '0'], '--rounds takes a whole number from 1 to 20, got 0'],
  ])('refuses %j with exit code 2 and says why', (args, message) => expectRefusal('run.js', [...args, '--no-record'], message, 'usage: node dist/bench/run.js'));

  it('prints its usage, options included, for --help', async () => {
    const result = await runScript('run.js', '--help');
    expect(result.code).toBe(0);
    for (const option of ['--shards', '--senders', '--quick', '--json', '--no-record', '--peers']) expect(result.stdout).toContain(option);
  });
});

describe('runs of several rounds (--rounds)', () => {
  const result = (variant: 'engine' | 'batched-single-thread', shards: number, opsPerSec: number, p50Ms = 1): BenchResult =>
    ({ scenario: 'order', workload: 'default', variant, unit: 'commands/s', shards, concurrency: 100, operations: 1, seconds: 1, opsPerSec, p50Ms, p99Ms: 2, p999Ms: 3, note: '10 orders' }) as BenchResult;

  it('keeps each case\'s median run whole, notes the range, and keeps the cases\' order', () => {
    const kept = medianOfRounds([
      result('batched-single-thread', 1, 100),
      result('engine', 2, 50, 7),
      result('batched-single-thread', 1, 300),
      result('engine', 2, 40, 8),
      result('batched-single-thread', 1, 200),
      result('engine', 2, 60, 9),
    ]);
    expect(kept.map((r) => [r.variant, r.opsPerSec, r.p50Ms, r.note])).toEqual([
      ['batched-single-thread', 200, 1, '10 orders; median of 3 rounds (100–300)'],
      ['engine', 50, 7, '10 orders; median of 3 rounds (40–60)'],
    ]);
  });

  it('leaves a single run as it is', () => {
    const single = result('engine', 1, 10);
    expect(medianOfRounds([single])).toEqual([single]);
  });

  it('runs every case once per round and prints one row per case', async () => {
    const run = await runScript('run.js', 'hot-aggregate', '--quick', '--shards', '1', '--rounds', '2', '--json', '--no-record');
    expect(run.code).toBe(0);
    const rows = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as BenchResult);
    expect(rows.map((r) => r.variant).sort()).toEqual(['batched-single-thread', 'engine']);
    for (const row of rows) expect(row.note).toMatch(/median of 2 rounds \([\d,]+–[\d,]+\)$/);
  }, 60_000);
});

describe('a scenario run on its own (dist/bench/scenarios/*.js)', () => {
  it.each([
    ['order.js', ['--shards', 'x'], '--shards must be a positive integer, got x'],
    ['latency.js', ['--seconds', '0'], '--seconds must be a positive number, got 0'],
    ['order.js', ['--variant', 'fastest'], '--variant must be one of engine, txn-per-command'],
    ['order.js', ['--workload', 'guid'], '--workload must be one of default, uuid, got guid'],
    ['cpu-heavy.js', ['--workload', 'rsa'], '--workload must be one of ed25519, busy, got rsa'],
    ['hydration.js', ['--verbose'], "Unknown option '--verbose'"],
  ])('%s refuses %j with exit code 2 and its usage', (script, args, message) =>
    expectRefusal(`scenarios/${script}`, args, message, `usage: node dist/bench/scenarios/${script}`),
  );

  it('prints its usage, options included, for --help', async () => {
    const result = await runScript('scenarios/cpu-heavy.js', '--help');
    expect(result.code).toBe(0);
    for (const option of ['--variant', '--shards', '--concurrency', '--count', '--workload', '--micros']) expect(result.stdout).toContain(option);
  });
});

describe('the order workload named by UUIDs (--workload uuid)', () => {
  it('names each order with a version 4 UUID of its own, the same in every run', () => {
    const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 - 1 }), fc.integer({ min: 0, max: 2 ** 30 - 1 }), (a, b) => {
        expect(uuidFor(a)).toMatch(v4);
        expect(uuidFor(a)).toBe(orderId(a, 'uuid'));
        expect(uuidFor(a) === uuidFor(b)).toBe(a === b);
      }),
    );
    expect(orderId(7)).toBe('ORD-7');
  });

  it('runs the engine and the hand-batched loop on the same orders, each row saying which workload it ran', async () => {
    const rows: BenchResult[] = [];
    for (const variant of ['engine', 'batched-single-thread']) {
      const run = await runScript('scenarios/order.js', '--workload', 'uuid', '--variant', variant, '--count', '40', '--concurrency', '8');
      expect(run.code).toBe(0);
      rows.push(JSON.parse(run.stdout) as BenchResult);
    }
    expect(rows.map((r) => [r.variant, r.workload, r.operations])).toEqual([
      ['engine', 'uuid', 120],
      ['batched-single-thread', 'uuid', 120],
    ]);
  });

  it('is refused for the Emmett and raw-sqlite baselines, which write the default orders only', async () => {
    const run = await runScript('scenarios/order.js', '--workload', 'uuid', '--variant', 'raw-sqlite');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('raw-sqlite writes the default workload only');
  });

  it('is in the full plan: the hand-batched loop once, and the engine with the most senders at every shard count', () => {
    const labels = planRun({ filters: ['order'], shards: [1, 2], quick: false, peers: false })
      .map((run) => run.label)
      .filter((label) => label.includes('workload=uuid'));
    expect(labels).toEqual([
      'order batched-single-thread workload=uuid count=50000',
      'order engine workload=uuid count=50000 shards=1 concurrency=1000',
      'order engine workload=uuid count=50000 shards=2 concurrency=1000',
    ]);
  });
});

describe('the catch-up plan', () => {
  it('adds, in a full run only, a catch-up over more counters than a catch-up stream remembers, at the first shard count', () => {
    const labels = (quick: boolean) => planRun({ filters: ['catch-up'], shards: [1, 2], quick, peers: false }).map((run) => run.label);
    expect(labels(false)).toEqual([
      'catch-up engine shards=1 count=1000000',
      'catch-up engine shards=2 count=1000000',
      'catch-up engine shards=1 count=300000 aggregates=100000',
    ]);
    expect(labels(true)).toEqual(['catch-up engine shards=1 count=100000', 'catch-up engine shards=2 count=100000']);
  });

  it('names the workload after the counters when they are not the default 10,000, so its rows are a case of their own', async () => {
    const run = await runScript('scenarios/catch-up.js', '--count', '2000', '--aggregates', '500');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ scenario: 'catch-up', workload: 'durable-rebuild-500-aggregates', operations: 2000 });
  });
});

describe('the WAL pages probe (dist/bench/wal-pages.js)', () => {
  it('prints the mean pages one commit writes for the batch shape asked for', async () => {
    const result = await runScript('wal-pages.js', '--batch', '10', '--aggregates', '50', '--ids', 'uuid', '--events', '300', '--commits', '5');
    expect(result.code).toBe(0);
    const match = /^(\d+\.\d) WAL pages per commit: batches of 10 over 50 uuid aggregates, after 300 events \(5 commits\)$/.exec(result.stdout.trim());
    expect(match).not.toBeNull();
    // At least the events table's last page and the (stream, version) index's.
    expect(Number(match![1])).toBeGreaterThanOrEqual(2);
  });

  it.each([
    [['--ids', 'guid'], '--ids takes counter or uuid, got guid'],
    [['--batch', '0'], '--batch takes a positive whole number, got 0'],
  ])('refuses %j with exit code 2 and its usage', (args, message) => expectRefusal('wal-pages.js', args, message, 'usage: node dist/bench/wal-pages.js'));
});

describe('the format rewrite timer (dist/bench/format-rewrite.js)', () => {
  it('rewrites a format 1 file of the size asked for and prints the time and the sizes', async () => {
    const result = await runScript('format-rewrite.js', '--events', '3000', '--aggregates', '100');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(
      /^3000 events over 100 UUID aggregates: format 1 → 2 in \d+\.\d\d s; file \d+\.\d MB before, \d+\.\d MB after, WAL 0\.0 MB$/,
    );
  });

  it('refuses a count that is not a positive whole number with exit code 2 and its usage', () =>
    expectRefusal('format-rewrite.js', ['--events', '2.5'], '--events takes a positive whole number, got 2.5', 'usage: node dist/bench/format-rewrite.js'));
});

describe('the thread-scaling probe (dist/bench/verify-threads.js)', () => {
  it('prints verifications per second and speed-ups for each thread count', async () => {
    const result = await runScript('verify-threads.js', '--threads', '2', '--count', '40');
    expect(result.code).toBe(0);
    const rows = result.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/threads\s+verifies\/s\s+verify ×1 thread\s+arithmetic ×1 thread/);
    expect(rows[1]).toMatch(/^\s*1\s+[\d,]+\s+1\.00×\s+1\.00×$/);
    expect(rows[2]).toMatch(/^\s*2\s+[\d,]+\s+\d+\.\d\d×\s+\d+\.\d\d×$/);
    expect(rows[3]).toMatch(/^40 items per thread; \d+ cores$/);
  });

  it.each([
    [['--count', '0'], '--count takes a positive whole number, got 0'],
    [['--threads', '2,x'], '--threads takes whole numbers from 1 to 256'],
  ])('refuses %j with exit code 2', (args, message) => expectRefusal('verify-threads.js', args, message));
});

/** Two functions and the idle node: `work` sampled 3 ms, `helper` 1 ms, idle 6 ms. */
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    { id: 2, callFrame: { functionName: 'work', url: 'file:///x/dist/src/engine.js', lineNumber: 10 } },
    { id: 3, callFrame: { functionName: '', url: 'file:///x/dist/src/helper.js', lineNumber: 4 } },
  ],
  samples: [1, 2, 2, 3, 2, 1],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 5000],
};

describe('the profile summary (dist/bench/profile-summary.js)', () => {
  it('adds up each function\'s self time, largest first', () => {
    expect(selfTimes(PROFILE)).toEqual({
      total: 10,
      rows: [
        { where: '(idle) :-1', ms: 6 },
        { where: 'work src/engine.js:10', ms: 3 },
        { where: '(anonymous) src/helper.js:4', ms: 1 },
      ],
    });
  });

  it('prints each file\'s rows, per operation with --ops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asynx-prof-'));
    try {
      const file = join(dir, 'main.cpuprofile');
      writeFileSync(file, JSON.stringify(PROFILE));
      const result = await runScript('profile-summary.js', file, '--ops', '1000', '--top', '2');
      expect(result.code).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual([
        'main.cpuprofile: 10.0 ms sampled',
        '       6.0 ms     6.00 µs/op  (idle) :-1',
        '       3.0 ms     3.00 µs/op  work src/engine.js:10',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [[], 'name at least one .cpuprofile file'],
    [['package.json'], 'package.json is not a V8 CPU profile'],
    [['missing.cpuprofile'], 'cannot read missing.cpuprofile'],
    [['x.cpuprofile', '--top', '0'], '--top takes a positive whole number, got 0'],
  ])('refuses %j with exit code 2 and its usage', (args, message) =>
    expectRefusal('profile-summary.js', args, message, 'usage: node dist/bench/profile-summary.js'),
  );
});

describe('the A/B runner (dist/bench/ab.js)', () => {
  const run = (opsPerSec: number, cpuUsPerOp?: number, p50Ms = 0, p99Ms = 0): BenchResult =>
    ({ scenario: 'order', workload: 'default', variant: 'engine', unit: 'commands/s', shards: 1, concurrency: 1, operations: 1, seconds: 1, opsPerSec, cpuUsPerOp, p50Ms, p99Ms, p999Ms: 0 }) as BenchResult;

  it('takes the median of each figure, the lower middle for an even count, skipping missing ones', () => {
    expect(medians([run(30, undefined, 1.5, 9), run(10, 5, 0.5, 12), run(20, 7, 1, 3)])).toEqual({
      opsPerSec: 20,
      cpuUsPerOp: 5,
      mainCpuUsPerOp: undefined,
      p50Ms: 1,
      p99Ms: 9,
    });
    expect(medians([run(40), run(10), run(30), run(20)]).opsPerSec).toBe(20);
  });

  it('runs the scenario from both trees, alternately, and prints each side\'s medians', async () => {
    const result = await runScript('ab.js', '--a', '.', '--b', '.', '--runs', '2', '--', 'order.js', '--variant', 'batched-single-thread', '--count', '200');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^A .*: median \d+ ops\/s, [\d.]+ cpu µs\/op, [\d.]+ main µs\/op, p50 [\d.]+ ms, p99 [\d.]+ ms {2}\(runs ops\/cpu\/main\/p50\/p99: \S+ \S+\)$/);
    expect(lines[1]).toMatch(/^B /);
  });

  it.each([
    [['--b', '.', '--', 'order.js'], '--a and --b name the two built trees to compare'],
    [['--a', '.', '--b', '.', '--runs', '0', '--', 'order.js'], '--runs takes a whole number from 1 to 100, got 0'],
    [['--a', '.', '--b', '.'], 'name the scenario script'],
    [['--a', 'no-such-tree', '--b', '.', '--', 'order.js'], 'does not exist (build that tree first)'],
  ])('refuses %j with exit code 2 and its usage', (args, message) => expectRefusal('ab.js', args, message, 'usage: node dist/bench/ab.js'));

  it('exits with code 1 and the scenario\'s own message when a run fails', async () => {
    const result = await runScript('ab.js', '--a', '.', '--b', '.', '--runs', '1', '--', 'order.js', '--shards', 'x');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--shards must be a positive integer, got x');
  });
});
