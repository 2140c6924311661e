/**
 * Pages of stored events are bounded in bytes as well as in count: replay,
 * history and catch-up read an aggregate's or the log's events as one
 * SQLite value per column, and SQLite refuses a value past about 512 MiB,
 * so large events must come in several pages, each with at least one event.
 * These tests lower the page bound to a few events' worth.
 */
import fc from 'fast-check';
import type { StoredEvent } from '../dist/src/index.js';
import { RecentVersions, decodeEvents, type ReceivedStates } from '../dist/src/event-wire.js';
import type { EncodedPage, HistoryPage, OpOutcome, ShardOp } from '../dist/src/protocol.js';
import { AggregateLoader } from '../dist/src/shard/aggregate-loader.js';
import { CommandProcessor } from '../dist/src/shard/command-processor.js';
import { ShardStore } from '../dist/src/shard/shard-store.js';
import { StateCache } from '../dist/src/shard/state-cache.js';
import { largeValuesDomain } from '../dist/test/fixtures/large-values-domain.js';

/** Bytes of patches one page may hold in these tests. */
const PAGE_BYTES = 1_000;

function note(id: string, n: number): ShardOp {
  return { kind: 'command', type: 'Note', aggregateId: id, payload: { id, note: `${n}:${'n'.repeat(300)}` } } as ShardOp;
}

/**
 * A shard on an in-memory file whose pages hold {@link PAGE_BYTES} (or
 * `pageBytes`) of patches and, on their way out, `pageStatesLength`
 * characters of states, and a way to read it as a restarted worker would.
 */
function shard(snapshotEvery = 0, pageStatesLength?: number, pageBytes = PAGE_BYTES) {
  const store = new ShardStore({ path: ':memory:', shard: 0, shardCount: 1, hashScheme: 'test', synchronous: 'full', maxPageBytes: pageBytes });
  const settings = { shard: 0, snapshotEvery, logLimits: { maxPageStatesLength: pageStatesLength } };
  const processorOn = (cache: StateCache) =>
    new CommandProcessor(store, new AggregateLoader(store, cache, largeValuesDomain, 0, () => undefined), cache, largeValuesDomain, settings, () => undefined);
  const writer = processorOn(new StateCache(100));
  const published: StoredEvent[] = [];
  return {
    store,
    published,
    run: (ops: ShardOp[]): OpOutcome[] => writer.run(ops, (events) => published.push(...events)),
    /** A processor with an empty state cache, as after a restart. */
    restarted: () => processorOn(new StateCache(100)),
  };
}

function value<T>(outcome: OpOutcome | undefined): T {
  if (outcome?.kind !== 'value') throw new Error(`expected a value, got ${JSON.stringify(outcome)}`);
  return outcome.value as T;
}

describe('a replay page', () => {
  it('holds at most the page bound of patches, and always its first event, however large', () => {
    const s = shard();
    s.run([note('a', 1), note('a', 2), note('a', 3), note('a', 4), note('a', 5)]);
    s.run([{ kind: 'command', type: 'Fill', aggregateId: 'a', payload: { id: 'a', char: 'x', times: 3_000 } } as ShardOp]);

    const first = s.store.replayAfter('a', 0, Number.MAX_SAFE_INTEGER);
    const versions = JSON.parse(first.versions) as number[];
    expect(versions[0]).toBe(1);
    expect(versions.length).toBeGreaterThan(1);
    expect(versions.length).toBeLessThan(5);
    expect(first.patches.length).toBeLessThanOrEqual(PAGE_BYTES);
    expect(first.cut).toBe(true);
    const alone = s.store.replayAfter('a', 5, Number.MAX_SAFE_INTEGER);
    expect(JSON.parse(alone.versions)).toEqual([6]);
    expect(alone.patches.length).toBeGreaterThan(3_000);
    expect(alone.cut).toBe(false);
  });

  it('is not cut while its patches fit, so a page of small events is as long as the count allows', () => {
    const s = shard();
    s.run([note('a', 1), note('a', 2)]);
    const page = s.store.replayAfter('a', 0, Number.MAX_SAFE_INTEGER);
    expect(JSON.parse(page.versions)).toEqual([1, 2]);
    expect(page.cut).toBe(false);
  });
});

