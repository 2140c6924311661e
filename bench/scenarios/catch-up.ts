/**
 * catch-up: a durable subscription started from the beginning over a
 * directory that already holds `count` events, with a trivial handler,
 * timed from subscribe until `drain()` says every event was handled. This
 * is how fast a projection rebuilds. The history is written first through
 * the engine (with `synchronous: 'normal'` to save time; it is not measured),
 * round-robin over `--aggregates` counters.
 */
import { counterDomain } from '../domains/counter-domain.js';
import { open } from '../../src/index.js';
import type { BenchResult } from '../result.js';
import { readScenarioArgs, runScenario, throughput } from '../scenario-cli.js';
import { closedLoop } from '../senders.js';
import { startTiming } from '../timing.js';
import { withTempDir } from '../temp-dir.js';
import { counterId } from '../workloads/counter-workload.js';

// More aggregates than a catch-up stream remembers (STREAM_MEMORY) make most previous states a rebuild.
const args = readScenarioArgs({ count: 1_000_000, concurrency: 1, aggregates: 10_000 });
/** The goal for a rebuild over a million events, on the 2-core machine. */
const GOAL_PER_SECOND = 200_000;

async function main(): Promise<BenchResult> {
  if (args.variant !== 'engine') throw new Error(`catch-up measures the engine only, not ${args.variant}`);
  return withTempDir(async (dataDir) => {
    const writer = await open({ domain: counterDomain, dataDir, shards: args.shards, synchronous: 'normal', maxBatch: 5_000 });
    await closedLoop(2_000, args.count, async (i) => {
      await writer.send('Increment', { id: counterId(i % args.aggregates), by: 1 });
    });
    await writer.close();

    const engine = await open({ domain: counterDomain, dataDir, shards: args.shards });
    try {
      let delivered = 0;
      const stop = startTiming();
      engine.subscribe(
        'Incremented',
        () => {
          delivered++;
        },
        { durable: 'rebuild', from: 'beginning' },
      );
      await engine.drain();
      const timing = stop();
      if (delivered !== args.count) throw new Error(`delivered ${delivered} of ${args.count} events`);
      const perSecond = (delivered / timing.elapsedMs) * 1000;
      // Another number of counters is another workload: rows of both must not be taken for rounds of one case.
      const workload = args.aggregates === 10_000 ? 'durable-rebuild' : `durable-rebuild-${args.aggregates}-aggregates`;
      return throughput(
        { scenario: 'catch-up', workload, variant: 'engine', shards: args.shards, concurrency: 1, unit: 'events/s' },
        delivered,
        timing,
        // A rebuild has no per-command latency: throughput is the figure.
        { p50Ms: 0, p99Ms: 0, p999Ms: 0 },
        // The goal was set for the 10,000-counter workload; a wider one is a different measurement.
        workload === 'durable-rebuild'
          ? `${delivered} stored events over ${args.aggregates} aggregates; goal ${GOAL_PER_SECOND}/s ${perSecond >= GOAL_PER_SECOND ? 'met' : 'not met'}`
          : `${delivered} stored events over ${args.aggregates} aggregates; the goal is set for 10,000`,
      );
    } finally {
      await engine.close();
    }
  });
}

runScenario(main);
