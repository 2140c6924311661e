/**
 * A catch-up stream over more aggregates than its memory holds. The reader
 * rebuilds the states that fell out of its memory (a page's all at once),
 * sizes the records at both ends to its states, and the receiver still gets
 * every event with the state and previous state the shard published when it
 * committed it, through worker restarts too.
 */
import fc from 'fast-check';
import type { StoredEvent } from '../dist/src/index.js';
import { RecentVersions, STREAM_MEMORY, decodeEvents, type ReceivedStates } from '../dist/src/event-wire.js';
import type { ShardOp } from '../dist/src/protocol.js';
import { AggregateLoader } from '../dist/src/shard/aggregate-loader.js';
import { statesAt } from '../dist/src/shard/catch-up-states.js';
import { CommandProcessor } from '../dist/src/shard/command-processor.js';
import { LogReader } from '../dist/src/shard/log-reader.js';
import { ShardStore } from '../dist/src/shard/shard-store.js';
import { StateCache } from '../dist/src/shard/state-cache.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { profileV1 } from '../dist/test/fixtures/profile-v1-domain.js';
import { profileV2 } from '../dist/test/fixtures/profile-v2-domain.js';

interface CounterShard {
  readonly store: ShardStore;
  readonly loader: AggregateLoader;
  /** Every event the shard published at commit, in position order. */
  readonly published: StoredEvent[];
}

const increment = (id: string, by: number): ShardOp => ({ kind: 'command', type: 'Increment', payload: { id, by }, aggregateId: id }) as ShardOp;

/** A one-shard counter store in memory, holding one increment per item of `order` (an aggregate number), ten commands a batch. */
function counterShard(order: readonly number[], snapshotEvery: number): CounterShard {
  const store = new ShardStore({ path: ':memory:', shard: 0, shardCount: 1, hashScheme: 'test', synchronous: 'full' });
  const cache = new StateCache(0);
  const loader = new AggregateLoader(store, cache, counterDomain, 0, () => undefined);
  const processor = new CommandProcessor(store, loader, cache, counterDomain, { shard: 0, snapshotEvery }, () => undefined);
  const published: StoredEvent[] = [];
  for (let i = 0; i < order.length; i += 10) {
    const ops = order.slice(i, i + 10).map((aggregate, j) => increment(`c-${aggregate}`, 1 + ((i + j) % 3)));
    processor.run(ops, (events) => published.push(...events));
  }
  return { store, loader, published };
}

/**
 * Reads the whole log as one catch-up stream of `limit`-event pages, as a
 * durable subscription does, with a reader whose streams may hold
 * `memoryBytes`; the worker restarts (a new reader) before page `restartAt`.
 */
function catchUp(shard: CounterShard, memoryBytes: number, limit: number, restartAt = -1): { events: StoredEvent[]; received: ReceivedStates } {
  const newReader = (): LogReader => new LogReader(shard.store, shard.loader, 0, counterDomain.schemaVersion, { memoryBytes });
  let reader = newReader();
  const received: ReceivedStates = new RecentVersions(STREAM_MEMORY);
  const events: StoredEvent[] = [];
  let after = 0;
  for (let page = 0; ; page++) {
    if (page === restartAt) reader = newReader();
    const read = reader.read(after, limit, 1);
    events.push(...decodeEvents(read.events, received));
    if (read.count! < limit) return { events, received };
    after = read.last!;
  }
}

describe('a catch-up stream over more aggregates than its memory holds', () => {
  it('delivers every event with the state and previous state published at commit, interleaved round-robin', () => {
    // 50 counters, 6 increments each, one after the other: each aggregate's previous event is 49 events back.
    const order = Array.from({ length: 300 }, (_, i) => i % 50);
    const shard = counterShard(order, 0);
    const { events, received } = catchUp(shard, 2_000, 16);
    expect(received.capacity).toBeGreaterThan(0);
    expect(received.capacity).toBeLessThan(50);
    expect(events).toEqual(shard.published);
    expect(events.filter((e) => e.version > 1).every((e) => e.previousState !== undefined)).toBe(true);
    shard.store.close();
  });

  it('rebuilds a lost state from the snapshot where it is old enough, and from the first event where it is not', () => {
    const order = Array.from({ length: 240 }, (_, i) => i % 30);
    const shard = counterShard(order, 3);
    expect(catchUp(shard, 1_500, 25).events).toEqual(shard.published);
    shard.store.close();
  });

  it('delivers the published events whatever the interleaving, page size, memory and worker restart', () => {
    fc.assert(
      fc.property(
        // Enough events for several pages, over few enough aggregates that a page often holds one twice.
        fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 40, maxLength: 250 }),
        fc.integer({ min: 0, max: 3_000 }),
        fc.integer({ min: 2, max: 30 }),
        fc.integer({ min: -1, max: 10 }),
        fc.constantFrom(0, 4),
        (order, memoryBytes, limit, restartAt, snapshotEvery) => {
          const shard = counterShard(order, snapshotEvery);
          try {
            expect(catchUp(shard, memoryBytes, limit, restartAt).events).toEqual(shard.published);
          } finally {
            shard.store.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('sizes both ends to the states: larger states, fewer entries', () => {
    const small = counterShard(Array.from({ length: 100 }, (_, i) => i % 50), 0);
    // Twenty increments each: every state's log holds twenty numbers.
    const large = counterShard(Array.from({ length: 1_000 }, (_, i) => i % 50), 0);
    const smallKept = catchUp(small, 20_000, 50).received.capacity;
    const largeKept = catchUp(large, 20_000, 50).received.capacity;
    expect(largeKept).toBeLessThan(smallKept);
    small.store.close();
    large.store.close();
  });
});

describe('rebuilding the states of many aggregates at once (statesAt)', () => {
  it.each([
    ['', undefined],
    [', and pages too large together for one read', 300],
  ])('gives what rebuilding each alone gives, through upcasters, outdated snapshots and a row limit%s', (_, maxPageBytes) => {
    const store = new ShardStore({ path: ':memory:', shard: 0, shardCount: 1, hashScheme: 'test', synchronous: 'full', maxPageBytes });
    const v1Cache = new StateCache(0);
    const v1 = new CommandProcessor(store, new AggregateLoader(store, v1Cache, profileV1, 0, () => undefined), v1Cache, profileV1, {
      shard: 0,
      snapshotEvery: 0,
    }, () => undefined);
    const ids = Array.from({ length: 12 }, (_, i) => `p-${i}`);
    for (let round = 0; round < 5; round++) {
      // Rename writes a snapshot in version 1's shape, which version 2 must not load.
      const ops = ids.map(
        (id, i): ShardOp =>
          (round === 0 || (i + round) % 3 !== 0
            ? { kind: 'command', type: 'SetProfile', payload: { id, name: `${id}-${round}`, mail: `${id}.${round}@example.org` }, aggregateId: id }
            : { kind: 'command', type: 'Rename', payload: { id, name: `${id}-renamed-${round}` }, aggregateId: id }) as ShardOp,
      );
      v1.run(ops, () => undefined);
    }
    const loader = new AggregateLoader(store, new StateCache(0), profileV2, 0, () => undefined);
    const wanted = new Map(ids.map((id, i) => [id, 1 + (i % 5)]));
    const alone = new Map([...wanted].map(([id, version]) => [id, loader.stateAt(id, version)]));
    expect(alone.get('p-3')).toHaveProperty('email');
    for (const limit of [1, 7, 10_000]) expect(statesAt(loader, store, wanted, limit)).toEqual(alone);
    store.close();
  });
});
