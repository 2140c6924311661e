/** A data directory whose counter `bad` has 12 versions and an unreadable snapshot at version 10. */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { open } from '../../dist/src/index.js';
import { counterDomain } from '../../dist/test/fixtures/counter-domain.js';

export async function corruptSnapshotDir(dataDir: string): Promise<string> {
  const first = await open({ domain: counterDomain, dataDir, shards: 1, snapshotEvery: 5 });
  for (let i = 0; i < 12; i++) await first.send('Increment', { id: 'bad', by: 1 });
  await first.close();
  const db = new Database(join(dataDir, 'shard-0.db'));
  db.prepare("UPDATE snapshots SET state = '{\"count\": 10, trunc' WHERE aggregate_id = 'bad'").run();
  db.close();
  return dataDir;
}
