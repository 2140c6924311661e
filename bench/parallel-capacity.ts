/**
 * How many cores the machine actually gives right now: the same CPU work
 * on one thread, then on `threads` threads at once. On a shared machine
 * this, not the core count, bounds what more shards can gain, so every
 * run records it next to its figures.
 */
import { Worker } from 'node:worker_threads';

const ITERATIONS = 8_000_000;

function once(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

/**
 * Milliseconds for `threads` workers of `script` to finish together. Each
 * worker posts once when ready, starts on the first message it gets and
 * posts again when done; only the work between is timed.
 */
export async function timeThreads(threads: number, script: URL, workerData: unknown): Promise<number> {
  const workers = Array.from({ length: threads }, () => new Worker(script, { workerData }));
  try {
    await Promise.all(workers.map(once));
    const done = workers.map(once);
    const began = performance.now();
    for (const worker of workers) worker.postMessage('go');
    await Promise.all(done);
    return performance.now() - began;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Cores' worth of throughput from `threads` threads: `threads` on an idle machine, less when others compete. */
export async function measureParallelCapacity(threads: number): Promise<number> {
  const script = new URL('./parallel-capacity-worker.js', import.meta.url);
  const single = await timeThreads(1, script, ITERATIONS);
  const parallel = await timeThreads(threads, script, ITERATIONS);
  return Math.round(((threads * single) / parallel) * 100) / 100;
}
