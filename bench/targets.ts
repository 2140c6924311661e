/**
 * The project's performance targets, checked as ratios to baselines from the
 * same run (never as absolute figures, which depend on the machine).
 */
import type { RatedResult } from './ratios.js';
import type { Baseline } from './result.js';

export interface TargetCheck {
  readonly target: string;
  /** `undefined` when the run lacks the rows to judge it. */
  readonly met: boolean | undefined;
  readonly detail: string;
}

interface Target {
  readonly target: string;
  readonly rows: (r: RatedResult) => boolean;
  readonly baseline: Baseline;
  readonly atLeast: number;
}

const TARGETS: readonly Target[] = [
  {
    target: 'order, ≥100 senders: ≥15× txn-per-command',
    rows: (r) => r.scenario === 'order' && r.variant === 'engine' && r.concurrency >= 100,
    baseline: 'txn-per-command',
    atLeast: 15,
  },
  {
    target: 'order, ≥100 senders: ≥1.0× batched-single-thread',
    rows: (r) => r.scenario === 'order' && r.variant === 'engine' && r.concurrency >= 100,
    baseline: 'batched-single-thread',
    atLeast: 1,
  },
  {
    target: 'order, ≥100 senders: ≥50× Emmett (with --peers)',
    rows: (r) => r.scenario === 'order' && r.variant === 'engine' && r.concurrency >= 100,
    baseline: 'emmett',
    atLeast: 50,
  },
  {
    target: 'cpu-heavy, 2 shards: ≥1.85× batched-single-thread (needs 2 idle cores)',
    rows: (r) => r.scenario === 'cpu-heavy' && r.variant === 'engine' && r.shards === 2,
    baseline: 'batched-single-thread',
    atLeast: 1.85,
  },
];

function describeRow(r: RatedResult, baseline: Baseline): string {
  const parts = [`${r.shards} shard${r.shards === 1 ? '' : 's'}`];
  if (r.scenario === 'order') parts.push(`${r.concurrency} senders`);
  if (r.workload !== 'default') parts.push(r.workload);
  return `${r.ratios[baseline]?.toFixed(2) ?? '?'}× (${parts.join(', ')})`;
}

/** A target is met when every row it covers is; the detail lists each row's ratio. */
export function checkTargets(results: readonly RatedResult[]): TargetCheck[] {
  return TARGETS.map(({ target, rows, baseline, atLeast }) => {
    const covered = results.filter((r) => rows(r) && r.ratios[baseline] !== undefined);
    if (covered.length === 0) return { target, met: undefined, detail: 'not measured in this run' };
    const passing = covered.filter((r) => r.ratios[baseline]! >= atLeast);
    return {
      target,
      met: passing.length === covered.length,
      detail: covered.map((r) => describeRow(r, baseline)).join('; '),
    };
  });
}

export function formatTargetCheck(check: TargetCheck): string {
  const verdict = check.met === undefined ? 'n/a' : check.met ? 'met' : 'NOT met';
  return `${check.target}: ${verdict} — ${check.detail}`;
}
