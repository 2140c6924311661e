/**
 * How many pages one commit writes to a shard file's WAL, for a given batch
 * shape: a commit's cost beyond its fsync is mostly these pages, and they
 * depend on how the batch's aggregates fall in the file's indexes. The
 * probe writes through the engine's own ShardStore: it fills a file with
 * `--events` events spread round-robin over `--aggregates` aggregates, then
 * commits `--commits` more batches of `--batch`, truncating the WAL before
 * each (from a second connection) and reading its size after. Commit times
 * are not reported: a WAL file that starts empty every commit is slower to
 * write than one that is reused.
 *
 *   node dist/bench/wal-pages.js [--batch 28] [--aggregates 10000] [--ids counter|uuid] [--events 150000] [--commits 200]
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ShardStore, type NewEvent } from '../src/shard/shard-store.js';
import { withTempDir } from './temp-dir.js';
import { runTool, wholeNumber } from './tool-cli.js';
import { uuidFor } from './workloads/order-workload.js';

const USAGE = 'usage: node dist/bench/wal-pages.js [--batch N] [--aggregates N] [--ids counter|uuid] [--events N] [--commits N]';
/** A WAL frame: a 24-byte header and one page. */
const FRAME_HEADER = 24;
const WAL_HEADER = 32;
const PAGE_SIZE = 4096;

interface Probe {
  readonly batch: number;
  readonly aggregates: number;
  readonly ids: 'counter' | 'uuid';
  readonly events: number;
  readonly commits: number;
}

function readProbe(argv: readonly string[]): Probe {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      batch: { type: 'string', default: '28' },
      aggregates: { type: 'string', default: '10000' },
      ids: { type: 'string', default: 'counter' },
      events: { type: 'string', default: '150000' },
      commits: { type: 'string', default: '200' },
    },
    strict: true,
  });
  if (values.ids !== 'counter' && values.ids !== 'uuid') throw new Error(`--ids takes counter or uuid, got ${values.ids}`);
  return {
    batch: wholeNumber(values.batch, 'batch'),
    aggregates: wholeNumber(values.aggregates, 'aggregates'),
    ids: values.ids,
    events: wholeNumber(values.events, 'events'),
    commits: wholeNumber(values.commits, 'commits'),
  };
}

/** Mean WAL pages per commit of the probe's batches. */
async function pagesPerCommit(probe: Probe): Promise<number> {
  return withTempDir(async (dir) => {
    const path = join(dir, 'shard-0.db');
    const store = new ShardStore({ path, shard: 0, shardCount: 1, hashScheme: 'probe', synchronous: 'full' });
    const versions = new Array<number>(probe.aggregates).fill(0);
    let written = 0;
    const commitBatch = (): void => {
      const events: NewEvent[] = [];
      for (let k = 0; k < probe.batch; k++, written++) {
        const aggregate = written % probe.aggregates;
        const version = ++versions[aggregate]!;
        events.push({
          eventId: `event-${written}`,
          aggregateId: probe.ids === 'uuid' ? uuidFor(aggregate) : `counter-${aggregate}`,
          version,
          name: 'Incremented',
          schemaVersion: 1,
          occurredAt: new Date().toISOString(),
          patch: `[{"op":"replace","path":"/count","value":${version}}]`,
          commandId: null,
          commandHash: null,
          metadata: null,
        });
      }
      store.append(events);
    };
    while (written < probe.events) commitBatch();
    const wal = new Database(path);
    let frames = 0;
    try {
      for (let c = 0; c < probe.commits; c++) {
        wal.pragma('wal_checkpoint(TRUNCATE)');
        commitBatch();
        frames += (statSync(`${path}-wal`).size - WAL_HEADER) / (FRAME_HEADER + PAGE_SIZE);
      }
    } finally {
      wal.close();
      store.close();
    }
    return frames / probe.commits;
  });
}

runTool(USAGE, readProbe, async (probe) => {
  const pages = await pagesPerCommit(probe);
  process.stdout.write(
    `${pages.toFixed(1)} WAL pages per commit: batches of ${probe.batch} over ${probe.aggregates} ${probe.ids} aggregates, after ${probe.events} events (${probe.commits} commits)\n`,
  );
});
