/**
 * Random sequences of commands, forgets, worker crashes and restarts, with
 * slow stretches in the handlers, against a plain in-memory model, seen from the subscribers:
 * a live read model that erases on the tombstone, the same built from a
 * `listen()` iterator, and a durable one that erases in `onForget` and is
 * stopped and started again now and then. After each sequence both equal the model, and the
 * live subscriber saw each life of an aggregate in contiguous versions from
 * 1, up to its tombstone (events it had not been handed yet are dropped).
 * `ASYNX_PROPERTY_RUNS` sets the number of sequences (a quarter of them here).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { NotFoundError, ShardCrashedError, ValidationError, open, type Engine, type StoredEvent } from '../dist/src/index.js';
import { counterDomain, type Counter } from '../dist/test/fixtures/counter-domain.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();
const RUNS = Math.max(1, Math.round(Number(process.env.ASYNX_PROPERTY_RUNS ?? 200) / 4));
const PATTERN = /^(?:Incremented|Misbehaved|asynx\.forgotten)$/;

/** `wait`: sent with sendAndWait, which resolves only once the subscribers have handled the event. */
type Send = { readonly id: number; readonly by: number; readonly wait: boolean };
type Action =
  | { readonly kind: 'burst'; readonly sends: readonly Send[] }
  | { readonly kind: 'forget'; readonly id: number; readonly withSends: readonly Send[] }
  | { readonly kind: 'slow'; readonly on: boolean }
  | { readonly kind: 'durable'; readonly on: boolean }
  | { readonly kind: 'crash'; readonly id: number; readonly how: 'exit-worker' | 'exit-between-batches' }
  | { readonly kind: 'restart' };

const send = fc.record({ id: fc.integer({ min: 0, max: 2 }), by: fc.integer({ min: 0, max: 3 }), wait: fc.boolean() });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.array(send, { minLength: 1, maxLength: 10 }).map((sends) => ({ kind: 'burst' as const, sends })) },
  {
    weight: 3,
    arbitrary: fc
      .record({ id: fc.integer({ min: 0, max: 2 }), withSends: fc.array(send, { maxLength: 4 }) })
      .map((f) => ({ kind: 'forget' as const, ...f })),
  },
  { weight: 2, arbitrary: fc.boolean().map((on) => ({ kind: 'slow' as const, on })) },
  { weight: 1, arbitrary: fc.boolean().map((on) => ({ kind: 'durable' as const, on })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ id: fc.integer({ min: 0, max: 2 }), how: fc.constantFrom('exit-worker' as const, 'exit-between-batches' as const) })
      .map((c) => ({ kind: 'crash' as const, ...c })),
  },
);

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A read model that follows every life of each aggregate and erases it on its tombstone. */
class LiveModel {
  readonly states = new Map<string, Counter>();
  readonly #versions = new Map<string, number>();

  /** The version this model last took of the aggregate's current life (0 for none). */
  versionOf(aggregateId: string): number {
    return this.#versions.get(aggregateId) ?? 0;
  }

  constructor(
    readonly name: string,
    readonly problems: string[],
  ) {}

  apply(event: StoredEvent<Counter>): void {
    const last = this.#versions.get(event.aggregateId) ?? 0;
    if (event.name === 'asynx.forgotten') {
      // Events still queued for this reader when the tombstone went out are set aside, never handed over.
      if (event.version < last) this.problems.push(`${this.name}: tombstone of ${event.aggregateId} at v${event.version} after v${last}`);
      this.states.delete(event.aggregateId);
      this.#versions.delete(event.aggregateId);
      return;
    }
    if (event.version !== last + 1) this.problems.push(`${this.name}: ${event.aggregateId} v${event.version} after v${last}`);
    this.states.set(event.aggregateId, event.state);
    this.#versions.set(event.aggregateId, event.version);
  }
}

/** What the subscribers built, kept across restarts. */
class ReadModels {
  readonly durable = new Map<string, { state: Counter; version: number }>();
  readonly problems: string[] = [];
  /** IDs of events whose aggregate's erasure has completed: no reader may be handed one from then on. */
  readonly erased = new Set<string>();
  readonly live = new LiveModel('live', this.problems);
  readonly listened = new LiveModel('listen', this.problems);
  /** The loop reading a `listen()` iterator: it ends once its engine has closed and it has read what it buffered. */
  listening: Promise<void> = Promise.resolve();
  slow = false;
  #durableOn = true;
  #stopDurable: () => void = () => undefined;

  /** Subscribes both read models to `engine` (again after a restart: the durable one resumes from its checkpoints). */
  attach(engine: Engine<typeof counterDomain>): void {
    // Slow handlers write first and then take their time, so later events wait for them in the subscription's queue.
    // (A write after the wait could land after onForget: a handler already running finishes, as the README says.)
    engine.subscribe(PATTERN, async (event) => {
      this.#handed('live', event);
      this.live.apply(event);
      if (this.slow) await pause(event.version % 3);
    });
    this.listening = (async () => {
      for await (const event of engine.listen(PATTERN)) {
        this.#handed('listen', event);
        this.listened.apply(event);
        if (this.slow) await pause(event.version % 2);
      }
    })();
    if (this.#durableOn) this.#stopDurable = this.#subscribeDurable(engine);
    engine.onForget(async (tombstone) => {
      if (this.slow) await pause(1);
      this.durable.delete(tombstone.aggregateId);
    });
  }

  /** Stops the durable subscription, or starts it again under its name: it catches up from its checkpoints. */
  setDurable(engine: Engine<typeof counterDomain>, on: boolean): void {
    if (on === this.#durableOn) return;
    this.#durableOn = on;
    if (on) this.#stopDurable = this.#subscribeDurable(engine);
    else this.#stopDurable();
  }

  get durableOn(): boolean {
    return this.#durableOn;
  }

  #subscribeDurable(engine: Engine<typeof counterDomain>): () => void {
    return engine.subscribe(
      /^(?:Incremented|Misbehaved)$/,
      async (event) => {
        this.#handed('durable', event);
        this.#onDurable(event);
        if (this.slow) await pause(event.version % 2);
      },
      { durable: 'model' },
    );
  }

  #handed(reader: string, event: StoredEvent<Counter>): void {
    if (this.erased.has(event.id)) this.problems.push(`${reader}: handed ${event.name} v${event.version} of ${event.aggregateId} after its erasure`);
  }

