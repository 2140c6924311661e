/**
 * Exactly once through worker crashes: random bursts of sends, each with
 * its own `commandId`, some with a command that kills its shard's worker in
 * the middle. Every send that rejects `ShardCrashedError` says
 * `executed: 'unknown'` and is sent again with the same `commandId` until it
 * resolves. Afterwards each counter holds every accepted command exactly
 * once, its history is contiguous, and each `commandId` is in it once.
 * `ASYNX_PROPERTY_RUNS` sets the number of sequences (a quarter of them here).
 */
import fc from 'fast-check';
import { ShardCrashedError, ValidationError, open, type Engine, type StoredEvent } from '../dist/src/index.js';
import { counterDomain, type Counter } from '../dist/test/fixtures/counter-domain.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();
const RUNS = Math.max(1, Math.round(Number(process.env.ASYNX_PROPERTY_RUNS ?? 200) / 4));
/** Sends that a crash failed and that went again: the property is empty without them. */
let resent = 0;

type Step = { readonly kind: 'send'; readonly id: number; readonly by: number } | { readonly kind: 'crash'; readonly id: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ id: fc.integer({ min: 0, max: 3 }), by: fc.integer({ min: 0, max: 3 }) }).map((s) => ({ kind: 'send' as const, ...s })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((id) => ({ kind: 'crash' as const, id })) },
);

/** Sends until the outcome is known: a crash leaves it unknown, and the same commandId tells. */
async function sendUntilKnown(engine: Engine<typeof counterDomain>, id: string, by: number, commandId: string): Promise<StoredEvent<Counter> | ValidationError> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await engine.send('Increment', { id, by }, { commandId });
    } catch (error) {
      if (error instanceof ValidationError) return error;
      expect(error).toBeInstanceOf(ShardCrashedError);
      expect((error as ShardCrashedError).executed).toBe('unknown');
      resent++;
      // Each crash in a sequence can fail a send once at most.
      expect(attempt).toBeLessThan(10);
    }
  }
}

describe('commands sent again after a worker crash are applied exactly once (property)', () => {
  const dataDir = tempDir();
  let engine: Engine<typeof counterDomain>;
  beforeAll(async () => {
    engine = await open({ domain: counterDomain, dataDir, shards: 2 });
  });
  afterAll(() => engine.close());

  it('for random bursts with workers killed in the middle', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(step, { minLength: 1, maxLength: 15 }), { minLength: 1, maxLength: 4 }), async (bursts) => {
        const prefix = `run${run++}-`;
        const accepted = new Map<string, number[]>();
        let sent = 0;
        for (const burst of bursts) {
          // Sent without waiting, so crashes hit batches holding other commands.
          const outcomes = burst.map((s) => {
            const id = prefix + s.id;
            if (s.kind === 'crash') return expect(engine.send('Misbehave', { id, how: 'exit-worker' })).rejects.toBeInstanceOf(ShardCrashedError);
            const commandId = `${prefix}c${sent++}`;
            return sendUntilKnown(engine, id, s.by, commandId).then((outcome) => {
              if (s.by > 0) {
                expect(outcome).toMatchObject({ aggregateId: id, commandId });
                accepted.set(id, [...(accepted.get(id) ?? []), s.by]);
              } else {
                expect(outcome).toBeInstanceOf(ValidationError);
              }
            });
          });
          await Promise.all(outcomes);
        }
        for (const [id, bys] of accepted) {
          const counter = await engine.get(id);
          expect(counter.count).toBe(bys.reduce((a, b) => a + b, 0));
          // Commands sent again after a crash run after those that got through: the order may change, the set may not.
          expect([...counter.log].sort()).toEqual([...bys].sort());
          const commandIds: string[] = [];
          let version = 0;
          for await (const event of engine.history(id)) {
            expect(event.version).toBe(++version);
            commandIds.push(event.commandId ?? '');
          }
          expect(version).toBe(bys.length);
          expect(new Set(commandIds).size).toBe(commandIds.length);
        }
      }),
      { numRuns: RUNS },
    );
    if (RUNS >= 20) expect(resent).toBeGreaterThan(0);
  }, 300_000);
});
