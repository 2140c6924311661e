/**
 * Cancellation against a model: random bursts of sends behind a shard kept
 * busy, with small queues that make later sends wait for room, each send
 * aborted at a random moment or never. A send that resolved is in its
 * aggregate's history once; one rejected with `executed: false` never is;
 * one rejected with `executed: 'unknown'` may be; and what is there keeps
 * the order the sends were made in.
 * `ASYNX_PROPERTY_RUNS` sets the number of sequences (a quarter of them here).
 */
import fc from 'fast-check';
import { AbortError, ValidationError, open, type Engine } from '../dist/src/index.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();
const RUNS = Math.max(1, Math.round(Number(process.env.ASYNX_PROPERTY_RUNS ?? 200) / 4));

/** `abort`: never, at once (while queued or waiting for room), or after that many milliseconds. */
type Send = { readonly id: number; readonly by: number; readonly abort: 'never' | 'at-once' | number };

const sendArb: fc.Arbitrary<Send> = fc.record({
  id: fc.integer({ min: 0, max: 2 }),
  by: fc.integer({ min: 0, max: 3 }),
  abort: fc.oneof(fc.constant('never' as const), fc.constant('at-once' as const), fc.integer({ min: 0, max: 25 })),
});

type Outcome = 'committed' | 'not-executed' | 'unknown' | 'rejected';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('aborted sends against a model (property)', () => {
  const dataDir = tempDir();
  let engine: Engine<typeof counterDomain>;
  beforeAll(async () => {
    engine = await open({ domain: counterDomain, dataDir, shards: 2, queueDepth: 4, onFull: 'wait' });
  });
  afterAll(() => engine.close());

  it('for random bursts behind a busy shard, aborted at random moments', async () => {
    let run = 0;
    const seen = new Set<Outcome>();
    await fc.assert(
      fc.asyncProperty(fc.array(sendArb, { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 2 }), async (sends, busyId) => {
        const prefix = `run${run++}-`;
        // Keeps one shard busy for a while, so sends queue up and wait for room.
        const busy = engine.send('Spin', { id: `${prefix}busy${busyId}`, ms: 15 });
        const outcomes = await Promise.all(
          sends.map(async (s, i): Promise<Outcome> => {
            const controller = new AbortController();
            const sent = engine.send('Increment', { id: prefix + s.id, by: s.by }, { commandId: `${prefix}${i}`, signal: controller.signal });
            if (s.abort === 'at-once') controller.abort();
            else if (s.abort !== 'never') setTimeout(() => controller.abort(), s.abort);
            try {
              await sent;
              return 'committed';
            } catch (error) {
              if (error instanceof ValidationError) return 'rejected';
              expect(error).toBeInstanceOf(AbortError);
              if (s.abort === 'at-once') expect((error as AbortError).executed).toBe(false);
              return (error as AbortError).executed === false ? 'not-executed' : 'unknown';
            }
          }),
        );
        await busy;
        // An abort after dispatch leaves the command to finish: let it.
        await pause(30);
        await engine.drain();
        outcomes.forEach((outcome) => seen.add(outcome));
        for (let id = 0; id <= 2; id++) {
          const stored: number[] = [];
          for await (const event of engine.history(prefix + id)) stored.push(Number(event.commandId!.slice(prefix.length)));
          const mine = sends.flatMap((s, i) => (s.id === id ? [i] : []));
          expect(mine.filter((i) => outcomes[i] === 'committed').every((i) => stored.includes(i))).toBe(true);
          expect(stored.filter((i) => !['committed', 'unknown'].includes(outcomes[i]!))).toEqual([]);
          expect(stored).toEqual([...stored].sort((a, b) => a - b));
          expect(new Set(stored).size).toBe(stored.length);
        }
      }),
      { numRuns: RUNS },
    );
    // Without these the property would hold vacuously.
    if (RUNS >= 20) expect([...seen]).toEqual(expect.arrayContaining(['committed', 'not-executed', 'rejected']));
  }, 300_000);
});
