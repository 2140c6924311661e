/**
 * close() in the middle of a burst, against a model: every send made before
 * close() is finished and stored, and its event reaches the live subscriber
 * before close() resolves; every send made after it rejects
 * `ShuttingDownError` (`executed: false`) and leaves nothing behind. Read
 * back after reopening, each counter holds exactly the first group's
 * accepted commands, in the order they were sent.
 * `ASYNX_PROPERTY_RUNS` sets the number of sequences (a tenth of them here).
 */
import fc from 'fast-check';
import { ShuttingDownError, ValidationError, open, type StoredEvent } from '../dist/src/index.js';
import { counterDomain, type Counter } from '../dist/test/fixtures/counter-domain.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();
const RUNS = Math.max(1, Math.round(Number(process.env.ASYNX_PROPERTY_RUNS ?? 200) / 10));

const send = fc.record({ id: fc.integer({ min: 0, max: 3 }), by: fc.integer({ min: 0, max: 3 }), wait: fc.boolean() });

describe('close() in the middle of a burst (property)', () => {
  it('finishes what was accepted and refuses the rest, for random bursts and shard counts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(send, { maxLength: 40 }), fc.array(send, { maxLength: 10 }), fc.integer({ min: 1, max: 3 }), async (before, after, shards) => {
        const dataDir = tempDir();
        const engine = await open({ domain: counterDomain, dataDir, shards });
        const delivered: string[] = [];
        engine.subscribe('Incremented', async (event: StoredEvent<Counter>) => {
          await new Promise((resolve) => setTimeout(resolve, event.version % 2));
          delivered.push(event.id);
        });
        const accepted = before.map((s) =>
          (s.wait ? engine.sendAndWait('Increment', { id: `c${s.id}`, by: s.by }) : engine.send('Increment', { id: `c${s.id}`, by: s.by })).then(
            (event) => event,
            (error: unknown) => error,
          ),
        );
        const closed = engine.close();
        const refused = after.map((s) => engine.send('Increment', { id: `c${s.id}`, by: s.by }).catch((error: unknown) => error));
        await closed;
        const outcomes = await Promise.all(accepted);
        const stored = new Map<string, number[]>();
        outcomes.forEach((outcome, i) => {
          const { id, by } = before[i]!;
          if (by <= 0) return expect(outcome).toBeInstanceOf(ValidationError);
          expect(outcome).toMatchObject({ aggregateId: `c${id}`, state: { count: expect.any(Number) } });
          expect(delivered).toContain((outcome as StoredEvent<Counter>).id);
          stored.set(`c${id}`, [...(stored.get(`c${id}`) ?? []), by]);
        });
        for (const error of await Promise.all(refused)) {
          expect(error).toBeInstanceOf(ShuttingDownError);
          expect(error).toMatchObject({ executed: false });
        }

        const reopened = await open({ domain: counterDomain, dataDir, shards });
        try {
          for (let id = 0; id <= 3; id++) {
            const log = stored.get(`c${id}`);
            expect(await reopened.exists(`c${id}`)).toBe(log !== undefined);
            if (log !== undefined) expect((await reopened.get(`c${id}`)).log).toEqual(log);
          }
        } finally {
          await reopened.close();
        }
      }),
      { numRuns: RUNS },
    );
  }, 300_000);
});
