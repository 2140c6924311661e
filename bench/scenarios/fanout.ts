/**
 * fanout: committed events delivered to ten subscribers with trivial
 * handlers, timed from the first send until `drain()` says every delivery
 * was handled. The baseline calls the same ten handlers after each commit.
 */
import { BATCHED_PER_TRANSACTION, runSingleThread } from '../baselines/single-thread-run.js';
import { counterDomain } from '../domains/counter-domain.js';
import { meanBatchSize, withEngine } from '../engine-harness.js';
import type { BenchResult } from '../result.js';
import { readScenarioArgs, runScenario, throughput } from '../scenario-cli.js';
import { closedLoop } from '../senders.js';
import { LatencyRecorder } from '../stats.js';
import { startTiming } from '../timing.js';
import { withTempDir } from '../temp-dir.js';
import { counterId, incrementCommands } from '../workloads/counter-workload.js';

const args = readScenarioArgs({ count: 20_000, concurrency: 1000 });
const SUBSCRIBERS = 10;
const AGGREGATES = 1000;
const base = { scenario: 'fanout', workload: `${SUBSCRIBERS}-subscribers`, unit: 'events/s' } as const;

async function main(): Promise<BenchResult> {
  const deliveries = new Array<number>(SUBSCRIBERS).fill(0);
  const handlers = deliveries.map((_, s) => (_event: unknown): void => void deliveries[s]!++);
  const check = (): void => {
    const total = deliveries.reduce((a, b) => a + b, 0);
    if (total !== args.count * SUBSCRIBERS) throw new Error(`delivered ${total} of ${args.count * SUBSCRIBERS} events`);
  };
  const note = `${SUBSCRIBERS} subscribers: ${args.count * SUBSCRIBERS} deliveries`;
  switch (args.variant) {
    case 'engine':
      return withEngine(counterDomain, { shards: args.shards }, async (engine) => {
        handlers.forEach((handler, s) => engine.subscribe('Incremented', handler, { name: `subscriber-${s}` }));
        const latency = new LatencyRecorder(args.count);
        const stop = startTiming();
        await closedLoop(args.concurrency, args.count, async (i) => {
          const sent = performance.now();
          await engine.send('Increment', { id: counterId(i % AGGREGATES), by: 1 });
          latency.record(performance.now() - sent);
        });
        await engine.drain();
        const timing = stop();
        check();
        return throughput(
          { ...base, variant: 'engine', shards: args.shards, concurrency: args.concurrency },
          args.count,
          timing,
          latency.summary(),
          `${note}; mean batch ${meanBatchSize(engine).toFixed(1)}`,
        );
      });
    case 'txn-per-command':
    case 'batched-single-thread': {
      const perTransaction = args.variant === 'txn-per-command' ? 1 : BATCHED_PER_TRANSACTION;
      const run = await withTempDir(async (dir) =>
        runSingleThread({
          domain: counterDomain,
          dir,
          perTransaction,
          commands: incrementCommands(args.count, AGGREGATES),
          onCommitted: (events) => {
            for (const event of events) for (const handler of handlers) handler(event);
          },
        }),
      );
      check();
      return throughput({ ...base, variant: args.variant, shards: 1, concurrency: 1 }, run.commands, run.timing, run.latency.summary(), note);
    }
    case 'raw-sqlite':
    case 'emmett':
      throw new Error(`fanout has no ${args.variant} variant`);
  }
}

runScenario(main);
