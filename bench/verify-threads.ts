/**
 * Does Ed25519 verification through node:crypto scale with threads? The
 * cpu-heavy scenario's signed workload scales less than its busy-loop
 * workload; this probe takes the engine out: N threads each verify the
 * same number of signatures (key decoded once per thread, as the signed
 * domain does), against N threads of fixed arithmetic. It prints one table
 * of speed-ups over one thread.
 *
 *   node dist/bench/verify-threads.js [--threads 1,2,4] [--count 20000]
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { timeThreads } from './parallel-capacity.js';

type Work = 'verify' | 'arithmetic';

interface Job {
  readonly work: Work;
  readonly count: number;
}

function verifyMany(count: number): number {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const texts = Array.from({ length: 64 }, (_, i) => Buffer.from(`ACC-${i}\n${i + 1}\n${i}`));
  const signatures = texts.map((text) => sign(null, text, privateKey));
  let valid = 0;
  for (let i = 0; i < count; i++) if (verify(null, texts[i % 64]!, publicKey, signatures[i % 64]!)) valid++;
  if (valid !== count) throw new Error(`${count - valid} of ${count} signatures failed to verify`);
  return valid;
}

function arithmetic(count: number): number {
  // About as long per item as one verification (~60–100 µs on the machines measured).
  let x = 0;
  for (let i = 0; i < count * 2_000; i++) x += Math.sqrt(i + x) % 7;
  return x;
}

function parseThreads(raw: string | undefined): number[] {
  if (raw === undefined) {
    const cores = availableParallelism();
    return [1, 2, 4, 8, 16, 32].filter((n) => n <= cores);
  }
  const threads = raw.split(',').map(Number);
  if (threads.some((n) => !Number.isInteger(n) || n < 1 || n > 256)) throw new Error(`--threads takes whole numbers from 1 to 256, separated by commas, got ${raw}`);
  return [...new Set([1, ...threads])].sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { threads: { type: 'string' }, count: { type: 'string', default: '20000' } }, strict: true });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--count takes a positive whole number, got ${values.count}`);
  const threads = parseThreads(values.threads);
  const rows: string[][] = [['threads', 'verifies/s', 'verify ×1 thread', 'arithmetic ×1 thread']];
  const single: Record<Work, number> = { verify: 0, arithmetic: 0 };
  for (const n of threads) {
    const verifyMs = await timeThreads(n, new URL(import.meta.url), { work: 'verify', count } satisfies Job);
    const arithmeticMs = await timeThreads(n, new URL(import.meta.url), { work: 'arithmetic', count } satisfies Job);
    if (n === 1) Object.assign(single, { verify: verifyMs, arithmetic: arithmeticMs });
    rows.push([
      String(n),
      Math.round((n * count * 1000) / verifyMs).toLocaleString('en-US'),
      `${((n * single.verify) / verifyMs).toFixed(2)}×`,
      `${((n * single.arithmetic) / arithmeticMs).toFixed(2)}×`,
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, c) => cell.padStart(widths[c]!)).join('  ')}\n`);
  process.stdout.write(`${count} items per thread; ${availableParallelism()} cores\n`);
}

if (isMainThread) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  });
} else {
  const port = parentPort!;
  const job = workerData as Job;
  port.once('message', () => port.postMessage(job.work === 'verify' ? verifyMany(job.count) : arithmetic(job.count)));
  port.postMessage('ready');
}
