/**
 * destroy() in the middle of a burst, against a model: nothing acknowledged
 * is lost. Read back after reopening, each aggregate's history holds every
 * send that resolved, none that rejected with `executed: false`, possibly
 * those that rejected with `executed: 'unknown'`, each once and in the
 * order they were sent.
 * `ASYNX_PROPERTY_RUNS` sets the number of sequences (a tenth of them here).
 */
import fc from 'fast-check';
import { ShuttingDownError, ValidationError, open } from '../dist/src/index.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();
const RUNS = Math.max(1, Math.round(Number(process.env.ASYNX_PROPERTY_RUNS ?? 200) / 10));

type Outcome = 'stored' | 'not-executed' | 'unknown' | 'refused';

describe('destroy() in the middle of a burst (property)', () => {
  it('loses nothing acknowledged, for random bursts, shard counts and moments', async () => {
    const seen = new Set<Outcome>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: fc.integer({ min: 0, max: 3 }), by: fc.integer({ min: 0, max: 3 }) }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(0, 1, 3, 10, 30),
        async (sends, shards, waitMs) => {
          const dataDir = tempDir();
          const engine = await open({ domain: counterDomain, dataDir, shards });
          const outcomes = sends.map((s, i) =>
            engine.send('Increment', { id: `d${s.id}`, by: s.by }, { commandId: `c${i}` }).then(
              (): Outcome => 'stored',
              (error: unknown): Outcome => {
                if (error instanceof ValidationError) return 'refused';
                expect(error).toBeInstanceOf(ShuttingDownError);
                return (error as ShuttingDownError).executed === false ? 'not-executed' : 'unknown';
              },
            ),
          );
          if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
          await engine.destroy();
          const settled = await Promise.all(outcomes);
          settled.forEach((outcome) => seen.add(outcome));

          const reopened = await open({ domain: counterDomain, dataDir, shards });
          try {
            for (let id = 0; id <= 3; id++) {
              const history: number[] = [];
              for await (const event of reopened.history(`d${id}`)) history.push(Number(event.commandId!.slice(1)));
              const mine = sends.flatMap((s, i) => (s.id === id ? [i] : []));
              expect(mine.filter((i) => settled[i] === 'stored' && !history.includes(i))).toEqual([]);
              expect(history.filter((i) => settled[i] !== 'stored' && settled[i] !== 'unknown')).toEqual([]);
              expect(history).toEqual([...new Set(history)].sort((a, b) => a - b));
            }
          } finally {
            await reopened.close();
          }
        },
      ),
      { numRuns: RUNS },
    );
    // Destroyed before, during and after batches: otherwise the property would hold vacuously.
    if (RUNS >= 20) {
      expect(seen.has('stored')).toBe(true);
      expect(seen.has('not-executed') || seen.has('unknown')).toBe(true);
    }
  }, 300_000);
});
