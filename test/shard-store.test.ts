import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError, StorageError } from '../dist/src/index.js';
import { ShardStore, type NewEvent } from '../dist/src/shard/shard-store.js';
import { StateCache } from '../dist/src/shard/state-cache.js';
import { AggregateLoader, REPLAY_PAGE } from '../dist/src/shard/aggregate-loader.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();
const identity = { shard: 0, shardCount: 1, hashScheme: 'fnv1a32-utf16+fmix32', synchronous: 'full' } as const;

function event(aggregateId: string, version: number, patch: unknown = [{ op: 'add', path: '/v', value: version }]): NewEvent {
  return {
    eventId: `${aggregateId}-${version}`,
    aggregateId,
    version,
    name: 'Changed',
    schemaVersion: 1,
    occurredAt: '2026-01-01T00:00:00.000Z',
    patch: JSON.stringify(patch),
    commandId: null,
    commandHash: null,
    metadata: null,
  };
}

describe('the shard store', () => {
  it('appends a batch in one transaction and reads it back in version order', () => {
    const store = new ShardStore({ path: ':memory:', ...identity });
    const positions = store.append([event('a', 1), event('b', 1), event('a', 2)]);
    expect(positions).toEqual([1, 2, 3]);
    expect(store.eventsAfter('a', 0).map((r) => [r.version, r.position])).toEqual([[1, 1], [2, 3]]);
    expect(store.eventsAfter('a', 1).map((r) => r.version)).toEqual([2]);
    expect(store.eventsAfter('a', 0, 1).map((r) => r.version)).toEqual([1]);
    expect(store.latestVersion('a')).toBe(2);
    expect(store.latestVersion('nobody')).toBe(0);
    store.close();
  });

  it('refuses a duplicate (aggregate, version) with StorageError and writes nothing of that batch', () => {
    const store = new ShardStore({ path: ':memory:', ...identity });
    store.append([event('a', 1)]);
    expect(() => store.append([event('b', 1), event('a', 1)])).toThrow(StorageError);
    expect(() => store.append([event('a', 1)])).toThrow(/failed at a v1: UNIQUE constraint failed: streams\.aggregate_id/);
    store.append([event('a', 2)]);
    expect(() => store.append([event('a', 2)])).toThrow(/failed at a v2: UNIQUE constraint failed: events\.stream, events\.version/);
    expect(store.eventsAfter('b', 0)).toEqual([]);
    expect(store.hasEvents('b')).toBe(false);
    expect(store.eventsAfter('a', 0)).toHaveLength(2);
    store.close();
  });

  it('refuses a later version of an aggregate that has no events, naming it, and writes nothing of that batch', () => {
    const store = new ShardStore({ path: ':memory:', ...identity });
    let refusal: unknown;
    try {
      store.append([event('b', 1), event('a', 2)]);
    } catch (thrown) {
      refusal = thrown;
    }
    expect(refusal).toBeInstanceOf(StorageError);
    expect(refusal).toMatchObject({ code: 'STORAGE_FAILED', details: { aggregateId: 'a', version: 2, sqliteCode: 'SQLITE_CONSTRAINT_NOTNULL' } });
    expect((refusal as Error).message).toMatch(/failed at a v2: NOT NULL constraint failed: events\.stream/);
    expect(store.hasEvents('b')).toBe(false);
    expect(store.withEvents(['a', 'b'])).toEqual([]);
    // The stream the failed batch opened for b is forgotten with it.
    expect(store.append([event('b', 1)])).toEqual([1]);
    expect(store.append([event('b', 2)])).toEqual([2]);
    expect(store.eventsAfter('b', 0).map((r) => r.version)).toEqual([1, 2]);
    store.close();
  });

  it('finds each aggregate\'s stream in the file when it keeps none in memory (streamCacheSize 0)', () => {
    const path = join(tempDir(), 'shard-0.db');
    const store = new ShardStore({ path, ...identity, streamCacheSize: 0 });
    store.append([event('a', 1), event('b', 1), event('a', 2)]);
    store.append([event('b', 2), event('a', 3)]);
    expect(store.eventsAfter('a', 0).map((r) => [r.version, r.position])).toEqual([[1, 1], [2, 3], [3, 5]]);
    expect(store.eventsAfter('b', 0).map((r) => [r.version, r.position])).toEqual([[1, 2], [2, 4]]);
    store.close();
    const reopened = new ShardStore({ path, ...identity });
    expect(reopened.append([event('b', 3), event('c', 1)])).toEqual([6, 7]);
    expect(reopened.latestVersion('b')).toBe(3);
    reopened.close();
  });

  it('upserts one snapshot row per aggregate in the same transaction as the events', () => {
    const store = new ShardStore({ path: ':memory:', ...identity });
    store.append([event('a', 1)], [{ aggregateId: 'a', version: 1, schemaVersion: 1, state: '{"v":1}' }]);
    store.append([event('a', 2)], [{ aggregateId: 'a', version: 2, schemaVersion: 1, state: '{"v":2}' }]);
    expect(store.snapshotOf('a')).toEqual({ version: 2, schema_version: 1, state: '{"v":2}' });
    expect(store.snapshotOf('b')).toBeUndefined();
    store.close();
  });

  it('keeps positions increasing across reopen', () => {
    const path = join(tempDir(), 'shard-0.db');
    const first = new ShardStore({ path, ...identity });
    first.append([event('a', 1), event('a', 2)]);
    first.close();
    const second = new ShardStore({ path, ...identity });
    expect(second.append([event('a', 3)])).toEqual([3]);
    second.close();
  });

  it('refuses a file written for another shard layout', () => {
    const path = join(tempDir(), 'shard-0.db');
    new ShardStore({ path, ...identity }).close();
    expect(() => new ShardStore({ path, ...identity, shardCount: 2 })).toThrow(ConfigError);
    expect(() => new ShardStore({ path, ...identity, shardCount: 2 })).toThrow(/written with shardCount=1, but this engine has shardCount=2/);
  });
});

