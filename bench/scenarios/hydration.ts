/**
 * hydration: `get` of an aggregate with many events. Cold without a
 * snapshot (every patch replayed), cold with a snapshot as its last event,
 * and cached. Cold means a reopened engine: close, then open on the same
 * directory, so the shard's state cache is empty (the OS file cache is not);
 * each cold read is the first real read of its engine.
 */
import { counterDomain } from '../domains/counter-domain.js';
import { withEngine } from '../engine-harness.js';
import { open, type Engine } from '../../src/index.js';
import type { BenchResult } from '../result.js';
import { readScenarioArgs, round, runScenario } from '../scenario-cli.js';
import { closedLoop } from '../senders.js';
import { LatencyRecorder } from '../stats.js';

const args = readScenarioArgs({ count: 10_000, repeats: 5, concurrency: 1000 });
const PLAIN = 'replayed';
const SNAPSHOTTED = 'snapshotted';
/** A one-event aggregate read first after each reopen, so both cold reads find the read path already compiled. */
const WARM_UP = 'warm-up';
const CACHED_GETS = 2000;
/**
 * Untimed gets between the two cached rows. A reopened engine's worker is a
 * fresh isolate: over its first ~3,000 gets its code is still being compiled
 * (on the same two cores) and the replay's garbage collected, so those gets
 * take 0.15 ms on average against ~0.07 ms once warm. Both are reported.
 */
const WARM_UP_GETS = 5000;

function perGet(workload: string, latency: LatencyRecorder, note: string): BenchResult {
  const summary = latency.summary();
  return {
    scenario: 'hydration',
    variant: 'engine',
    workload,
    shards: args.shards,
    concurrency: 1,
    unit: 'gets/s',
    operations: latency.count,
    seconds: round((summary.meanMs * latency.count) / 1000, 3),
    opsPerSec: Math.round(1000 / summary.meanMs),
    p50Ms: round(summary.p50Ms, 3),
    p99Ms: round(summary.p99Ms, 3),
    p999Ms: round(summary.p999Ms, 3),
    note,
  };
}

async function timedGet(get: () => Promise<unknown>, latency: LatencyRecorder): Promise<void> {
  const began = performance.now();
  await get();
  latency.record(performance.now() - began);
}

async function main(): Promise<BenchResult[]> {
  if (args.variant !== 'engine') throw new Error('hydration measures the engine only');
  const options = { shards: args.shards, queueDepth: Math.max(10_000, args.count * 2) };
  return withEngine(counterDomain, options, async (first, dataDir) => {
    await first.send('Increment', { id: WARM_UP, by: 1 });
    await closedLoop(args.concurrency, args.count * 2, async (i) => {
      const id = i % 2 === 0 ? PLAIN : SNAPSHOTTED;
      await first.send('Increment', { id, by: 1 });
    });
    // Written after every increment of its aggregate has resolved: this snapshot is its last event.
    await first.send('Checkpoint', { id: SNAPSHOTTED });
    await first.close();

    const cold = new LatencyRecorder(args.repeats);
    const coldSnapshot = new LatencyRecorder(args.repeats);
    const cachedFirst = new LatencyRecorder(CACHED_GETS);
    const cached = new LatencyRecorder(CACHED_GETS);
    // Each cold read gets an engine of its own: read after a 10,000-event
    // replay in the same worker, the snapshot read would also pay for the
    // collection of the replay's garbage (measured: 0.3 ms alone, 3–8 ms after).
    const reopened = async (use: (engine: Engine<typeof counterDomain>) => Promise<void>): Promise<void> => {
      const engine = await open({ domain: counterDomain, dataDir, synchronous: 'full', ...options });
      try {
        await engine.get(WARM_UP);
        await use(engine);
      } finally {
        await engine.close();
      }
    };
    for (let r = 0; r < args.repeats; r++) {
      await reopened((engine) => timedGet(() => engine.get(SNAPSHOTTED), coldSnapshot));
      await reopened(async (engine) => {
        await timedGet(() => engine.get(PLAIN), cold);
        if (r === args.repeats - 1) {
          for (let i = 0; i < CACHED_GETS; i++) await timedGet(() => engine.get(PLAIN), cachedFirst);
          for (let i = 0; i < WARM_UP_GETS; i++) await engine.get(PLAIN);
          for (let i = 0; i < CACHED_GETS; i++) await timedGet(() => engine.get(PLAIN), cached);
        }
        const state = await engine.get(PLAIN);
        if (state.increments !== args.count) throw new Error(`replayed aggregate has ${state.increments} increments, expected ${args.count}`);
      });
    }
    const events = `${args.count} events`;
    return [
      perGet('cold', cold, `${events}, no snapshot; ${args.repeats} reopens`),
      perGet('cold-snapshot', coldSnapshot, `${args.count + 1} events, snapshot at the last; ${args.repeats} reopens`),
      perGet('cached-first', cachedFirst, `${events}, state cache hit, sequential: the first ${CACHED_GETS} gets after the cold read`),
      perGet('cached', cached, `${events}, state cache hit, sequential, after ${CACHED_GETS + WARM_UP_GETS} gets`),
    ];
  });
}

runScenario(main);
