/**
 * The benchmark's command lines, run as child processes from dist/bench:
 * bad arguments stop the runner and each scenario script before any
 * measuring starts, with exit code 2 and a message naming the option; the
 * thread-scaling probe prints its table.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

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

describe('npm run bench (dist/bench/run.js)', () => {
  it.each([
    [['--shards', '0'], '--shards takes whole numbers from 1 to 256'],
    [['--shards', '1,,2'], 'got 1,,2'],
    [['--senders', '100,many'], '--senders takes whole numbers from 1 to 100000'],
    [['no-such-scenario'], 'no scenario matches no-such-scenario'],
    [['--fast'], "Unknown option '--fast'"],
  ])('refuses %j with exit code 2 and says why', async (args, message) => {
    const result = await runScript('run.js', ...args, '--no-record');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('usage: npm run bench');
    expect(result.stdout).toBe('');
  });

  it('prints its usage, options included, for --help', async () => {
    const result = await runScript('run.js', '--help');
    expect(result.code).toBe(0);
    for (const option of ['--shards', '--senders', '--quick', '--json', '--no-record', '--peers']) expect(result.stdout).toContain(option);
  });
});

describe('a scenario run on its own (dist/bench/scenarios/*.js)', () => {
  it.each([
    ['order.js', ['--shards', 'x'], '--shards must be a positive integer, got x'],
    ['latency.js', ['--seconds', '0'], '--seconds must be a positive number, got 0'],
    ['order.js', ['--variant', 'fastest'], '--variant must be one of engine, txn-per-command'],
    ['hydration.js', ['--verbose'], "Unknown option '--verbose'"],
  ])('%s refuses %j with exit code 2 and its usage', async (script, args, message) => {
    const result = await runScript(`scenarios/${script}`, ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain(`usage: node dist/bench/scenarios/${script}`);
    expect(result.stdout).toBe('');
  });

  it('prints its usage, options included, for --help', async () => {
    const result = await runScript('scenarios/cpu-heavy.js', '--help');
    expect(result.code).toBe(0);
    for (const option of ['--variant', '--shards', '--concurrency', '--count', '--workload', '--micros']) expect(result.stdout).toContain(option);
  });
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
  ])('refuses %j with exit code 2', async (args, message) => {
    const result = await runScript('verify-threads.js', ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
