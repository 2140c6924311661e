/**
 * `history(id, { from, to })` against the whole history: for random streams
 * (with snapshots now and then, with or without the state cache) and random
 * ranges, the range yields exactly the events of those versions that the
 * whole history holds, each with the same `state` and `previousState`.
 * `ASYNX_PROPERTY_RUNS` sets the number of sequences (a quarter of them here).
 */
import fc from 'fast-check';
import { open, type Engine, type StoredEvent } from '../dist/src/index.js';
import { counterDomain, type Counter } from '../dist/test/fixtures/counter-domain.js';
import { collect } from './support/collect.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();
const RUNS = Math.max(1, Math.round(Number(process.env.ASYNX_PROPERTY_RUNS ?? 200) / 4));

const view = (event: StoredEvent<Counter>) => ({ version: event.version, state: event.state, previousState: event.previousState });

describe.each([
  ['with the state cache', 10_000],
  ['without the state cache', 0],
])('history ranges agree with the whole history (property), %s', (_case, cacheSize) => {
  const dataDir = tempDir();
  let engine: Engine<typeof counterDomain>;
  beforeAll(async () => {
    engine = await open({ domain: counterDomain, dataDir, shards: 2, snapshotEvery: 4, cacheSize });
  });
  afterAll(() => engine.close());

  it('for random streams and ranges', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.record({ from: fc.integer({ min: 1, max: 34 }), length: fc.option(fc.integer({ min: 0, max: 34 })) }), { minLength: 1, maxLength: 5 }),
        async (increments, ranges) => {
          const id = `run${run++}`;
          await Promise.all(increments.map((by) => engine.send('Increment', { id, by })));
          const whole = (await collect(engine.history(id))).map(view);
          expect(whole.map((e) => e.version)).toEqual(increments.map((_, i) => i + 1));
          for (const { from, length } of ranges) {
            const to = length === null ? undefined : from + length;
            const range = (await collect(engine.history(id, to === undefined ? { from } : { from, to }))).map(view);
            expect(range).toEqual(whole.filter((e) => e.version >= from && (to === undefined || e.version <= to)));
          }
        },
      ),
      { numRuns: RUNS },
    );
  }, 300_000);
});
