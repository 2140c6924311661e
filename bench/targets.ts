/**
 * The project's performance targets: ratios to baselines from the same run,
 * and the few absolute figures the issues set for the 2-core machine
 * (latency, hot aggregate, hydration, catch-up), which depend on the
 * machine and are reported as such.
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
  /** The row's figure that the target bounds; `undefined` when the row lacks it. */
  readonly value: (r: RatedResult) => number | undefined;
  readonly atLeast?: number;
  readonly atMost?: number;
  /** How a figure reads in the detail, for example `2.41×` or `0.83 ms`. */
  readonly unit: (value: number) => string;
}

const times = (value: number): string => `${value.toFixed(2)}×`;
const ms = (value: number): string => `${value < 1 ? value.toFixed(3) : value.toFixed(2)} ms`;
const perSecond = (value: number): string => `${Math.round(value).toLocaleString('en-US')}/s`;

function ratioTarget(target: string, rows: (r: RatedResult) => boolean, baseline: Baseline, atLeast: number): Target {
  return { target, rows, value: (r) => r.ratios[baseline], atLeast, unit: times };
}

function latencyTarget(percentile: string, value: (r: RatedResult) => number, atMost: number): Target {
  return {
    target: `latency at 50% of peak: ${percentile} ≤ ${atMost} ms`,
    rows: (r) => r.scenario === 'latency' && r.variant === 'engine',
    value,
    atMost,
    unit: ms,
  };
}

/** Hydration rows report gets per second; the target is on the mean time of one get. */
function hydrationTarget(workload: string, label: string, atMost: number): Target {
  return {
    target: `hydration, ${label}: ≤ ${atMost} ms (mean)`,
    rows: (r) => r.scenario === 'hydration' && r.workload === workload,
    value: (r) => 1000 / r.opsPerSec,
    atMost,
    unit: ms,
  };
}

const TARGETS: readonly Target[] = [
  ratioTarget(
    'order, ≥100 senders: ≥15× txn-per-command',
    (r) => r.scenario === 'order' && r.variant === 'engine' && r.concurrency >= 100,
    'txn-per-command',
    15,
  ),
  ratioTarget(
    'order, ≥100 senders: ≥1.0× batched-single-thread',
    (r) => r.scenario === 'order' && r.variant === 'engine' && r.concurrency >= 100,
    'batched-single-thread',
    1,
  ),
  ratioTarget(
    'order, ≥100 senders: ≥50× Emmett (with --peers)',
    (r) => r.scenario === 'order' && r.variant === 'engine' && r.concurrency >= 100,
    'emmett',
    50,
  ),
  ratioTarget(
    'cpu-heavy, 2 shards: ≥1.85× batched-single-thread (needs 2 idle cores)',
    (r) => r.scenario === 'cpu-heavy' && r.variant === 'engine' && r.shards === 2,
    'batched-single-thread',
    1.85,
  ),
  // The absolute targets, for the 2-core machine: they say little about any other.
  latencyTarget('p50', (r) => r.p50Ms, 1),
  latencyTarget('p99', (r) => r.p99Ms, 5),
  {
    target: 'hot aggregate: ≥ 20,000 commands/s',
    rows: (r) => r.scenario === 'hot-aggregate' && r.variant === 'engine',
    value: (r) => r.opsPerSec,
    atLeast: 20_000,
    unit: perSecond,
  },
  hydrationTarget('cold', 'cold, 10,000 events', 100),
  hydrationTarget('cold-snapshot', 'cold with snapshot', 2),
  hydrationTarget('cached', 'cached', 0.1),
  {
    target: 'catch-up of 1,000,000 events: ≥ 200,000 events/s',
    rows: (r) => r.scenario === 'catch-up' && r.operations >= 1_000_000,
    value: (r) => r.opsPerSec,
    atLeast: 200_000,
    unit: perSecond,
  },
];

function describeRow(r: RatedResult, value: number, unit: (value: number) => string): string {
  const parts = [`${r.shards} shard${r.shards === 1 ? '' : 's'}`];
  if (r.scenario === 'order') parts.push(`${r.concurrency} senders`);
  if (r.workload !== 'default') parts.push(r.workload);
  return `${unit(value)} (${parts.join(', ')})`;
}

/** A target is met when every row it covers is; the detail lists each row's figure. */
export function checkTargets(results: readonly RatedResult[]): TargetCheck[] {
  return TARGETS.map(({ target, rows, value, atLeast, atMost, unit }) => {
    const covered = results.flatMap((r) => {
      const figure = rows(r) ? value(r) : undefined;
      return figure === undefined || !Number.isFinite(figure) ? [] : [{ r, figure }];
    });
    if (covered.length === 0) return { target, met: undefined, detail: 'not measured in this run' };
    const passes = (figure: number): boolean => (atLeast === undefined || figure >= atLeast) && (atMost === undefined || figure <= atMost);
    return {
      target,
      met: covered.every(({ figure }) => passes(figure)),
      detail: covered.map(({ r, figure }) => describeRow(r, figure, unit)).join('; '),
    };
  });
}

export function formatTargetCheck(check: TargetCheck): string {
  const verdict = check.met === undefined ? 'n/a' : check.met ? 'met' : 'NOT met';
  return `${check.target}: ${verdict} — ${check.detail}`;
}
