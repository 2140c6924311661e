/**
 * Events cross between threads as JSON columns (event-wire.ts). Decoding
 * what was encoded gives back the same events, and a log page read for
 * catch-up decodes to exactly the events the shard published when it
 * committed them.
 */
import fc from 'fast-check';
import type { StoredEvent } from '../dist/src/index.js';
import { RecentVersions, decodeEvents, encodeEvents, type ReceivedStates } from '../dist/src/event-wire.js';
import type { EncodedPage, ShardOp } from '../dist/src/protocol.js';
import { AggregateLoader } from '../dist/src/shard/aggregate-loader.js';
import { CommandProcessor } from '../dist/src/shard/command-processor.js';
import { ShardStore } from '../dist/src/shard/shard-store.js';
import { StateCache } from '../dist/src/shard/state-cache.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';

const jsonObject = fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }).map(
  (value) => JSON.parse(JSON.stringify(value)) as Record<string, never>,
);

/**
 * Events of one shard in which some previous states are earlier events'
 * states, as in a real page; with one timestamp and schema version for all
 * (a command batch) or one each (a page of the log).
 */
const pageArbitrary = fc
  .tuple(
    fc.array(
      fc.record({
        aggregate: fc.integer({ min: 0, max: 3 }),
        state: jsonObject,
        commandId: fc.option(fc.uuid(), { nil: undefined }),
        metadata: fc.option(jsonObject, { nil: undefined }),
        name: fc.constantFrom('Incremented', 'Reset', 'ÜberEvent "quoted"'),
      }),
      { maxLength: 30 },
    ),
    fc.boolean(),
  )
  .map(([items, oneBatch]) => {
    const latest = new Map<number, StoredEvent>();
    return items.map((item, i): StoredEvent => {
      const before = latest.get(item.aggregate);
      const event: StoredEvent = {
        id: `id-${i}`,
        aggregateId: `agg-${item.aggregate}`,
        name: item.name,
        version: (before?.version ?? 0) + 1,
        schemaVersion: oneBatch ? 2 : 1 + (i % 2),
        occurredAt: new Date(1_700_000_000_000 + (oneBatch ? 0 : i)).toISOString(),
        state: item.state,
        previousState: before?.state,
        position: i + 1,
        shard: 3,
        ...(item.commandId === undefined ? {} : { commandId: item.commandId }),
        ...(item.metadata === undefined ? {} : { metadata: item.metadata }),
      };
      latest.set(item.aggregate, event);
      return event;
    });
  });

