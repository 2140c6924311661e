import { join } from 'node:path';
import { ConfigError, StorageError } from '../dist/src/index.js';
import { ShardStore, type NewEvent } from '../dist/src/shard/shard-store.js';
import { StateCache } from '../dist/src/shard/state-cache.js';
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
    expect(() => store.append([event('a', 1)])).toThrow(/UNIQUE constraint failed: events\.aggregate_id, events\.version/);
    expect(store.eventsAfter('b', 0)).toEqual([]);
    expect(store.eventsAfter('a', 0)).toHaveLength(1);
    store.close();
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
