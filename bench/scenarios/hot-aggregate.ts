/**
 * hot-aggregate: every command targets one aggregate, all sent at once.
 * Only one shard can work, so extra shards must not cost anything; the
 * state cache and group commit decide the figure.
 */
import { BATCHED_PER_TRANSACTION, runSingleThread } from '../baselines/single-thread-run.js';
import { counterDomain } from '../domains/counter-domain.js';
import { committedCommands, meanBatchSize, withEngine } from '../engine-harness.js';
import type { BenchResult } from '../result.js';
import { readScenarioArgs, runScenario, throughput } from '../scenario-cli.js';
import { LatencyRecorder } from '../stats.js';
import { startTiming } from '../timing.js';
import { withTempDir } from '../temp-dir.js';
import { incrementCommands } from '../workloads/counter-workload.js';

const args = readScenarioArgs({ count: 10_000 });
const base = { scenario: 'hot-aggregate', workload: 'default', unit: 'commands/s' } as const;
const HOT_ID = 'hot';

async function engineRun(): Promise<BenchResult> {
  // Everything is queued at once on one shard, so its queue must hold the whole run.
  return withEngine(counterDomain, { shards: args.shards, queueDepth: Math.max(10_000, args.count) }, async (engine) => {
    const latency = new LatencyRecorder(args.count);
    const stop = startTiming();
    const began = performance.now();
    await Promise.all(
      Array.from({ length: args.count }, async (_, i) => {
        await engine.send('Increment', { id: HOT_ID, by: 1 + (i % 7) });
        latency.record(performance.now() - began);
      }),
    );
    const timing = stop();
    const committed = committedCommands(engine);
    if (committed !== args.count) throw new Error(`engine committed ${committed} of ${args.count} commands`);
    const state = await engine.get(HOT_ID);
    if (state.increments !== args.count) throw new Error(`hot aggregate has ${state.increments} increments, expected ${args.count}`);
    return throughput(
      { ...base, variant: 'engine', shards: args.shards, concurrency: args.count },
      args.count,
      timing,
      latency.summary(),
      `mean batch ${meanBatchSize(engine).toFixed(1)}`,
    );
  });
}

async function main(): Promise<BenchResult> {
  switch (args.variant) {
    case 'engine':
      return engineRun();
    case 'txn-per-command':
    case 'batched-single-thread': {
      const perTransaction = args.variant === 'txn-per-command' ? 1 : BATCHED_PER_TRANSACTION;
      const run = await withTempDir(async (dir) =>
        runSingleThread({ domain: counterDomain, dir, perTransaction, commands: incrementCommands(args.count, 1) }),
      );
      return throughput({ ...base, variant: args.variant, shards: 1, concurrency: 1 }, run.commands, run.timing, run.latency.summary());
    }
    case 'raw-sqlite':
    case 'emmett':
      throw new Error(`hot-aggregate has no ${args.variant} variant`);
  }
}

runScenario(main);
