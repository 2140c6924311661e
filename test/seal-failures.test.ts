/**
 * A seal (the fresh snapshot written after a hydration that could not use
 * the stored one: see CachedAggregate.staleSnapshot) only spares later
 * replays. Specified on the command processor with a store that cannot
 * write what it is asked to, as with a full disk.
 */
import { StorageError, type StoredEvent } from '../dist/src/index.js';
import type { OpOutcome, ShardOp } from '../dist/src/protocol.js';
import { AggregateLoader } from '../dist/src/shard/aggregate-loader.js';
import { CommandProcessor, type SealFailure } from '../dist/src/shard/command-processor.js';
import { ShardStore, type NewEvent, type NewSnapshot } from '../dist/src/shard/shard-store.js';
import { StateCache } from '../dist/src/shard/state-cache.js';
import type { Domain } from '../dist/src/domain.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { largeValuesDomain } from '../dist/test/fixtures/large-values-domain.js';

/** Text one row may hold where a test lowers the limit (SQLite's own is about 512 MiB). */
const ROW_LIMIT = 1_000;

/**
 * A store on a disk that is full for any commit with a snapshot (`'snapshots'`), for every commit, or for none;
 * it counts its commits, and refuses a snapshot row over {@link ROW_LIMIT} as SQLite refuses one over its limit.
 */
class FillingStore extends ShardStore {
  full: 'snapshots' | 'everything' | 'no' = 'no';
  appends = 0;

  override append(events: readonly NewEvent[], snapshots: readonly NewSnapshot[] = []): number[] {
    this.appends++;
    if (this.full === 'everything' || (this.full === 'snapshots' && snapshots.length > 0)) {
      throw new StorageError(`commit to ${this.path} failed: database or disk is full`, { file: this.path, sqliteCode: 'SQLITE_FULL' });
    }
    if (snapshots.some((snapshot) => Buffer.byteLength(snapshot.state) > ROW_LIMIT)) {
      throw new StorageError(`commit to ${this.path} failed: string or blob too big`, { file: this.path, sqliteCode: 'SQLITE_TOOBIG' });
    }
    return super.append(events, snapshots);
  }
}

function increment(id: string, by: number): ShardOp {
  return { kind: 'command', type: 'Increment', payload: { id, by }, aggregateId: id };
}

/** A processor with an empty state cache over `store`: what a restarted shard has. */
function processorOver(store: ShardStore, domain: Domain<object, object> = counterDomain) {
  const cache = new StateCache(100);
  const failures: SealFailure[] = [];
  const published: StoredEvent[] = [];
  const settings = { shard: 0, snapshotEvery: 0, maxRowTextBytes: ROW_LIMIT };
  const processor = new CommandProcessor(store, new AggregateLoader(store, cache, domain, 0, () => undefined), cache, domain, settings, (f) => void failures.push(f));
  return { failures, published, run: (ops: ShardOp[]): OpOutcome[] => processor.run(ops, (events) => void published.push(...events)) };
}

/** A store where `a` has two events and a snapshot that cannot be read, so its next hydration replays and seals it. */
function storeWithCorruptSnapshot(): FillingStore {
  const store = new FillingStore({ path: ':memory:', shard: 0, shardCount: 1, hashScheme: 'test', synchronous: 'full' });
  processorOver(store).run([increment('a', 1), increment('a', 2)]);
  store.append([], [{ aggregateId: 'a', version: 2, schemaVersion: 1, state: '{"count": 3, trunc' }]);
  return store;
}

const stateOfA = { id: 'a', count: 3, log: [1, 2] };

