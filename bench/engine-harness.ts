/**
 * Opens an engine on a fresh temp directory, hands it over, and always closes
 * it and removes the directory, so a failed run leaves neither workers nor files.
 */
import { open, type Domain, type Engine, type EngineOptions } from '../src/index.js';
import { withTempDir } from './temp-dir.js';

export type BenchEngineOptions = Omit<EngineOptions<Domain<object, object>>, 'domain' | 'dataDir'>;

export async function withEngine<D extends Domain<object, object>, T>(
  domain: D,
  options: BenchEngineOptions,
  use: (engine: Engine<D>, dataDir: string) => Promise<T>,
): Promise<T> {
  return withTempDir(async (dataDir) => {
    const engine = await open({ synchronous: 'full', ...options, domain, dataDir });
    try {
      return await use(engine, dataDir);
    } finally {
      await engine.close();
    }
  });
}

export interface BatchTotals {
  readonly operations: number;
  readonly batches: number;
}

/** Operations and batches over every shard so far; subtract two readings to see one phase. */
export function batchTotals(engine: Engine<Domain<object, object>>): BatchTotals {
  let operations = 0;
  let batches = 0;
  for (const shard of engine.stats().shards) {
    operations += shard.meanBatchSize * shard.batches;
    batches += shard.batches;
  }
  return { operations, batches };
}

/** Mean operations per batch (since `since`, when given): how much group commit the load allowed. */
export function meanBatchSize(engine: Engine<Domain<object, object>>, since: BatchTotals = { operations: 0, batches: 0 }): number {
  const now = batchTotals(engine);
  const batches = now.batches - since.batches;
  return batches === 0 ? 0 : (now.operations - since.operations) / batches;
}

export function committedCommands(engine: Engine<Domain<object, object>>): number {
  return engine.stats().shards.reduce((sum, shard) => sum + shard.committed, 0);
}
