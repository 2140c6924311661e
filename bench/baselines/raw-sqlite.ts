/**
 * The storage ceiling: raw better-sqlite3 inserts, 1,000 per transaction,
 * one file per shard, one worker thread per shard, all writing at once. No
 * domain code, no messages per command: what the disk allows.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LatencyRecorder } from '../stats.js';
import { startTiming, type Timing } from '../timing.js';
import type { RawWriterData, RawWriterMessage } from './raw-sqlite-worker.js';

export const RAW_PER_TRANSACTION = 1000;

export interface RawSqliteRun {
  readonly timing: Timing;
  readonly events: number;
  /** Time of each transaction: every event in it waited that long to be durable. */
  readonly latency: LatencyRecorder;
}

function nextMessage(worker: Worker): Promise<RawWriterMessage> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    worker.once('error', onError);
    worker.once('message', (message: RawWriterMessage) => {
      worker.off('error', onError);
      resolve(message);
    });
  });
}

export async function runRawSqlite(dir: string, shards: number, events: number): Promise<RawSqliteRun> {
  const perShard = Math.ceil(events / shards);
  const workers = Array.from({ length: shards }, (_, shard) => {
    const data: RawWriterData = { file: join(dir, `raw-${shard}.db`), shard, events: perShard, perTransaction: RAW_PER_TRANSACTION };
    return new Worker(new URL('./raw-sqlite-worker.js', import.meta.url), { workerData: data });
  });
  try {
    await Promise.all(workers.map(nextMessage));
    const done = workers.map(nextMessage);
    const stop = startTiming();
    for (const worker of workers) worker.postMessage('go');
    const replies = await Promise.all(done);
    const timing = stop();
    const latency = new LatencyRecorder(events);
    let stored = 0;
    for (const reply of replies) {
      if (reply.kind !== 'done') throw new Error(`raw-sqlite writer replied ${reply.kind}`);
      stored += reply.stored;
      reply.transactionMs.forEach((ms, i) => latency.recordMany(ms, Math.min(RAW_PER_TRANSACTION, perShard - i * RAW_PER_TRANSACTION)));
    }
    if (stored !== perShard * shards) throw new Error(`raw-sqlite stored ${stored} of ${perShard * shards} events`);
    return { timing, events: stored, latency };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
