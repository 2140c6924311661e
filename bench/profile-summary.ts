/**
 * Where a thread's time went: the self time of each function in a
 * `.cpuprofile` written by `node --cpu-prof` (one file per thread, shard
 * workers included), largest first, and per operation when told how many
 * operations the run made.
 *
 *   node --cpu-prof --cpu-prof-dir=prof dist/bench/scenarios/order.js --shards 1 --concurrency 1000 --count 20000
 *   node dist/bench/profile-summary.js prof/*.cpuprofile --ops 60000 [--top 25]
 *
 * The profiler samples the thread's JavaScript stack on the wall clock:
 * time a thread spends blocked inside a call (fsync within a commit, a
 * preempted `postMessage`) counts for that call, native work counts for the
 * JavaScript function that called it, and `(idle)` is the event loop
 * waiting. Compare self times of the same run length, not absolute times
 * across machines.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

export interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }>;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  /** `function file:line`, the file as its last two path segments. */
  readonly where: string;
  readonly ms: number;
}

/** Self time per function, largest first; `total` is every sample, idle included. */
export function selfTimes(profile: CpuProfile): { readonly total: number; readonly rows: SelfTime[] } {
  const nodeWhere = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    nodeWhere.set(node.id, `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber}`);
  }
  const micros = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    const where = nodeWhere.get(profile.samples[i]!) ?? '(unknown)';
    micros.set(where, (micros.get(where) ?? 0) + delta);
    total += delta;
  }
  const rows = [...micros].map(([where, us]) => ({ where, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
  return { total: total / 1000, rows };
}

function isCpuProfile(value: unknown): value is CpuProfile {
  const p = value as Partial<CpuProfile> | null;
  return typeof p === 'object' && p !== null && Array.isArray(p.nodes) && Array.isArray(p.samples) && Array.isArray(p.timeDeltas);
}

const USAGE = 'usage: node dist/bench/profile-summary.js <file.cpuprofile>… [--ops N] [--top N]';

function positive(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a positive whole number, got ${raw}`);
  return value;
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: { ops: { type: 'string' }, top: { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const ops = positive(values.ops, 'ops');
  const top = positive(values.top, 'top') ?? 25;
  if (positionals.length === 0) throw new Error('name at least one .cpuprofile file');
  for (const file of positionals) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!isCpuProfile(parsed)) throw new Error(`${file} is not a V8 CPU profile (no nodes, samples and timeDeltas)`);
    const { total, rows } = selfTimes(parsed);
    process.stdout.write(`${basename(file)}: ${total.toFixed(1)} ms sampled\n`);
    for (const row of rows.slice(0, top)) {
      const perOp = ops === undefined ? '' : `${((row.ms * 1000) / ops).toFixed(2).padStart(9)} µs/op`;
      process.stdout.write(`${row.ms.toFixed(1).padStart(10)} ms${perOp}  ${row.where}\n`);
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(basename(process.argv[1]))) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
}
