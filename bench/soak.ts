/**
 * Soak: `npm run soak -- --minutes N [--shards S] [--record]`. Measures the
 * order workload's peak (closed loop), then offers 80% of it from an open
 * loop for N minutes and prints, each minute, the memory (RSS, heap) and the
 * latency percentiles of that minute: memory should stay flat and p99
 * stable. A command refused because a shard queue is full counts as
 * rejected (an open loop does not slow down when the engine does).
 * `--record` appends the table to bench/RESULTS.md.
 */
import { appendFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { QueueFullError, open } from '../src/index.js';
import { orderDomain } from '../examples/order/domain.js';
import { describeMachine } from './machine.js';
import { closedLoopUntil, openLoop } from './senders.js';
import { LatencyRecorder } from './stats.js';
import { withTempDir } from './temp-dir.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    shards: { type: 'string', default: '2' },
    record: { type: 'boolean', default: false },
    'minute-ms': { type: 'string', default: '60000' },
  },
});
const minutes = Number(values.minutes);
const shards = Number(values.shards);
const minuteMs = Number(values['minute-ms']);
if (![minutes, shards, minuteMs].every((n) => Number.isInteger(n) && n > 0)) {
  console.error('usage: npm run soak -- --minutes N [--shards S] [--record]');
  process.exit(2);
}

const { header, rows } = await withTempDir(async (dataDir) => {
  const engine = await open({ domain: orderDomain, dataDir, shards });
  const steps = ['CreateOrder', 'ConfirmOrder', 'ShipOrder'] as const;
  let orderBase = 0;

  let refused = 0;
  /** Command `index` of the workload: order index/3, step index%3 (its shard keeps them in order). */
  async function command(index: number, latencies?: LatencyRecorder): Promise<void> {
    const id = `SOAK-${orderBase + Math.floor(index / 3)}`;
    const step = steps[index % 3]!;
    const started = performance.now();
    try {
      if (step === 'CreateOrder') await engine.send(step, { id, total: 42, items: 2, shipTo: 'Soak Street 1' });
      else await engine.send(step, { id });
      latencies?.record(performance.now() - started);
    } catch (error) {
      // A refused create makes its confirm and ship fail validation: count those too.
      if (!(error instanceof QueueFullError) && !(error instanceof Error && error.name === 'ValidationError')) throw error;
      refused++;
    }
  }

  const peakWindowMs = 10_000;
  const started = await closedLoopUntil(300, performance.now() + peakWindowMs, (i) => command(i));
  orderBase += Math.ceil(started / 3) + 1;
  const peak = (started / peakWindowMs) * 1000;
  const rate = Math.floor(peak * 0.8);
  const header = `soak: order workload, ${shards} shards, peak ${Math.round(peak)} commands/s, offering ${rate}/s (80%) for ${minutes} min`;
  console.log(header);

  const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
  const rows: string[] = [];
  for (let minute = 1; minute <= minutes; minute++) {
    const latencies = new LatencyRecorder(rate * (minuteMs / 1000));
    refused = 0;
    const issued = await openLoop(rate, minuteMs, (i) => command(i, latencies));
    orderBase += Math.ceil(issued / 3) + 1;
    const memory = process.memoryUsage();
    const s = latencies.summary();
    const row = `| ${minute} | ${issued} | ${refused} | ${mb(memory.rss)} | ${mb(memory.heapUsed)} | ${s.p50Ms.toFixed(2)} | ${s.p99Ms.toFixed(2)} | ${s.p999Ms.toFixed(2)} |`;
    rows.push(row);
    console.log(`minute=${minute} commands=${issued} refused=${refused} rss=${mb(memory.rss)}MB heap=${mb(memory.heapUsed)}MB p50=${s.p50Ms.toFixed(2)}ms p99=${s.p99Ms.toFixed(2)}ms p99.9=${s.p999Ms.toFixed(2)}ms`);
  }
  await engine.close();
  return { header, rows };
});

if (values.record === true) {
  const machine = describeMachine();
  const text = [
    '',
    `## ${new Date().toISOString()} (soak)`,
    '',
    `- Command: \`npm run soak -- ${process.argv.slice(2).join(' ')}\``,
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}; Node ${machine.node}`,
    `- Load average when started: ${machine.loadAverage}`,
    `- ${header}`,
    '',
    '| minute | commands | refused | RSS MB | heap MB | p50 ms | p99 ms | p99.9 ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
  await appendFile(new URL('../../bench/RESULTS.md', import.meta.url), text);
}