describe('an aggregate whose events together pass the page bound', () => {
  it.each([
    ['replayed from its first event', 0],
    ['replayed from its snapshot', 4],
  ])('is loaded back with the state of its last event when %s, and takes further commands', (_how, snapshotEvery) => {
    const s = shard(snapshotEvery);
    for (let n = 1; n <= 12; n++) s.run([note('a', n), note('b', n)]);
    const restarted = s.restarted();

    const [got, next] = restarted.run([{ kind: 'get', aggregateId: 'a' }, note('a', 13)], () => undefined);
    expect(value(got)).toEqual(s.published.filter((e) => e.aggregateId === 'a').at(-1)!.state);
    expect(next).toMatchObject({ kind: 'committed' });
  });

  it('has complete history pages, from any version, with each event\'s state and previous state', () => {
    const s = shard();
    for (let n = 1; n <= 12; n++) s.run([note('a', n)]);
    const restarted = s.restarted();

    const [outcome] = restarted.run([{ kind: 'history', aggregateId: 'a', from: 5, to: 12 }], () => undefined);
    expect(value<HistoryPage>(outcome).events).toEqual(s.published.slice(4));
  });

  it('is delivered in full by catch-up, every event with its state and previous state', () => {
    const s = shard();
    for (let n = 1; n <= 12; n++) s.run([note('a', n), note('b', n)]);
    const reader = s.restarted();

    const received: ReceivedStates = new RecentVersions(100);
    const delivered: StoredEvent[] = [];
    const pageSizes: number[] = [];
    let after = 0;
    for (let more = true; more; ) {
      const [outcome] = reader.run([{ kind: 'read-log', afterPosition: after, limit: 2_000, stream: 1 }], () => undefined);
      const page = value<EncodedPage>(outcome);
      delivered.push(...decodeEvents(page.events, received));
      pageSizes.push(page.count!);
      after = page.last!;
      more = page.more === true;
    }
    expect(delivered).toEqual(s.published);
    expect(pageSizes.length).toBeGreaterThan(5);
    expect(Math.max(...pageSizes)).toBeLessThanOrEqual(3);
  });
});

/** Reads the log from the start as one catch-up stream, as a durable subscription does: the events and each page's count. */
function catchUp(reader: CommandProcessor, limit = 2_000): { delivered: StoredEvent[]; counts: number[] } {
  const received: ReceivedStates = new RecentVersions(100);
  const delivered: StoredEvent[] = [];
  const counts: number[] = [];
  let after = 0;
  for (let more = true; more; ) {
    const [outcome] = reader.run([{ kind: 'read-log', afterPosition: after, limit, stream: 1 }], () => undefined);
    const page = value<EncodedPage>(outcome);
    const events = decodeEvents(page.events, received);
    expect(events).toHaveLength(page.count!);
    delivered.push(...events);
    counts.push(page.count!);
    after = page.last!;
    more = page.more === true;
  }
  return { delivered, counts };
}

const fill = (id: string, times: number): ShardOp => ({ kind: 'command', type: 'Fill', aggregateId: id, payload: { id, char: 'x', times } }) as ShardOp;

describe('a log page of large states', () => {
  it('ends once its states pass the bound, keeping its first event, and catch-up still delivers every event', () => {
    // States of ~3,000 characters whose patches are ~300: the patches fit a page, the states do not.
    const s = shard(0, 10_000, 1_000_000);
    s.run([fill('a', 3_000), fill('b', 3_000)]);
    for (let n = 1; n <= 10; n++) s.run([note('a', n), note('b', n)]);
    s.run([fill('c', 25_000)]);
    s.run([note('c', 1), note('a', 11)]);

    const { delivered, counts } = catchUp(s.restarted());
    expect(delivered).toEqual(s.published);
    expect(Math.max(...counts)).toBeLessThanOrEqual(4);
    expect(counts.every((count) => count >= 1)).toBe(true);
  });

  it('is not cut while its states fit, so small states come as many to a page as the count allows', () => {
    const s = shard(0, 1_000_000, 1_000_000);
    for (let n = 1; n <= 10; n++) s.run([note('a', n), note('b', n)]);
    expect(catchUp(s.restarted(), 8).counts).toEqual([8, 8, 4]);
  });

  it('delivers every event with its state and previous state, whatever the states\' sizes and the bound', () => {
    const command = fc.oneof(
      fc.record({ id: fc.constantFrom('a', 'b', 'c'), times: fc.integer({ min: 0, max: 4_000 }) }).map(({ id, times }) => fill(id, times)),
      fc.record({ id: fc.constantFrom('a', 'b', 'c'), n: fc.nat(99) }).map(({ id, n }) => note(id, n)),
    );
    fc.assert(
      fc.property(fc.array(fc.array(command, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 12_000 }), fc.integer({ min: 1, max: 7 }), (batches, bound, limit) => {
        const s = shard(0, bound, 1_000_000);
        for (const batch of batches) s.run(batch);
        const { delivered } = catchUp(s.restarted(), limit);
        expect(delivered).toEqual(s.published);
        s.store.close();
      }),
      { numRuns: 60 },
    );
  });
});
