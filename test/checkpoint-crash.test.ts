/**
 * A process killed while SQLite copies a shard file's WAL into the file (a
 * checkpoint) leaves the file shorter than its header says: the copy goes in
 * page order, and page 1, which records the new page count, comes first. The
 * missing pages are still in the WAL, from which SQLite recovers; `open`
 * must too, with every event, instead of calling the file truncated. (A
 * file cut short with nothing in its WAL is still refused: see
 * engine-open.test.ts.)
 */
import Database from 'better-sqlite3';
import { copyFileSync, closeSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { open } from '../dist/src/index.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

/** The last image of page `page` in a WAL's frames of its current salt, up to the last commit. */
function lastCommittedImage(wal: Buffer, page: number): Buffer | undefined {
  const pageSize = wal.readUInt32BE(8);
  const salt = [wal.readUInt32BE(16), wal.readUInt32BE(20)];
  let latest: Buffer | undefined;
  let committed: Buffer | undefined;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (wal.readUInt32BE(at + 8) !== salt[0] || wal.readUInt32BE(at + 12) !== salt[1]) break;
    if (wal.readUInt32BE(at) === page) latest = wal.subarray(at + 24, at + 24 + pageSize);
    // A commit frame records the database's size in pages after it.
    if (wal.readUInt32BE(at + 4) > 0) committed = latest;
  }
  return committed;
}

/** A copy of `dataDir` as a process killed right after its last commit leaves it: the WAL kept, the shared-memory index not. */
function crashCopy(dataDir: string): string {
  const copy = tempDir();
  for (const name of readdirSync(dataDir)) if (!name.endsWith('-shm')) copyFileSync(join(dataDir, name), join(copy, name));
  return copy;
}

describe('a shard file whose checkpoint was cut off by a kill', () => {
  it('opens with every event: the pages its header counts are in its WAL', async () => {
    const dataDir = tempDir();
    const engine = await open({ domain: counterDomain, dataDir, shards: 1 });
    for (let i = 0; i < 20; i++) await engine.send('Increment', { id: `c${i}`, by: i + 1 });
    await engine.close();

    // The file grows in the WAL only: this connection never checkpoints while it is copied.
    const file = join(dataDir, 'shard-0.db');
    const writer = new Database(file);
    writer.pragma('wal_autocheckpoint = 0');
    writer.prepare("INSERT INTO meta (key, value) VALUES ('padding', ?)").run('x'.repeat(200_000));
    const crashed = crashCopy(dataDir);
    writer.close();

    // The checkpoint's first write, and the kill right after it.
    const shardFile = join(crashed, 'shard-0.db');
    const page1 = lastCommittedImage(readFileSync(`${shardFile}-wal`), 1)!;
    expect(page1).toBeDefined();
    const fd = openSync(shardFile, 'r+');
    writeSync(fd, page1, 0, page1.length, 0);
    closeSync(fd);
    const recordedBytes = page1.readUInt32BE(28) * page1.length;
    expect(statSync(shardFile).size).toBeLessThan(recordedBytes);

    const reopened = await open({ domain: counterDomain, dataDir: crashed, shards: 1 });
    try {
      for (let i = 0; i < 20; i++) expect(await reopened.get(`c${i}`)).toMatchObject({ count: i + 1 });
    } finally {
      await reopened.close();
    }
    // The WAL's pages were copied over: the file is whole again.
    expect(statSync(shardFile).size).toBeGreaterThanOrEqual(recordedBytes);
  });
});
