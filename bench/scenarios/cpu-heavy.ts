/**
 * cpu-heavy: commands whose validate costs real CPU, the case the shard
 * threads exist for. The engine at 1, 2, 4… shards against the same
 * validate + emit + write in one thread, 100 commands per transaction.
 */
import type { Domain } from '../../src/index.js';
import { BATCHED_PER_TRANSACTION, runSingleThread } from '../baselines/single-thread-run.js';
import type { BaselineCommand } from '../baselines/single-thread-store.js';
import { busyDomain } from '../domains/busy-domain.js';
import { signedDomain } from '../domains/signed-domain.js';
import { committedCommands, meanBatchSize, withEngine } from '../engine-harness.js';
import type { BenchResult } from '../result.js';
import { readScenarioArgs, runScenario, throughput } from '../scenario-cli.js';
import { closedLoop } from '../senders.js';
import { LatencyRecorder } from '../stats.js';
import { startTiming } from '../timing.js';
import { withTempDir } from '../temp-dir.js';
import { CPU_WORKLOADS, busyCommands, signedCommands } from '../workloads/cpu-workload.js';

const args = readScenarioArgs({ count: 20_000, concurrency: 1000, workloads: CPU_WORKLOADS, micros: 200 });

/** Both domains are driven through the same untyped path: the workload decides the payloads. */
type AnyEngine = { send(type: string, payload: object): Promise<unknown> };

async function engineRun(domain: Domain<object, object>, commands: readonly BaselineCommand[], workload: string): Promise<BenchResult> {
  return withEngine(domain, { shards: args.shards }, async (engine) => {
    const sender = engine as unknown as AnyEngine;
    const latency = new LatencyRecorder(commands.length);
    const stop = startTiming();
    await closedLoop(args.concurrency, commands.length, async (i) => {
      const command = commands[i]!;
      const sent = performance.now();
      await sender.send(command.type, command.payload);
      latency.record(performance.now() - sent);
    });
    const timing = stop();
    const committed = committedCommands(engine);
    if (committed !== commands.length) throw new Error(`engine committed ${committed} of ${commands.length} commands`);
    return throughput(
      { scenario: 'cpu-heavy', variant: 'engine', workload, shards: args.shards, concurrency: args.concurrency, unit: 'commands/s' },
      commands.length,
      timing,
      latency.summary(),
      `mean batch ${meanBatchSize(engine).toFixed(1)}`,
    );
  });
}

async function main(): Promise<BenchResult> {
  const workload = args.workload === 'busy' ? `busy-${args.micros}us` : 'ed25519';
  const domain = (args.workload === 'busy' ? busyDomain : signedDomain) as Domain<object, object>;
  const commands = args.workload === 'busy' ? busyCommands(args.count, args.micros) : signedCommands(args.count);
  switch (args.variant) {
    case 'engine':
      return engineRun(domain, commands, workload);
    case 'batched-single-thread':
    case 'txn-per-command': {
      const perTransaction = args.variant === 'txn-per-command' ? 1 : BATCHED_PER_TRANSACTION;
      const run = await withTempDir(async (dir) => runSingleThread({ domain, dir, perTransaction, commands }));
      return throughput(
        { scenario: 'cpu-heavy', variant: args.variant, workload, shards: 1, concurrency: 1, unit: 'commands/s' },
        run.commands,
        run.timing,
        run.latency.summary(),
      );
    }
    case 'raw-sqlite':
    case 'emmett':
      throw new Error(`cpu-heavy has no ${args.variant} variant: it measures validation, not storage`);
  }
}

runScenario(main);
