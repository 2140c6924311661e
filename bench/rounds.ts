/**
 * Runs of several rounds: with `--rounds N` every case of the plan runs N
 * times, a round of all cases after another, so a case's runs are spread
 * over the whole run and a baseline and the engine rows it rates meet the
 * same spells of outside load. Each case keeps its median run.
 */
import type { BenchResult } from './result.js';

/** Results of one case, whatever the round. */
function caseKey(result: BenchResult): string {
  return [result.scenario, result.workload, result.variant, result.shards, result.concurrency].join('\u0000');
}

/**
 * One result per case: the run with the median throughput (the lower middle
 * for an even count), whole, so its latency and CPU figures belong to it.
 * With more than one run, the note says so and gives the range. Cases keep
 * the order of their first result.
 */
export function medianOfRounds(results: readonly BenchResult[]): BenchResult[] {
  const byCase = new Map<string, BenchResult[]>();
  for (const result of results) {
    const key = caseKey(result);
    const runs = byCase.get(key);
    if (runs === undefined) byCase.set(key, [result]);
    else runs.push(result);
  }
  return [...byCase.values()].map((runs) => {
    if (runs.length === 1) return runs[0]!;
    const sorted = [...runs].sort((a, b) => a.opsPerSec - b.opsPerSec);
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const range = `median of ${runs.length} rounds (${sorted[0]!.opsPerSec.toLocaleString('en-US')}–${sorted[sorted.length - 1]!.opsPerSec.toLocaleString('en-US')})`;
    return { ...median, note: median.note === undefined ? range : `${median.note}; ${range}` };
  });
}
