/**
 * The two single-thread baselines as one loop: 'txn-per-command' commits
 * after every command, 'batched-single-thread' after every 100. A
 * command's latency runs from the start of its execution to the commit that
 * makes it durable, which is when such a program could acknowledge it.
 */
import { join } from 'node:path';
import type { Domain } from '../../src/index.js';
import { LatencyRecorder } from '../stats.js';
import { startTiming, type Timing } from '../timing.js';
import { SingleThreadStore, type BaselineCommand, type BaselineEvent } from './single-thread-store.js';

export const BATCHED_PER_TRANSACTION = 100;

export interface SingleThreadRun {
  readonly timing: Timing;
  readonly latency: LatencyRecorder;
  readonly commands: number;
}

export interface SingleThreadOptions {
  readonly domain: Domain<object, object>;
  readonly dir: string;
  readonly perTransaction: number;
  readonly commands: Iterable<BaselineCommand>;
  /** Called with each committed transaction's events, in order: the hand-written version of subscribers. */
  readonly onCommitted?: (events: readonly BaselineEvent[]) => void;
}

export function runSingleThread(options: SingleThreadOptions): SingleThreadRun {
  const store = new SingleThreadStore(options.domain, join(options.dir, 'baseline.db'));
  const latency = new LatencyRecorder(4096);
  let pending: BaselineEvent[] = [];
  let startedAt: number[] = [];
  let commands = 0;
  const commit = (): void => {
    store.commit(pending);
    const now = performance.now();
    for (const start of startedAt) latency.record(now - start);
    options.onCommitted?.(pending);
    pending = [];
    startedAt = [];
  };
  const stop = startTiming();
  for (const command of options.commands) {
    startedAt.push(performance.now());
    pending.push(store.execute(command));
    commands++;
    if (pending.length >= options.perTransaction) commit();
  }
  if (pending.length > 0) commit();
  const timing = stop();
  const stored = store.storedEvents();
  store.close();
  if (stored !== commands) throw new Error(`baseline stored ${stored} events for ${commands} commands`);
  return { timing, latency, commands };
}