describe('events on the wire between a shard and the main thread', () => {
  it('decode(encode(page)) equals the page, optional fields and all', () => {
    fc.assert(
      fc.property(pageArbitrary, (page) => {
        expect(decodeEvents(encodeEvents(page))).toEqual(page);
      }),
      { numRuns: 300 },
    );
  });

  it("writes a command batch's one timestamp and schema version once, and gives them back to every event", () => {
    const base = { name: 'Incremented', schemaVersion: 4, occurredAt: '2026-01-01T00:00:00.000Z', shard: 0, previousState: undefined };
    const page: StoredEvent[] = [1, 2, 3].map((n) => ({ ...base, id: `${n}`, aggregateId: `a${n}`, version: 1, position: n, state: { n } }));
    const encoded = encodeEvents(page);
    expect(encoded.split('2026-01-01T00:00:00.000Z')).toHaveLength(2);
    expect(decodeEvents(encoded)).toEqual(page);
  });

  it('writes a previous state that is an earlier state of the page once, and shares it again on arrival', () => {
    const first = { count: 1, note: 'x'.repeat(1000) };
    const second = { count: 2, note: 'x'.repeat(1000) };
    const base = { aggregateId: 'a', name: 'Incremented', schemaVersion: 1, occurredAt: '2026-01-01T00:00:00.000Z', shard: 0 };
    const page: StoredEvent[] = [
      { ...base, id: '1', version: 1, position: 1, state: first, previousState: undefined },
      { ...base, id: '2', version: 2, position: 2, state: second, previousState: first },
    ];
    const encoded = encodeEvents(page);
    expect(encoded.length).toBeLessThan(2 * 1000 + 500);
    const [one, two] = decodeEvents(encoded);
    expect(two!.previousState).toBe(one!.state);
    expect(one!.previousState).toBeUndefined();
    expect('previousState' in one!).toBe(true);
  });

  it('a sender that starts recording late (a restarted worker) never holds a version its receiver dropped, whatever sizes the pages set', () => {
    // A step records the next version of an aggregate, or starts a page that sets both ends' size (`keep`).
    const step = fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: 0, max: 12 }).map((aggregate) => ({ aggregate })) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 8 }).map((keep) => ({ keep })) },
    );
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 8 }),
        (steps, restartAt, capacity) => {
          const receiver = new RecentVersions<{ version: number }>(capacity);
          let sender = new RecentVersions<{ version: number }>(capacity);
          const versions = new Map<number, number>();
          steps.forEach((s, i) => {
            if (i === restartAt) {
              // The restarted sender's first page sets its own size at both ends.
              sender = new RecentVersions(capacity);
              receiver.resize(capacity);
            }
            if ('keep' in s) {
              sender.resize(s.keep);
              receiver.resize(s.keep);
              return;
            }
            const id = `agg-${s.aggregate}`;
            const version = (versions.get(s.aggregate) ?? 0) + 1;
            versions.set(s.aggregate, version);
            // What the sender would refer to must be what the receiver has.
            const claimed = sender.get(id);
            if (claimed !== undefined) expect(receiver.get(id)).toEqual(claimed);
            sender.record(id, { version });
            receiver.record(id, { version });
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps exactly the most recently recorded entries, whatever the mix of records, forgets and reads', () => {
    type Step = { kind: 'record'; key: number; version: number } | { kind: 'forget'; key: number } | { kind: 'get'; key: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('record' as const), key: fc.integer({ min: 0, max: 30 }), version: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('forget' as const), key: fc.integer({ min: 0, max: 30 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 30 }) }) },
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 400 }), fc.integer({ min: 1, max: 10 }), (steps, capacity) => {
        const recent = new RecentVersions<{ version: number }>(capacity);
        // The model: keys from least to most recently recorded.
        let model: Array<{ key: string; version: number }> = [];
        const kept = (key: string): { version: number } | undefined => {
          const entry = model.find((e) => e.key === key);
          return entry === undefined ? undefined : { version: entry.version };
        };
        for (const s of steps) {
          const key = `agg-${s.key}`;
          if (s.kind === 'record') {
            model = [...model.filter((e) => e.key !== key), { key, version: s.version }].slice(-capacity);
            recent.record(key, { version: s.version });
          } else if (s.kind === 'forget') {
            model = model.filter((e) => e.key !== key);
            recent.forget(key);
          } else {
            expect(recent.get(key)).toEqual(kept(key));
          }
        }
        for (let k = 0; k <= 30; k++) expect(recent.get(`agg-${k}`)).toEqual(kept(`agg-${k}`));
      }),
      { numRuns: 500 },
    );
  });

  it('a live page carries the previous state of each event itself, so it decodes without anything kept from earlier pages', () => {
    const base = { aggregateId: 'a', name: 'Incremented', schemaVersion: 1, occurredAt: '2026-01-01T00:00:00.000Z', shard: 0 };
    const v1 = { count: 1, note: 'y'.repeat(500) };
    const v2 = { count: 2, note: 'y'.repeat(500) };
    encodeEvents([{ ...base, id: '1', version: 1, position: 1, state: v1, previousState: undefined }]);
    const [second] = decodeEvents(encodeEvents([{ ...base, id: '2', version: 2, position: 2, state: v2, previousState: v1 }]));
    expect(second!.previousState).toEqual(v1);
    expect(second!.state).toEqual(v2);
  });

  it('decodes an empty page to no events', () => {
    expect(decodeEvents(encodeEvents([]))).toEqual([]);
  });

  it('a catch-up page of the log decodes to the very events the shard published at commit, metadata and commandIds included', () => {
    const store = new ShardStore({ path: ':memory:', shard: 2, shardCount: 4, hashScheme: 'test', synchronous: 'full' });
    const cache = new StateCache(100);
    const loader = new AggregateLoader(store, cache, counterDomain, 2, () => undefined);
    const processor = new CommandProcessor(store, loader, cache, counterDomain, { shard: 2, snapshotEvery: 0 }, () => undefined);
    const published: StoredEvent[] = [];
    const increment = (id: string, by: number, extra: Partial<ShardOp> = {}): ShardOp =>
      ({ kind: 'command', type: 'Increment', payload: { id, by }, aggregateId: id, ...extra }) as ShardOp;
    processor.run([increment('a', 1), increment('b', 2, { commandId: 'cmd-1' }), increment('a', 3, { metadata: { user: 'ü"1' } })], (e) =>
      published.push(...e),
    );
    processor.run([increment('b', 4), increment('a', 5)], (e) => published.push(...e));

    for (const [after, limit] of [
      [0, 100],
      [0, 2],
      [2, 2],
      [4, 10],
    ] as const) {
      const [outcome] = processor.run([{ kind: 'read-log', afterPosition: after, limit }], () => undefined);
      const page = (outcome as { value: EncodedPage }).value;
      expect(page.head).toBe(5);
      expect(decodeEvents(page.events)).toEqual(published.slice(after, after + limit));
    }

    // A catch-up stream, one event per page: every previous state after the first page is a reference.
    const received: ReceivedStates = new RecentVersions(100);
    const streamed: StoredEvent[] = [];
    for (let after = 0; after < 5; after++) {
      const [outcome] = processor.run([{ kind: 'read-log', afterPosition: after, limit: 1, stream: 7 }], () => undefined);
      const page = (outcome as { value: EncodedPage }).value;
      streamed.push(...decodeEvents(page.events, received));
    }
    expect(streamed).toEqual(published);
    expect(streamed[3]!.previousState).toBe(streamed[1]!.state);
    expect(streamed[4]!.previousState).toBe(streamed[2]!.state);

    // A receiver that did not keep what the stream refers to is told so, instead of getting a wrong previous state.
    const [first] = processor.run([{ kind: 'read-log', afterPosition: 0, limit: 4, stream: 8 }], () => undefined);
    expect(decodeEvents((first as { value: EncodedPage }).value.events, new RecentVersions(100))).toHaveLength(4);
    const [second] = processor.run([{ kind: 'read-log', afterPosition: 4, limit: 1, stream: 8 }], () => undefined);
    expect(() => decodeEvents((second as { value: EncodedPage }).value.events, new RecentVersions(100))).toThrow(
      /refers to a state of a v2 that this end did not keep/,
    );
    store.close();
  });
});
