/**
 * bench/RESULTS.md: a log of runs, newest last. The first run writes the
 * explanation of what each scenario and baseline does; every run appends
 * its date, machine, exact command, table and target checks.
 */
import { appendFile, access } from 'node:fs/promises';
import type { MachineInfo } from './machine.js';
import type { RatedResult } from './ratios.js';
import { formatMarkdownTable } from './table.js';
import { formatTargetCheck, type TargetCheck } from './targets.js';

const PREAMBLE = `# Benchmark results

Produced by \`npm run bench\` (\`bench/run.ts\`); each run appends a section
below. Every case runs in a fresh Node process; the baselines run in the same
invocation, on the same machine, on the same workload, so compare ratios
within one section, not absolute figures across sections. Files are real
files in the OS temp directory, WAL, \`synchronous=FULL\`.

## Variants

- **engine**: this library. Commands go through \`engine.send\` from
  closed-loop senders (a sender awaits each command before the next), are
  routed to their shard's worker thread, run through validate and emit, and
  are acknowledged after their batch's transaction commits.
- **txn-per-command**: what a user writes without this library. One thread,
  aggregates in a \`Map\`, the *same domain code* (validate, emit), the change
  diffed into an RFC 6902 patch with fast-json-patch \`compare\` and
  serialised with \`JSON.stringify\`, a UUID per event, and one prepared
  better-sqlite3 \`INSERT\` into an \`events\` table with the engine's columns,
  unique by \`(aggregate_id, version)\` as a user would write it (the engine
  numbers aggregates in a \`streams\` table and is unique by
  \`(stream, version)\`), **one transaction per command**. It
  skips what the engine adds for safety (checking and copying payloads,
  deep-freezing states) and never crosses a thread.
- **batched-single-thread**: the same program committing **100 commands per
  transaction** (a command counts as done at its transaction's commit).
- **raw-sqlite**: the storage ceiling. Pre-built rows shaped like the order
  example's events, inserted with a prepared statement, **1,000 per
  transaction**, one file per shard, one worker thread per shard, all
  shards writing at once; at least 30,000 events so the figure is stable.
  No domain code, no messaging. Its latency is the time of one transaction.

## Scenarios

- **order**: N orders, each \`CreateOrder\` → \`ConfirmOrder\` → \`ShipOrder\`
  (the example's \`orderDomain\`, without the snapshot it stores at
  \`ShipOrder\`: the baselines store none; see bench/domains/order-domain.ts);
  a sender awaits an order's three sends in turn. Quick runs with one sender use fewer orders (each command waits for
  its own fsync). Throughput counts commands. Orders are named \`ORD-<i>\`
  (workload \`default\`), or, in the \`uuid\` rows, by a UUID each (50,000
  orders, the most senders asked for, against the hand-batched loop only),
  as applications that name aggregates with random UUIDs do.
- **cpu-heavy**: validate does real CPU work. \`ed25519\`: each command carries
  an Ed25519 signature and the signer's public key (SPKI DER, base64), and
  validate verifies it with node:crypto (decoded keys are kept per thread,
  as verifiers do). \`busy-Nus\`: validate spins for N µs. 1,000 aggregates,
  1,000 senders.
- **hot-aggregate**: 10,000 increments of one counter, all sent at once.
- **latency**: peak found first (closed loop, 1,000 senders, 40% of the
  time), then an open loop at 50% of that peak for the rest; latency from
  \`send\` to its resolution. \`conc\` shows \`open\`.
- **hydration**: \`get\` of a counter with 10,000 events after the engine was
  closed and reopened on its directory (\`cold\`: replays every patch;
  \`cold-snapshot\`: its last event stored a snapshot), then 2,000 gets
  in turn straight after the cold read (\`cached-first\`: the reopened
  worker's code is still compiling and the replay's garbage being
  collected), 5,000 untimed, and 2,000 more (\`cached\`, the steady cost of
  a cache hit). Throughput is 1 / mean time per get.
- **fanout**: counter increments over 1,000 aggregates with 10 subscribers
  (trivial handlers), timed from the first send until \`engine.drain()\`;
  throughput counts events, each delivered 10 times. The baseline calls the
  same 10 handlers after each commit.

Ratios: \`×txn\`, \`×batched\` divide a row's throughput by that baseline's
for the same scenario and workload; \`×raw\` by raw-sqlite at the same shard
count.

\`cpu µs/op\`: CPU time of the whole process (main thread and every worker)
during the timed part, per operation. Throughput on a shared machine moves
with other load; CPU per operation barely does, and on *k* free cores it
bounds throughput at *k* / (CPU per operation). Each run also records the
machine's *parallel capacity*: the same CPU work on as many threads as
cores against one thread (2.0 on two free cores; near 1 when something else
holds a core). \`main µs/op\`: the main thread's share of it (Linux, 10 ms
resolution): every command is routed and settled there, so 10⁶ / (main
µs/op) is the most the engine can take however many cores its shards get.
`;

export interface RunRecord {
  readonly startedAt: Date;
  readonly command: string;
  readonly quick: boolean;
  /** The scenario filters given, empty for every scenario. */
  readonly scenarios: readonly string[];
  readonly machine: MachineInfo;
  /** Cores' worth of CPU the machine gave, before and after the run (see parallel-capacity.ts). */
  readonly capacity: ParallelCapacity;
  readonly durationSeconds: number;
  readonly results: readonly RatedResult[];
  readonly targets: readonly TargetCheck[];
  readonly failures: readonly string[];
}

export interface ParallelCapacity {
  readonly before: number;
  readonly after: number;
}

export function describeCapacity(capacity: ParallelCapacity, cores: number): string {
  return `Parallel capacity (${cores} threads of fixed CPU work against 1; ${cores} means every core was free): ${capacity.before} before the run, ${capacity.after} after`;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

export function formatRecord(record: RunRecord): string {
  const m = record.machine;
  const lines = [
    `## ${record.startedAt.toISOString()} (${record.quick ? 'quick' : 'full'} run${record.scenarios.length > 0 ? ` of ${record.scenarios.join(', ')}` : ''})`,
    '',
    `- Command: \`${record.command}\``,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}; Node ${m.node}`,
    `- Load average when started: ${m.loadAverage}; run took ${Math.round(record.durationSeconds)} s`,
    `- ${describeCapacity(record.capacity, m.cores)}`,
    '',
    formatMarkdownTable(record.results),
    '',
    'Targets:',
    '',
    ...record.targets.map((t) => `- ${formatTargetCheck(t)}`),
  ];
  if (record.failures.length > 0) lines.push('', 'Failed cases:', '', ...record.failures.map((f) => `- ${f}`));
  return `${lines.join('\n')}\n`;
}

export async function appendRecord(file: string, record: RunRecord): Promise<void> {
  const head = (await exists(file)) ? '' : `${PREAMBLE}\n`;
  await appendFile(file, `${head}\n${formatRecord(record)}`);
}
