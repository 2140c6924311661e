/**
 * How long the one-time rewrite of a store format 1 shard file takes when
 * an engine first opens it, and what it does to the file's size. Writes
 * `--events` events over `--aggregates` aggregates named by UUIDs through
 * the engine's own store, turns the file back into format 1
 * (bench/format-1-file.ts), then times opening it.
 *
 *   node dist/bench/format-rewrite.js [--events 200000] [--aggregates N]
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ShardStore, type NewEvent } from '../src/shard/shard-store.js';
import { downgradeToFormat1 } from './format-1-file.js';
import { withTempDir } from './temp-dir.js';
import { runTool, wholeNumber } from './tool-cli.js';
import { uuidFor } from './workloads/order-workload.js';

const USAGE = 'usage: node dist/bench/format-rewrite.js [--events N] [--aggregates N]';
const BATCH = 1000;

function megabytes(path: string): string {
  let bytes = 0;
  try {
    bytes = statSync(path).size;
  } catch {
    // no such file: 0
  }
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

interface Sizes {
  readonly events: number;
  readonly aggregates: number;
}

function readSizes(argv: readonly string[]): Sizes {
  const { values } = parseArgs({ args: [...argv], options: { events: { type: 'string', default: '200000' }, aggregates: { type: 'string' } }, strict: true });
  const events = wholeNumber(values.events, 'events');
  return { events, aggregates: values.aggregates === undefined ? Math.max(1, Math.floor(events / 10)) : wholeNumber(values.aggregates, 'aggregates') };
}

async function timeRewrite({ events, aggregates }: Sizes): Promise<void> {
  await withTempDir(async (dir) => {
    const path = join(dir, 'shard-0.db');
    const identity = { path, shard: 0, shardCount: 1, hashScheme: 'probe', synchronous: 'full' } as const;
    const writer = new ShardStore(identity);
    const versions = new Array<number>(aggregates).fill(0);
    for (let written = 0; written < events; ) {
      const batch: NewEvent[] = [];
      for (; batch.length < BATCH && written < events; written++) {
        const aggregate = written % aggregates;
        const version = ++versions[aggregate]!;
        batch.push({
          eventId: `event-${written}`,
          aggregateId: uuidFor(aggregate),
          version,
          name: 'Incremented',
          schemaVersion: 1,
          occurredAt: '2026-11-27T00:00:00.000Z',
          patch: `[{"op":"replace","path":"/count","value":${version}}]`,
          commandId: null,
          commandHash: null,
          metadata: null,
        });
      }
      writer.append(batch);
    }
    writer.close();
    downgradeToFormat1(path);
    const before = megabytes(path);
    const began = performance.now();
    const reader = new ShardStore(identity);
    const seconds = (performance.now() - began) / 1000;
    const after = megabytes(path);
    const wal = megabytes(`${path}-wal`);
    const replayed = reader.eventsAfter(uuidFor(0), 0).length;
    reader.close();
    if (replayed !== versions[0]) throw new Error(`after the rewrite the first aggregate has ${replayed} events, expected ${versions[0]}`);
    process.stdout.write(
      `${events} events over ${aggregates} UUID aggregates: format 1 → 2 in ${seconds.toFixed(2)} s; file ${before} before, ${after} after, WAL ${wal}\n`,
    );
  });
}

runTool(USAGE, readSizes, timeRewrite);
