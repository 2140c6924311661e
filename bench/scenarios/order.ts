/**
 * order: N orders, each CreateOrder → ConfirmOrder → ShipOrder, from
 * `concurrency` senders that each await an order's three sends in turn.
 * Variants: the engine, both single-thread baselines, and raw-sqlite with
 * the same number of events. `--workload uuid` names the orders with UUIDs
 * instead of `ORD-<i>` (engine and single-thread baselines).
 */
import { benchOrderDomain } from '../domains/order-domain.js';
import { runEmmett } from '../baselines/emmett.js';
import { runRawSqlite } from '../baselines/raw-sqlite.js';
import { BATCHED_PER_TRANSACTION, runSingleThread } from '../baselines/single-thread-run.js';
import { committedCommands, meanBatchSize, withEngine } from '../engine-harness.js';
import type { BenchResult } from '../result.js';
import { readScenarioArgs, runScenario, throughput } from '../scenario-cli.js';
import { closedLoop } from '../senders.js';
import { LatencyRecorder } from '../stats.js';
import { startTiming } from '../timing.js';
import { withTempDir } from '../temp-dir.js';
import { ORDER_ID_WORKLOADS, createOrder, orderCommands, orderId, type OrderIds } from '../workloads/order-workload.js';

const args = readScenarioArgs({ count: 10_000, concurrency: 100, workloads: ORDER_ID_WORKLOADS });
const ids = args.workload as OrderIds;
const base = { scenario: 'order', workload: ids, unit: 'commands/s' } as const;

async function engineRun(): Promise<BenchResult> {
  return withEngine(benchOrderDomain, { shards: args.shards }, async (engine) => {
    const latency = new LatencyRecorder(args.count * 3);
    const timed = async (send: () => Promise<unknown>): Promise<void> => {
      const began = performance.now();
      await send();
      latency.record(performance.now() - began);
    };
    const stop = startTiming();
    await closedLoop(args.concurrency, args.count, async (i) => {
      const id = orderId(i, ids);
      await timed(() => engine.send('CreateOrder', createOrder(i, ids)));
      await timed(() => engine.send('ConfirmOrder', { id }));
      await timed(() => engine.send('ShipOrder', { id }));
    });
    const timing = stop();
    const committed = committedCommands(engine);
    if (committed !== args.count * 3) throw new Error(`engine committed ${committed} of ${args.count * 3} commands`);
    return throughput(
      { ...base, variant: 'engine', shards: args.shards, concurrency: args.concurrency },
      args.count * 3,
      timing,
      latency.summary(),
      `${args.count} orders, mean batch ${meanBatchSize(engine).toFixed(1)}`,
    );
  });
}

async function main(): Promise<BenchResult> {
  if (ids !== 'default' && (args.variant === 'emmett' || args.variant === 'raw-sqlite')) {
    throw new Error(`--workload ${ids} runs the engine and the single-thread baselines; ${args.variant} writes the default workload only`);
  }
  switch (args.variant) {
    case 'engine':
      return engineRun();
    case 'txn-per-command':
    case 'batched-single-thread': {
      const perTransaction = args.variant === 'txn-per-command' ? 1 : BATCHED_PER_TRANSACTION;
      const run = await withTempDir(async (dir) => runSingleThread({ domain: benchOrderDomain, dir, perTransaction, commands: orderCommands(args.count, ids) }));
      return throughput({ ...base, variant: args.variant, shards: 1, concurrency: 1 }, run.commands, run.timing, run.latency.summary(), `${args.count} orders`);
    }
    case 'emmett': {
      const run = await withTempDir((dir) => runEmmett(dir, args.count));
      return throughput(
        { ...base, variant: 'emmett', shards: 1, concurrency: 1 },
        run.commands,
        run.timing,
        run.latency.summary(),
        `${args.count} orders, one at a time, singleton connection, WAL`,
      );
    }
    case 'raw-sqlite': {
      const run = await withTempDir((dir) => runRawSqlite(dir, args.shards, args.count * 3));
      return throughput(
        { ...base, variant: 'raw-sqlite', shards: args.shards, concurrency: 1, unit: 'events/s' },
        run.events,
        run.timing,
        run.latency.summary(),
        '1000 per transaction; latency per transaction',
      );
    }
  }
}

runScenario(main);