  #onDurable(event: StoredEvent<Counter>): void {
    const known = this.durable.get(event.aggregateId);
    // At least once: after a restart, events past the last checkpoint come again.
    if (known !== undefined && event.version <= known.version) return;
    if (event.version !== (known?.version ?? 0) + 1) this.problems.push(`durable: ${event.aggregateId} v${event.version} after v${known?.version ?? 0}`);
    this.durable.set(event.aggregateId, { state: event.state, version: event.version });
  }
}

/** The model: each counter after the accepted commands; `undefined` once forgotten. */
function applySend(model: Map<string, Counter>, id: string, by: number): boolean {
  if (by <= 0) return false;
  const current = model.get(id);
  model.set(id, { id, count: (current?.count ?? 0) + by, log: [...(current?.log ?? []), by] });
  return true;
}

describe('subscribers agree with a simple model across forgets and restarts (property)', () => {
  const dataDir = tempDir();
  const readModels = new ReadModels();
  let engine: Engine<typeof counterDomain>;
  const start = async (): Promise<void> => {
    engine = await open({ domain: counterDomain, dataDir, shards: 2 });
    readModels.attach(engine);
  };
  beforeAll(start);
  afterAll(() => engine.close());

  it('for random sequences of sends, forgets, slow handlers and restarts', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 20 }), async (actions) => {
        // Each sequence uses its own aggregates, so one engine and one pair of read models serve every run.
        const prefix = `run${run++}-`;
        const model = new Map<string, Counter>();
        /** The IDs of the events of each aggregate's current life. */
        const life = new Map<string, string[]>();
        const lived = (event: StoredEvent<Counter>): void => void life.set(event.aggregateId, [...(life.get(event.aggregateId) ?? []), event.id]);
        readModels.problems.length = 0;
        const sendAll = (sends: readonly Send[]): Array<Promise<void>> =>
          sends.map(async (s) => {
            const id = prefix + s.id;
            const sent = s.wait ? engine.sendAndWait('Increment', { id, by: s.by }) : engine.send('Increment', { id, by: s.by });
            if (!applySend(model, id, s.by)) return expect(sent).rejects.toBeInstanceOf(ValidationError);
            // Taken before awaiting: the burst's later sends change the model.
            const expected = model.get(id);
            const event = await sent;
            expect(event.state).toEqual(expected);
            lived(event);
            if (s.wait) {
              // Bursts and forgets do not overlap on an aggregate's old life, so the event is still in its read models.
              expect(readModels.live.versionOf(id)).toBeGreaterThanOrEqual(event.version);
              if (readModels.durableOn) expect(readModels.durable.get(id)?.version).toBeGreaterThanOrEqual(event.version);
            }
          });
        for (const step of actions) {
          if (step.kind === 'restart') {
            await engine.close();
            await readModels.listening;
            await start();
          } else if (step.kind === 'crash') {
            const id = prefix + step.id;
            const sent = engine.send('Misbehave', { id, how: step.how });
            if (step.how === 'exit-worker') {
              await expect(sent).rejects.toBeInstanceOf(ShardCrashedError);
            } else {
              // Stored and published; the worker dies from a timer once its batch is over, and is restarted.
              const current = model.get(id);
              model.set(id, { id, count: current?.count ?? 0, log: current?.log ?? [] });
              const event = await sent;
              expect(event.state).toEqual(model.get(id));
              lived(event);
              await pause(60);
            }
          } else if (step.kind === 'durable') {
            readModels.setDurable(engine, step.on);
          } else if (step.kind === 'slow') {
            readModels.slow = step.on;
          } else if (step.kind === 'burst') {
            await Promise.all(sendAll(step.sends));
          } else {
            const id = prefix + step.id;
            const existed = model.has(id);
            // Sends queued behind the forget run after the erasure, on a new life.
            const forgotten = engine.forget(id);
            model.delete(id);
            const ended = life.get(id) ?? [];
            life.delete(id);
            const after = sendAll(step.withSends);
            if (existed) await forgotten;
            else await expect(forgotten).rejects.toBeInstanceOf(NotFoundError);
            for (const eventId of ended) readModels.erased.add(eventId);
            await Promise.all(after);
          }
        }
        // A stopped durable subscription catches up when it starts again.
        readModels.setDurable(engine, true);
        await engine.drain();
        const ours = <T>(map: ReadonlyMap<string, T>): Map<string, T> => new Map([...map].filter(([id]) => id.startsWith(prefix)));
        expect(ours(readModels.live.states)).toEqual(model);
        // drain() does not wait for an iterator's reader: give it a moment to read what it holds.
        for (let waited = 0; waited < 2_000 && !isDeepStrictEqual(ours(readModels.listened.states), model); waited += 10) await pause(10);
        expect(ours(readModels.listened.states)).toEqual(model);
        expect(readModels.problems).toEqual([]);
        expect(new Map([...ours(readModels.durable)].map(([id, { state }]) => [id, state]))).toEqual(model);
        for (const [id, counter] of model) expect(await engine.get(id)).toEqual(counter);
      }),
      { numRuns: RUNS },
    );
  }, 300_000);
});
