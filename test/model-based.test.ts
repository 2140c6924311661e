/**
 * R4: random sequences of commands over a few aggregates (including rejected
 * ones, user-code failures and restarts, each open with its own snapshotEvery
 * and cacheSize, so state is rebuilt from snapshots, replays and the cache
 * by turns) run against the engine and against a plain in-memory model.
 * After each sequence the engine's `get`, the fold of its `history` and the
 * model agree, and versions are contiguous.
 * `ASYNX_PROPERTY_RUNS` sets the number of sequences.
 */
import fc from 'fast-check';
import { CommandFailedError, NotFoundError, ValidationError, open, type Engine } from '../dist/src/index.js';
import { counterDomain, type Counter } from '../dist/test/fixtures/counter-domain.js';
import { foldHistory } from './support/history-fold.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();
const RUNS = Number(process.env.ASYNX_PROPERTY_RUNS ?? 200);

type Action =
  | { readonly kind: 'send'; readonly id: number; readonly by: number }
  | { readonly kind: 'burst'; readonly sends: ReadonlyArray<{ readonly id: number; readonly by: number }> }
  | { readonly kind: 'misbehave'; readonly id: number }
  | { readonly kind: 'restart'; readonly options: HydrationOptions };

/** Options that change how a shard rebuilds state (from snapshots, from the cache): they may differ between opens. */
interface HydrationOptions {
  readonly snapshotEvery: number;
  readonly cacheSize: number;
}

const hydrationOptions: fc.Arbitrary<HydrationOptions> = fc.record({
  snapshotEvery: fc.constantFrom(0, 1, 3),
  cacheSize: fc.constantFrom(0, 2, 10_000),
});

const send = fc.record({ id: fc.integer({ min: 0, max: 3 }), by: fc.integer({ min: -1, max: 4 }) });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: send.map((s) => ({ kind: 'send' as const, ...s })) },
  { weight: 3, arbitrary: fc.array(send, { minLength: 2, maxLength: 12 }).map((sends) => ({ kind: 'burst' as const, sends })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((id) => ({ kind: 'misbehave' as const, id })) },
  { weight: 1, arbitrary: hydrationOptions.map((options) => ({ kind: 'restart' as const, options })) },
);

/** The model: what each counter must be after the accepted commands. */
function applyModel(model: Map<string, Counter>, id: string, by: number): 'accepted' | 'rejected' {
  if (!Number.isInteger(by) || by <= 0) return 'rejected';
  const current = model.get(id);
  model.set(id, { id, count: (current?.count ?? 0) + by, log: [...(current?.log ?? []), by] });
  return 'accepted';
}

describe('the engine agrees with a simple model (property)', () => {
  const dataDir = tempDir();
  let engine: Engine<typeof counterDomain>;
  beforeAll(async () => {
    engine = await open({ domain: counterDomain, dataDir, shards: 2 });
  });
  afterAll(() => engine.close());

  it('for random command sequences with rejections, failures and restarts', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 25 }), async (actions) => {
        // Each sequence uses its own aggregates, so one engine serves every run.
        const prefix = `run${run++}-`;
        const model = new Map<string, Counter>();
        for (const step of actions) {
          if (step.kind === 'restart') {
            await engine.close();
            engine = await open({ domain: counterDomain, dataDir, shards: 2, ...step.options });
          } else if (step.kind === 'misbehave') {
            await expect(engine.send('Misbehave', { id: prefix + step.id, how: 'throw-error' })).rejects.toBeInstanceOf(CommandFailedError);
          } else {
            const sends = step.kind === 'send' ? [step] : step.sends;
            // Sent without waiting: arrival order must be execution order.
            const results = await Promise.allSettled(sends.map((s) => engine.send('Increment', { id: prefix + s.id, by: s.by })));
            sends.forEach((s, i) => {
              const expected = applyModel(model, prefix + s.id, s.by);
              const result = results[i]!;
              if (expected === 'accepted') {
                expect(result.status).toBe('fulfilled');
                if (result.status === 'fulfilled') expect(result.value.state).toEqual(model.get(prefix + s.id));
              } else {
                expect(result.status === 'rejected' && result.reason instanceof ValidationError).toBe(true);
              }
            });
          }
        }
        for (let id = 0; id <= 3; id++) {
          const aggregateId = prefix + id;
          const expected = model.get(aggregateId);
          if (expected === undefined) {
            await expect(engine.get(aggregateId)).rejects.toBeInstanceOf(NotFoundError);
            expect(await engine.exists(aggregateId)).toBe(false);
            continue;
          }
          expect(await engine.get(aggregateId)).toEqual(expected);
          expect(await foldHistory(engine.history(aggregateId))).toEqual({ state: expected, versions: expected.log.length });
        }
      }),
      { numRuns: RUNS },
    );
  }, 300_000);
});