describe('a shard file that cannot be opened', () => {
  /** A copy of a store's file and WAL taken while it is open, as a killed engine leaves them: opening it runs a recovery checkpoint. */
  function killedStoreCopy(): string {
    const dir = tempDir();
    const store = new ShardStore({ path: join(dir, 'live.db'), ...identity });
    store.append([event('a', 1), event('a', 2)]);
    const path = join(dir, 'shard-0.db');
    copyFileSync(join(dir, 'live.db'), path);
    copyFileSync(join(dir, 'live.db-wal'), `${path}-wal`);
    store.close();
    return path;
  }

  /** Runs `open` while SQLite fails every checkpoint with `error`, as it does when it has no room to write. */
  function withFailingCheckpoint<T>(error: Error, open: () => T): T {
    const { pragma } = Database.prototype;
    Database.prototype.pragma = function (this: Database.Database, source: string, options?: Database.PragmaOptions) {
      if (source.startsWith('wal_checkpoint')) throw error;
      return pragma.call(this, source, options);
    };
    try {
      return open();
    } finally {
      Database.prototype.pragma = pragma;
    }
  }

  // A full disk cannot be made here without privileges, so SQLite's answer to one is played at the write that meets it.
  it('on a full disk is a StorageError saying so (SQLITE_FULL), not calling the file unusable, and opens once there is room', () => {
    const path = killedStoreCopy();
    const full = new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
    const refusal = (() => {
      try {
        withFailingCheckpoint(full, () => new ShardStore({ path, ...identity }));
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(StorageError);
    expect((refusal as StorageError).message).toBe(
      `cannot open shard file ${path}: the disk is full (SQLITE_FULL), and opening it needs to write to it; free some space and open again`,
    );
    expect((refusal as StorageError).details).toEqual({ file: path, sqliteCode: 'SQLITE_FULL' });
    const store = new ShardStore({ path, ...identity });
    expect(store.latestVersion('a')).toBe(2);
    store.close();
  });

  it('for a damaged file, or one that is not a database, there is not a usable store', () => {
    const path = killedStoreCopy();
    const damaged = new Database.SqliteError('database disk image is malformed', 'SQLITE_CORRUPT');
    expect(() => withFailingCheckpoint(damaged, () => new ShardStore({ path, ...identity }))).toThrow(
      `shard file ${path} is not a usable asynx store: database disk image is malformed`,
    );
  });

  it.each([
    ['an I/O error', 'disk I/O error', 'SQLITE_IOERR_WRITE'],
    ['a read-only file', 'attempt to write a readonly database', 'SQLITE_READONLY'],
    ['a file locked by another program', 'database is locked', 'SQLITE_BUSY'],
  ])('for %s, names the failure and its code without calling the file unusable', (_, message, code) => {
    const path = killedStoreCopy();
    const failure = new Database.SqliteError(message, code);
    expect(() => withFailingCheckpoint(failure, () => new ShardStore({ path, ...identity }))).toThrow(
      `cannot open shard file ${path}: ${message} (${code}); the file itself is not known to be damaged`,
    );
  });
});

describe('replay reads', () => {
  it('return one row of JSON arrays in version order, bounded by versions', () => {
    const store = new ShardStore({ path: ':memory:', ...identity });
    store.append([event('a', 1), event('b', 1), event('a', 2)]);
    store.append([event('b', 2), event('a', 3), event('a', 4)]);
    const read = (after: number, to: number) => {
      const columns = store.replayAfter('a', after, to);
      return {
        versions: JSON.parse(columns.versions) as number[],
        names: JSON.parse(columns.names) as string[],
        patches: JSON.parse(columns.patches) as unknown[],
      };
    };
    expect(read(0, Number.MAX_SAFE_INTEGER)).toEqual({
      versions: [1, 2, 3, 4],
      names: ['Changed', 'Changed', 'Changed', 'Changed'],
      patches: [1, 2, 3, 4].map((v) => [{ op: 'add', path: '/v', value: v }]),
    });
    expect(read(1, 3).versions).toEqual([2, 3]);
    expect(read(4, Number.MAX_SAFE_INTEGER)).toEqual({ versions: [], names: [], patches: [] });
    store.close();
  });

  it(`hydrate a history longer than one replay page (${REPLAY_PAGE} events) to the state of every patch applied`, () => {
    const store = new ShardStore({ path: ':memory:', ...identity });
    const total = REPLAY_PAGE * 2 + 7;
    const created = [
      { op: 'add', path: '/id', value: 'long' },
      { op: 'add', path: '/value', value: 1 },
      { op: 'add', path: '/increments', value: 1 },
    ];
    const incremented = (v: number) => [
      { op: 'replace', path: '/value', value: v },
      { op: 'replace', path: '/increments', value: v },
    ];
    for (let from = 1; from <= total; from += 10_000) {
      const batch: NewEvent[] = [];
      for (let v = from; v < Math.min(from + 10_000, total + 1); v++) batch.push(event('long', v, v === 1 ? created : incremented(v)));
      store.append(batch);
    }
    const loader = new AggregateLoader(store, new StateCache(10), counterDomain, 0, () => undefined);
    expect(loader.load('long')).toEqual({ state: { id: 'long', value: total, increments: total }, version: total, textLength: expect.any(Number) });
    expect(loader.stateAt('long', REPLAY_PAGE + 1)).toEqual({ id: 'long', value: REPLAY_PAGE + 1, increments: REPLAY_PAGE + 1 });
    store.close();
  });
});

describe('the state cache', () => {
  it('evicts the least recently used aggregate and counts hits and misses', () => {
    const cache = new StateCache(2);
    cache.set('a', { state: { n: 1 }, version: 1 });
    cache.set('b', { state: { n: 2 }, version: 1 });
    expect(cache.get('a')?.version).toBe(1);
    cache.set('c', { state: { n: 3 }, version: 1 });
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect([cache.hits, cache.misses, cache.size]).toEqual([3, 1, 2]);
  });

  it('holds nothing with capacity 0', () => {
    const cache = new StateCache(0);
    cache.set('a', { state: {}, version: 1 });
    expect(cache.get('a')).toBeUndefined();
  });
});
