import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, StorageError } from '../dist/src/index.js';
import { ShardStore, type NewEvent } from '../dist/src/shard/shard-store.js';
import { STORE_FORMAT } from '../dist/src/shard/store-schema.js';
import { FORMAT_1_COMMAND_INDEX, FORMAT_1_EVENTS } from '../dist/bench/format-1-file.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();
const identity = { shard: 0, shardCount: 1, hashScheme: 'fnv1a32-utf16+fmix32', synchronous: 'full' } as const;

/** A shard file as format 1 wrote it: events unique by (aggregate_id, version), no streams table. */
const FORMAT_1 = `
${FORMAT_1_EVENTS}
${FORMAT_1_COMMAND_INDEX}
CREATE TABLE snapshots (aggregate_id TEXT PRIMARY KEY, version INTEGER NOT NULL, schema_version INTEGER NOT NULL, state TEXT NOT NULL);
CREATE TABLE checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta (key, value) VALUES ('format', '1'), ('shard', '0'), ('shardCount', '1'), ('hashScheme', 'fnv1a32-utf16+fmix32');
`;

type Row = [aggregateId: string, version: number, commandId: string | null];

/** Writes a format 1 file holding `rows` (positions 1, 2, … in this order), then deletes `erased`'s events as erasure did. */
function writeFormat1(path: string, rows: readonly Row[], erased?: string): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(FORMAT_1);
  const insert = db.prepare(
    `INSERT INTO events (event_id, aggregate_id, version, name, schema_version, occurred_at, patch, command_id, command_hash, metadata)
     VALUES (?, ?, ?, 'Changed', 1, '2026-01-01T00:00:00.000Z', ?, ?, ?, ?)`,
  );
  for (const [aggregateId, version, commandId] of rows) {
    insert.run(`${aggregateId}-${version}`, aggregateId, version, `[{"op":"add","path":"/v","value":${version}}]`, commandId, commandId && `hash-${commandId}`, commandId && '{"by":"test"}');
  }
  db.prepare("INSERT INTO snapshots VALUES ('a', 2, 1, '{\"v\":2}')").run();
  db.prepare("INSERT INTO checkpoints VALUES ('audit', 3)").run();
  if (erased !== undefined) db.prepare('DELETE FROM events WHERE aggregate_id = ?').run(erased);
  db.close();
}

function event(aggregateId: string, version: number): NewEvent {
  return {
    eventId: `${aggregateId}-${version}-new`,
    aggregateId,
    version,
    name: 'Changed',
    schemaVersion: 1,
    occurredAt: '2026-01-02T00:00:00.000Z',
    patch: '[]',
    commandId: null,
    commandHash: null,
    metadata: null,
  };
}