describe('a seal that cannot be written', () => {
  it('does not fail the reads that hydrated the aggregate: they answer, the failure is reported, and the next read seals it', () => {
    const store = storeWithCorruptSnapshot();
    store.full = 'snapshots';
    const shard = processorOver(store);
    const reads: ShardOp[] = [{ kind: 'get', aggregateId: 'a' }, { kind: 'exists', aggregateId: 'a' }, { kind: 'preload', aggregateId: 'a' }];
    expect(shard.run(reads)).toEqual([{ kind: 'value', value: stateOfA }, { kind: 'value', value: true }, { kind: 'value', value: true }]);
    expect(shard.failures).toEqual([{ aggregateIds: ['a'], reason: expect.stringContaining('database or disk is full'), retried: true }]);
    expect(store.snapshotOf('a')!.state).toBe('{"count": 3, trunc');

    store.full = 'no';
    expect(shard.run([{ kind: 'get', aggregateId: 'a' }])).toEqual([{ kind: 'value', value: stateOfA }]);
    expect(JSON.parse(store.snapshotOf('a')!.state)).toEqual(stateOfA);
    expect(shard.failures).toHaveLength(1);
  });

  it('does not fail the commands of its batch: their events commit without it, and the aggregate’s next commit seals it', () => {
    const store = storeWithCorruptSnapshot();
    store.full = 'snapshots';
    const shard = processorOver(store);
    expect(shard.run([increment('a', 4), increment('b', 1)])).toEqual([{ kind: 'committed', position: 3 }, { kind: 'committed', position: 4 }]);
    expect(shard.published.map((e) => [e.aggregateId, e.version])).toEqual([['a', 3], ['b', 1]]);
    expect(shard.failures).toEqual([{ aggregateIds: ['a'], reason: expect.stringContaining('database or disk is full'), retried: true }]);
    expect(store.snapshotOf('a')!.version).toBe(2);

    store.full = 'no';
    expect(shard.run([increment('a', 8)])).toEqual([{ kind: 'committed', position: 5 }]);
    expect(store.snapshotOf('a')).toEqual({ version: 4, schema_version: 1, state: JSON.stringify({ id: 'a', count: 15, log: [1, 2, 4, 8] }) });
  });

  it('still fails the commands of its batch, and the reads that saw them, when their events cannot be written either', () => {
    const store = storeWithCorruptSnapshot();
    store.full = 'everything';
    const shard = processorOver(store);
    const outcomes = shard.run([increment('a', 4), { kind: 'get', aggregateId: 'a' }]);
    expect(outcomes.map((o) => [o.kind, o.kind === 'failed' ? o.error.name : undefined])).toEqual([['failed', 'StorageError'], ['failed', 'StorageError']]);
    expect(shard.published).toEqual([]);
    store.full = 'no';
    expect(shard.run([{ kind: 'get', aggregateId: 'a' }])).toEqual([{ kind: 'value', value: stateOfA }]);
  });
});

describe('a seal whose row can never fit', () => {
  /** `a`'s two events each fit a row; its state, holding both texts, does not, and its snapshot is unreadable. */
  function storeWithUnsealableAggregate(): FillingStore {
    const store = new FillingStore({ path: ':memory:', shard: 0, shardCount: 1, hashScheme: 'test', synchronous: 'full' });
    const writer = processorOver(store, largeValuesDomain);
    writer.run([{ kind: 'command', type: 'Fill', payload: { id: 'a', char: 'x', times: 600 }, aggregateId: 'a' }]);
    writer.run([{ kind: 'command', type: 'Note', payload: { id: 'a', note: 'n'.repeat(600) }, aggregateId: 'a' }]);
    store.append([], [{ aggregateId: 'a', version: 2, schemaVersion: 1, state: '{"text": "xx, trunc' }]);
    store.appends = 0;
    return store;
  }

  const note = (text: string): ShardOp => ({ kind: 'command', type: 'Note', payload: { id: 'a', note: text.repeat(600) }, aggregateId: 'a' });

  it('is not tried: it is reported once, as not tried again, and each later commit on the aggregate writes once', () => {
    const store = storeWithUnsealableAggregate();
    const shard = processorOver(store, largeValuesDomain);
    expect(shard.run([{ kind: 'get', aggregateId: 'a' }])).toEqual([{ kind: 'value', value: { id: 'a', text: 'x'.repeat(600), note: 'n'.repeat(600) } }]);
    expect(store.appends).toBe(0);
    expect(shard.failures).toEqual([
      { aggregateIds: ['a'], reason: expect.stringMatching(/^the snapshot of a at v2 \(\d+ bytes\) would be a row over the 1000 bytes of text one stored row may hold$/), retried: false },
    ]);

    expect(shard.run([note('m')])).toEqual([{ kind: 'committed', position: 3 }]);
    expect(shard.run([note('o')])).toEqual([{ kind: 'committed', position: 4 }]);
    expect(store.appends).toBe(2);
    expect(shard.failures).toHaveLength(1);
    expect(store.snapshotOf('a')!.state).toBe('{"text": "xx, trunc');
  });

  it('is not tried when a command hydrates the aggregate either: its event commits in one write', () => {
    const store = storeWithUnsealableAggregate();
    const shard = processorOver(store, largeValuesDomain);
    expect(shard.run([note('m'), note('o')])).toEqual([{ kind: 'committed', position: 3 }, { kind: 'committed', position: 4 }]);
    expect(shard.run([note('p')])).toEqual([{ kind: 'committed', position: 5 }]);
    expect(store.appends).toBe(2);
    expect(shard.failures).toEqual([{ aggregateIds: ['a'], reason: expect.stringContaining('the snapshot of a at v4'), retried: false }]);
    expect(shard.published.at(-1)?.state).toEqual({ id: 'a', text: 'x'.repeat(600), note: 'p'.repeat(600) });
  });
});
