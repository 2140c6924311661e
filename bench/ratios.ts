/**
 * Each result against the baselines measured in the same run on the same
 * workload. The single-thread baselines have one figure per workload; the
 * raw-sqlite ceiling is compared at the same shard count.
 */
import { BASELINES, type Baseline, type BenchResult, type ScenarioName } from './result.js';

export interface RatedResult extends BenchResult {
  /** opsPerSec divided by each baseline's, where that baseline ran. */
  readonly ratios: Partial<Record<Baseline, number>>;
  /** The baseline a scenario is judged against, and the ratio to it. */
  readonly baseline: Baseline | null;
  readonly ratio: number | null;
}

/** What each scenario's headline ratio is taken against. */
export const PRIMARY_BASELINE: Record<ScenarioName, Baseline | null> = {
  order: 'txn-per-command',
  'cpu-heavy': 'batched-single-thread',
  'hot-aggregate': 'batched-single-thread',
  fanout: 'batched-single-thread',
  latency: null,
  hydration: null,
  'catch-up': null,
};

function findBaseline(results: readonly BenchResult[], of: BenchResult, baseline: Baseline): BenchResult | undefined {
  return results.find(
    (r) => r.variant === baseline && r.scenario === of.scenario && r.workload === of.workload && (baseline !== 'raw-sqlite' || r.shards === of.shards),
  );
}

export function rate(results: readonly BenchResult[]): RatedResult[] {
  return results.map((result) => {
    const ratios: Partial<Record<Baseline, number>> = {};
    for (const baseline of BASELINES) {
      const found = findBaseline(results, result, baseline);
      if (found !== undefined && found.opsPerSec > 0) ratios[baseline] = Math.round((result.opsPerSec / found.opsPerSec) * 100) / 100;
    }
    const primary = PRIMARY_BASELINE[result.scenario];
    const ratio = primary === null ? undefined : ratios[primary];
    return { ...result, ratios, baseline: ratio === undefined ? null : primary, ratio: ratio ?? null };
  });
}
