/**
 * The command processor without threads: a real in-memory SQLite store,
 * specified as given (earlier commands) / when (a batch) / then (outcomes,
 * stored state).
 */
import type { StoredEvent } from '../dist/src/index.js';
import type { OpOutcome, ShardOp } from '../dist/src/protocol.js';
import { AggregateLoader } from '../dist/src/shard/aggregate-loader.js';
import { CommandProcessor } from '../dist/src/shard/command-processor.js';
import { ShardStore } from '../dist/src/shard/shard-store.js';
import { StateCache } from '../dist/src/shard/state-cache.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';

function increment(id: string, by: number): ShardOp {
  return { kind: 'command', type: 'Increment', payload: { id, by }, aggregateId: id };
}

function shard(cacheSize = 100) {
  const store = new ShardStore({ path: ':memory:', shard: 0, shardCount: 1, hashScheme: 'test', synchronous: 'full' });
  const cache = new StateCache(cacheSize);
  const loader = new AggregateLoader(store, cache, counterDomain, 0, () => undefined);
  const processor = new CommandProcessor(store, loader, cache, counterDomain, { shard: 0, snapshotEvery: 0 }, () => undefined);
  const published: StoredEvent[][] = [];
  const run = (ops: ShardOp[]): OpOutcome[] => processor.run(ops, (events) => published.push(events));
  return {
    store,
    published,
    given(ops: ShardOp[]) {
      run(ops);
      published.length = 0;
      return {
        when(batch: ShardOp[]) {
          const outcomes = run(batch);
          return { outcomes, events: published.flat() };
        },
      };
    },
  };
}

describe('command processor', () => {
  it('given nothing, when a batch creates and changes an aggregate, then one commit publishes both events in order', () => {
    const s = shard();
    const { outcomes, events } = s.given([]).when([increment('a', 2), increment('a', 3)]);
    expect(outcomes).toEqual([{ kind: 'committed', position: 1 }, { kind: 'committed', position: 2 }]);
    expect(s.published).toHaveLength(1);
    expect(events.map((e) => [e.version, e.state, e.previousState])).toEqual([
      [1, { id: 'a', count: 2, log: [2] }, undefined],
      [2, { id: 'a', count: 5, log: [2, 3] }, { id: 'a', count: 2, log: [2] }],
    ]);
  });

  it('given history, when a command is rejected between two good ones, then only the good ones are stored', () => {
    const s = shard();
    const { outcomes } = s.given([increment('a', 1)]).when([increment('a', 1), increment('a', -1), increment('a', 1)]);
    expect(outcomes.map((o) => o.kind)).toEqual(['committed', 'failed', 'committed']);
    expect(outcomes[1]).toMatchObject({ kind: 'failed', error: { name: 'ValidationError', message: 'by must be a positive integer, got -1' } });
    expect(s.store.eventsAfter('a', 0).map((r) => r.version)).toEqual([1, 2, 3]);
  });

  it('given an aggregate not in the cache, when a command arrives, then it is hydrated by replay from the file', () => {
    const s = shard(0);
    const { events } = s.given([increment('a', 1), increment('a', 2)]).when([increment('a', 4)]);
    expect(events[0]).toMatchObject({ version: 3, state: { count: 7, log: [1, 2, 4] }, previousState: { count: 3 } });
  });

  it('given stored aggregates out of the cache, when one batch mixes them with new ones, then the stored are hydrated and the new start empty', () => {
    const s = shard(0);
    const { outcomes, events } = s.given([increment('a', 1), increment('b', 2)]).when([increment('a', 1), increment('new', 3), increment('b', 1), increment('new', 1)]);
    expect(outcomes.map((o) => o.kind)).toEqual(['committed', 'committed', 'committed', 'committed']);
    expect(events.map((e) => [e.aggregateId, e.version, e.previousState === undefined])).toEqual([
      ['a', 2, false],
      ['new', 1, true],
      ['b', 2, false],
      ['new', 2, false],
    ]);
  });

  it('counts a known-new aggregate as a cache miss, as a single lookup would', () => {
    const store = new ShardStore({ path: ':memory:', shard: 0, shardCount: 1, hashScheme: 'test', synchronous: 'full' });
    const cache = new StateCache(100);
    const loader = new AggregateLoader(store, cache, counterDomain, 0, () => undefined);
    const processor = new CommandProcessor(store, loader, cache, counterDomain, { shard: 0, snapshotEvery: 0 }, () => undefined);
    processor.run([increment('alone', 1)], () => undefined);
    expect([cache.hits, cache.misses]).toEqual([0, 1]);
    processor.run([increment('x', 1), increment('y', 1), increment('x', 1)], () => undefined);
    expect([cache.hits, cache.misses]).toEqual([0, 3]);
    processor.run([increment('x', 1), increment('alone', 1)], () => undefined);
    expect([cache.hits, cache.misses]).toEqual([2, 3]);
  });

  it('given no state cache, when a new aggregate is committed mid-batch, then its next command in the batch is read from the file', () => {
    const s = shard(0);
    const { outcomes, events } = s.given([]).when([
      increment('n', 1),
      increment('other', 1),
      // A history read commits the batch so far; with no cache, `n` is then only in the file.
      { kind: 'history', aggregateId: 'n', from: 1, to: 10 },
      increment('n', 2),
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(['committed', 'committed', 'value', 'committed']);
    expect(events.map((e) => [e.aggregateId, e.version, e.state])).toEqual([
      ['n', 1, { id: 'n', count: 1, log: [1] }],
      ['other', 1, { id: 'other', count: 1, log: [1] }],
      ['n', 2, { id: 'n', count: 3, log: [1, 2] }],
    ]);
  });

  it('given a commit that fails, then every command of that commit and the reads that saw its state fail, and nothing leaks into the cache', () => {
    const s = shard();
    s.given([increment('a', 1)]);
    // Another writer took version 2 behind the processor's back: the batch's commit must fail.
    s.store.append([
      { eventId: 'x', aggregateId: 'a', version: 2, name: 'Incremented', schemaVersion: 1, occurredAt: 'now', patch: '[]', commandId: null, commandHash: null, metadata: null },
    ]);
    const { outcomes, events } = s.given([]).when([increment('a', 1), { kind: 'get', aggregateId: 'a' }, increment('b', 1)]);
    expect(outcomes.map((o) => o.kind)).toEqual(['failed', 'failed', 'failed']);
    expect(outcomes[0]).toMatchObject({ error: { name: 'StorageError' } });
    expect(events).toEqual([]);
    const after = s.given([]).when([{ kind: 'get', aggregateId: 'a' }]);
    expect(after.outcomes[0]).toEqual({ kind: 'value', value: { id: 'a', count: 1, log: [1] } });
  });

  it('answers reads with the state of the commands before them in the batch', () => {
    const s = shard();
    const { outcomes } = s.given([]).when([
      { kind: 'exists', aggregateId: 'a' },
      increment('a', 5),
      { kind: 'get', aggregateId: 'a' },
      { kind: 'history', aggregateId: 'a', from: 1, to: 10 },
      { kind: 'get', aggregateId: 'missing' },
    ]);
    expect(outcomes[0]).toEqual({ kind: 'value', value: false });
    expect(outcomes[2]).toEqual({ kind: 'value', value: { id: 'a', count: 5, log: [5] } });
    expect(outcomes[3]).toMatchObject({ kind: 'value', value: { latestVersion: 1, events: [{ version: 1 }] } });
    expect(outcomes[4]).toMatchObject({ kind: 'failed', error: { name: 'NotFoundError', message: 'Counter missing does not exist' } });
  });
});
