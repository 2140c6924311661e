/**
 * latency: first the peak (closed loop, many senders, for a short while),
 * then an open loop at half of it: commands are sent at a fixed rate
 * whatever the engine does, and latency runs from send to resolve.
 */
import { counterDomain } from '../domains/counter-domain.js';
import { batchTotals, meanBatchSize, withEngine } from '../engine-harness.js';
import type { BenchResult } from '../result.js';
import { readScenarioArgs, runScenario, throughput } from '../scenario-cli.js';
import { closedLoopUntil, openLoop } from '../senders.js';
import { LatencyRecorder } from '../stats.js';
import { startTiming } from '../timing.js';
import { counterId } from '../workloads/counter-workload.js';

const args = readScenarioArgs({ seconds: 5, concurrency: 1000 });
const AGGREGATES = 10_000;
const PEAK_SECONDS_SHARE = 0.4;

async function main(): Promise<BenchResult> {
  if (args.variant !== 'engine') throw new Error('latency measures the engine only');
  return withEngine(counterDomain, { shards: args.shards }, async (engine) => {
    const increment = (i: number): Promise<unknown> => engine.send('Increment', { id: counterId(i % AGGREGATES), by: 1 });
    const peakMs = args.seconds * 1000 * PEAK_SECONDS_SHARE;
    const peakStart = performance.now();
    const peakCommands = await closedLoopUntil(args.concurrency, peakStart + peakMs, async (i) => void (await increment(i)));
    const peak = peakCommands / ((performance.now() - peakStart) / 1000);
    const rate = Math.max(1, Math.round(peak / 2));

    const latency = new LatencyRecorder(Math.ceil(rate * args.seconds));
    const openMs = args.seconds * 1000 * (1 - PEAK_SECONDS_SHARE);
    const before = batchTotals(engine);
    const stop = startTiming();
    const sent = await openLoop(rate, openMs, async (i) => {
      const sentAt = performance.now();
      await increment(peakCommands + i);
      latency.record(performance.now() - sentAt);
    });
    const timing = stop();
    // An open loop has no fixed number of senders: 0 marks it.
    return throughput(
      { scenario: 'latency', variant: 'engine', workload: 'open-loop-50%', shards: args.shards, concurrency: 0, unit: 'commands/s' },
      sent,
      timing,
      latency.summary(),
      `offered ${rate}/s = 50% of peak ${Math.round(peak)}/s (closed loop, ${args.concurrency} senders); mean batch ${meanBatchSize(engine, before).toFixed(1)}`,
    );
  });
}

runScenario(main);
