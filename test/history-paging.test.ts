/**
 * `history()` reads an aggregate in pages of 500 events, each a separate
 * operation of its shard, so the aggregate may change between two pages.
 */
import { NotFoundError, type StoredEvent } from '../dist/src/index.js';
import { decodeEvents, encodeEvents } from '../dist/src/event-wire.js';
import { encodeHistoryPage } from '../dist/src/shard/shard-runtime.js';
import type { Counter } from '../dist/test/fixtures/counter-domain.js';
import { collect } from './support/collect.js';
import { useCounterEngine } from './support/counter-engine.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();
const engine = useCounterEngine(tempDir);

/** Increments `id` `times` times by `by`, all sent at once. */
async function increments(id: string, times: number, by: number): Promise<void> {
  await Promise.all(Array.from({ length: times }, () => engine().send('Increment', { id, by })));
}

/** The first `count` events of the iterator. */
async function take(iterator: AsyncIterator<StoredEvent<Counter>>, count: number): Promise<StoredEvent<Counter>[]> {
  const taken: StoredEvent<Counter>[] = [];
  for (let i = 0; i < count; i++) taken.push((await iterator.next()).value as StoredEvent<Counter>);
  return taken;
}

describe('history read in pages', () => {
  it('reads a stream longer than a page whole, each page continuing from the last state of the one before', async () => {
    await increments('long', 1_201, 1);
    const events = await collect(engine().history('long'));
    expect(events.map((e) => e.version)).toEqual(Array.from({ length: 1_201 }, (_, i) => i + 1));
    expect(events[500]!.previousState).toEqual(events[499]!.state);
    expect(events[1_200]!.state.count).toBe(1_201);
  });

  it('fails with NotFoundError naming the aggregate when it is forgotten and created again between two pages, never mixing the two lives', async () => {
    await increments('again', 700, 1);
    const iterator = engine().history('again')[Symbol.asyncIterator]();
    const firstPage = await take(iterator, 500);
    await engine().forget('again');
    await increments('again', 800, 2);
    const next = iterator.next();
    await expect(next).rejects.toBeInstanceOf(NotFoundError);
    await expect(next).rejects.toThrow('Counter again was forgotten while its history was read (after v500)');
    await expect(next).rejects.toMatchObject({ details: { aggregateId: 'again', version: 500, forgotten: true } });
    expect(firstPage.at(-1)!.state.log).toEqual(new Array(500).fill(1));
    // A new read sees only the new life.
    const fresh = await collect(engine().history('again'));
    expect(fresh.map((e) => e.state.count)).toEqual(Array.from({ length: 800 }, (_, i) => 2 * (i + 1)));
  });

  it('fails the same way when it is forgotten between two pages, instead of ending as if the first page were all of it', async () => {
    await increments('gone', 600, 1);
    const iterator = engine().history('gone')[Symbol.asyncIterator]();
    await take(iterator, 500);
    await engine().forget('gone');
    await expect(iterator.next()).rejects.toMatchObject({ code: 'NOT_FOUND', details: { aggregateId: 'gone', version: 500 } });
  });

  it('fails the same way when its next page is read by an onForget handler of that very aggregate', async () => {
    await increments('reading', 600, 1);
    const iterator = engine().history('reading')[Symbol.asyncIterator]();
    await take(iterator, 500);
    let during: unknown;
    const remove = engine().onForget(async (tombstone) => {
      if (tombstone.aggregateId === 'reading') during = await iterator.next().catch((error: unknown) => error);
    });
    try {
      await engine().forget('reading');
    } finally {
      remove();
    }
    expect(during).toMatchObject({ code: 'NOT_FOUND', details: { aggregateId: 'reading', version: 500 } });
  });

  it('ends empty when the aggregate was forgotten before the first page', async () => {
    await increments('before', 3, 1);
    await engine().forget('before');
    expect(await collect(engine().history('before'))).toEqual([]);
  });
});

describe('history across a shard restart', () => {
  it('tells a new life of a forgotten aggregate from the old one even when the restarted shard gives it the old stream number', async () => {
    await engine().send('Increment', { id: 'older', by: 1 });
    await increments('newest', 600, 1);
    const iterator = engine().history('newest')[Symbol.asyncIterator]();
    await take(iterator, 500);
    await engine().forget('newest');
    // The restarted worker numbers new streams after the highest one left, which is no longer newest's.
    await expect(engine().send('Misbehave', { id: 'older', how: 'exit-worker' })).rejects.toMatchObject({ code: 'SHARD_CRASHED' });
    await increments('newest', 600, 3);
    await expect(iterator.next()).rejects.toMatchObject({ code: 'NOT_FOUND', details: { aggregateId: 'newest', version: 500 } });
  });
});

describe('a history page too long for one string', () => {
  const event = (version: number): StoredEvent => ({
    id: `e${version}`,
    aggregateId: 'a',
    name: 'Incremented',
    version,
    schemaVersion: 1,
    occurredAt: 't',
    state: { version },
    previousState: undefined,
    position: version,
    shard: 0,
  });
  const page = { events: Array.from({ length: 10 }, (_, i) => event(i + 1)), latestVersion: 10, firstPosition: 1 };
  /** Throws as V8 does past its longest string, for more than `fits` events at once. */
  const encoderFitting = (fits: number) => (events: readonly StoredEvent[]) => {
    if (events.length > fits) throw new RangeError('Invalid string length');
    return encodeEvents(events);
  };

  it('goes with its first events only, as many halvings as it takes; the reader asks for the rest next', () => {
    const encoded = encodeHistoryPage(page, encoderFitting(3));
    expect(decodeEvents(encoded.events).map((e) => e.version)).toEqual([1, 2, 3]);
    expect(encoded).toMatchObject({ latestVersion: 10, firstPosition: 1 });
  });

  it('goes whole when it fits', () => {
    expect(decodeEvents(encodeHistoryPage(page, encoderFitting(10)).events)).toHaveLength(10);
  });

  it('still fails when even one event cannot be written, and for any other error', () => {
    expect(() => encodeHistoryPage(page, encoderFitting(0))).toThrow(RangeError);
    const broken = () => {
      throw new TypeError('not this');
    };
    expect(() => encodeHistoryPage(page, broken)).toThrow(TypeError);
  });
});