function rawFile<T>(path: string, read: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

describe('a shard file of store format 1', () => {
  const rows: Row[] = [
    ['a', 1, null],
    ['b', 1, 'cmd-b1'],
    ['gone', 1, null],
    ['a', 2, 'cmd-a2'],
    ['b', 2, null],
    ['gone', 2, null],
    ['a', 3, null],
  ];

  it('is rewritten to the current format when opened, every event, position and key kept', () => {
    const path = join(tempDir(), 'shard-0.db');
    writeFormat1(path, rows, 'gone');
    const before = rawFile(path, (db) => db.prepare('SELECT * FROM events ORDER BY position').all());

    const store = new ShardStore({ path, ...identity });
    // Compacted: the WAL the rewrite filled is emptied (the old table's free pages are checked below).
    expect(statSync(`${path}-wal`).size).toBe(0);
    expect(store.eventsAfter('a', 0)).toEqual((before as Array<{ aggregate_id: string }>).filter((r) => r.aggregate_id === 'a'));
    expect(store.eventByCommandId('b', 'cmd-b1')).toMatchObject({ position: 2, version: 1, command_hash: 'hash-cmd-b1' });
    expect(store.eventByCommandId('a', 'cmd-a2')).toMatchObject({ position: 4, version: 2, metadata: '{"by":"test"}' });
    expect(store.latestVersion('a')).toBe(3);
    expect(store.withEvents(['a', 'b', 'gone', 'never'])).toEqual(['a', 'b']);
    expect(store.snapshotOf('a')).toEqual({ version: 2, schema_version: 1, state: '{"v":2}' });
    expect(store.checkpointOf('audit')).toBe(3);
    expect(JSON.parse(store.logPageAfter(0, 100).scalars.positions)).toEqual([1, 2, 4, 5, 7]);
    // The erased aggregate's positions (3, 6) stay used: the next event is 8, not 6 or 7.
    expect(store.headPosition()).toBe(7);
    expect(store.append([event('a', 4), event('gone', 1), event('c', 1)])).toEqual([8, 9, 10]);
    store.close();

    rawFile(path, (db) => {
      expect(db.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get()).toBe(String(STORE_FORMAT));
      // Streams are numbered in the order of each aggregate's first event.
      expect(db.prepare('SELECT aggregate_id FROM streams ORDER BY stream').pluck().all()).toEqual(['a', 'b', 'gone', 'c']);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'events%' ORDER BY name").pluck().all()).toEqual(['events', 'events_by_command']);
      expect(db.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
      expect(db.prepare('PRAGMA freelist_count').pluck().get()).toBe(0);
    });
  });

  it('opens unchanged the second time, with the events the first opening wrote', () => {
    const path = join(tempDir(), 'shard-0.db');
    writeFormat1(path, rows);
    const first = new ShardStore({ path, ...identity });
    first.append([event('b', 3)]);
    first.close();
    const second = new ShardStore({ path, ...identity });
    expect(second.eventsAfter('b', 0).map((r) => [r.version, r.position])).toEqual([[1, 2], [2, 5], [3, 8]]);
    expect(second.eventsAfter('gone', 0).map((r) => r.position)).toEqual([3, 6]);
    second.close();
  });

  it('is refused, and left as it was, when it belongs to another shard layout', () => {
    const path = join(tempDir(), 'shard-0.db');
    writeFormat1(path, rows);
    expect(() => new ShardStore({ path, ...identity, shardCount: 4 })).toThrow(/written with shardCount=1, but this engine has shardCount=4/);
    rawFile(path, (db) => {
      expect(db.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get()).toBe('1');
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'streams'").pluck().get()).toBe(0);
    });
  });
});

describe('a format 1 file that cannot be rewritten', () => {
  it('fails to open with StorageError naming the file and the rewrite, and is left as it was', () => {
    const path = join(tempDir(), 'shard-0.db');
    writeFormat1(path, [['a', 1, null], ['a', 2, 'cmd-a2']]);
    // Something else's table where the rewrite puts its own.
    const db = new Database(path);
    db.exec('CREATE TABLE streams (note TEXT)');
    db.close();
    let refusal: unknown;
    try {
      new ShardStore({ path, ...identity });
    } catch (thrown) {
      refusal = thrown;
    }
    expect(refusal).toBeInstanceOf(StorageError);
    expect(refusal).toMatchObject({ code: 'STORAGE_FAILED', details: { file: path, format: 1 } });
    expect((refusal as Error).message).toContain(`rewriting shard file ${path} from store format 1 to ${STORE_FORMAT} failed, so it was left as it was:`);
    rawFile(path, (raw) => {
      expect(raw.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get()).toBe('1');
      expect(raw.prepare('SELECT aggregate_id, version, command_id FROM events ORDER BY position').raw().all()).toEqual([
        ['a', 1, null],
        ['a', 2, 'cmd-a2'],
      ]);
      expect(raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all()).toEqual([
        'checkpoints', 'events', 'meta', 'snapshots', 'sqlite_sequence', 'streams',
      ]);
    });
  });
});

describe('a shard file of an unknown store format', () => {
  it('is refused with ConfigError naming the format, before anything is written', () => {
    const path = join(tempDir(), 'shard-0.db');
    new ShardStore({ path, ...identity }).close();
    const db = new Database(path);
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'format'").run();
    db.close();
    expect(() => new ShardStore({ path, ...identity })).toThrow(ConfigError);
    expect(() => new ShardStore({ path, ...identity })).toThrow(`written with format=99, but this engine has format=${STORE_FORMAT}`);
  });
});
