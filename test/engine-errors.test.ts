import Database from 'better-sqlite3';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  AsynxError,
  CommandFailedError,
  InvalidArgumentError,
  ShuttingDownError,
  UnknownCommandError,
  ValidationError,
  open,
  type Engine,
} from '../dist/src/index.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

/** Every row in every shard file of the directory, to prove nothing was written. */
function storedRows(dataDir: string): unknown[] {
  const rows: unknown[] = [];
  for (const file of readdirSync(dataDir).filter((f) => f.endsWith('.db')).sort()) {
    const db = new Database(join(dataDir, file), { readonly: true });
    rows.push(...db.prepare('SELECT * FROM events ORDER BY position').all(), ...db.prepare('SELECT * FROM snapshots').all());
    db.close();
  }
  return rows;
}

describe('errors from the domain and from bad input', () => {
  let engine: Engine<typeof counterDomain>;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDir();
    engine = await open({ domain: counterDomain, dataDir, shards: 2, maxPayloadBytes: 1024 });
    await engine.send('Increment', { id: 'base', by: 1 });
  });
  afterAll(() => engine.close());

  it('rejects a command the domain refuses with ValidationError, carrying message and details', async () => {
    const rejection = engine.send('Increment', { id: 'base', by: -2 });
    await expect(rejection).rejects.toBeInstanceOf(ValidationError);
    await expect(rejection).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'by must be a positive integer, got -2',
      details: { field: 'by', type: 'Increment', aggregateId: 'base' },
    });
    // The stack is where the domain refused, in its own module.
    await expect(rejection).rejects.toMatchObject({ stack: expect.stringMatching(/^ValidationError: by must be[\s\S]*counter-domain\.js/) });
    expect(await engine.get('base')).toEqual({ id: 'base', count: 1, log: [1] });
  });

  it.each([
    ['throw-error', /Misbehave on m threw: counter overflowed its imaginary limit/],
    ['throw-string', /Misbehave on m threw: a bare string/],
    ['return-null', /emit of Misbehave on m returned null; it must return the next state as an object/],
    ['return-array', /returned an array/],
    ['return-date', /state\.at is a Date, not a plain object or array/],
    ['validate-promise', /^validate of Misbehave on m returned a promise; domain logic runs synchronously in the shard/],
    ['emit-promise', /^emit of Misbehave on m returned a promise; domain logic runs synchronously in the shard/],
  ] as const)('turns a user-code bug (%s) into CommandFailedError and keeps the shard running', async (how, message) => {
    const failure = engine.send('Misbehave', { id: 'm', how });
    await expect(failure).rejects.toBeInstanceOf(CommandFailedError);
    await expect(failure).rejects.toThrow(message);
    const next = await engine.send('Increment', { id: 'm', by: 1 });
    expect(next.state.count).toBeGreaterThanOrEqual(1);
    // A promise left rejected would end the worker as an unhandled rejection, after its batch.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await engine.send('Increment', { id: 'm', by: 1 });
    expect(engine.stats().shards.reduce((crashes, shard) => crashes + shard.crashes, 0)).toBe(0);
  });

  it('keeps the original stack of a user-code bug', async () => {
    const error = await engine.send('Misbehave', { id: 'stack', how: 'throw-error' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as CommandFailedError).details).toMatchObject({ cause: 'counter overflowed its imaginary limit' });
    expect(String((error as CommandFailedError).details?.causeStack)).toMatch(/RangeError: counter overflowed[\s\S]*counter-domain\.js/);
  });

  it('refuses to let emit mutate the current state in place (it is frozen)', async () => {
    await engine.send('Increment', { id: 'frozen', by: 4 });
    await expect(engine.send('Misbehave', { id: 'frozen', how: 'mutate-current' })).rejects.toThrow(CommandFailedError);
    expect(await engine.get('frozen')).toEqual({ id: 'frozen', count: 4, log: [4] });
  });

  it('leaves no trace of rejected commands in a batch and commits the others', async () => {
    const results = await Promise.allSettled([
      engine.send('Increment', { id: 'mix', by: 1 }),
      engine.send('Increment', { id: 'mix', by: 0 }),
      engine.send('Misbehave', { id: 'mix', how: 'throw-error' }),
      engine.send('Increment', { id: 'mix', by: 2 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    const versions = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.version] : []));
    expect(versions).toEqual([1, 2]);
    expect(await engine.get('mix')).toEqual({ id: 'mix', count: 3, log: [1, 2] });
  });

  describe('bad input gets a typed error that names the problem, and writes nothing', () => {
    let before: unknown[];
    beforeAll(async () => {
      await engine.drain();
      before = storedRows(dataDir);
    });
    afterAll(async () => {
      await engine.drain();
      expect(storedRows(dataDir)).toEqual(before);
    });

    const cyclic: Record<string, unknown> = { id: 'cyc', by: 1 };
    cyclic.self = cyclic;

    it.each([
      ['an unknown command type', 'Decrement', { id: 'a', by: 1 }, UnknownCommandError, /unknown command type Decrement; Counter defines Increment, Spin, Misbehave/],
      ['an empty aggregate ID', 'Increment', { id: '', by: 1 }, InvalidArgumentError, /Increment: aggregateId\(payload\): aggregate ID must not be empty/],
      ['a non-string aggregate ID', 'Increment', { id: 42, by: 1 }, InvalidArgumentError, /aggregate ID must be a string, got number/],
      ['a missing aggregate ID', 'Increment', { by: 1 }, InvalidArgumentError, /aggregate ID must be a string, got undefined/],
      ['a function in the payload', 'Increment', { id: 'f', by: 1, callback: () => 1 }, InvalidArgumentError, /payload\.callback is a function/],
      ['a symbol in the payload', 'Increment', { id: 's', by: Symbol('one') }, InvalidArgumentError, /payload\.by is a symbol/],
      ['NaN in the payload', 'Increment', { id: 'n', by: Number.NaN }, InvalidArgumentError, /payload\.by is NaN, which JSON cannot carry/],
      ['Infinity in the payload', 'Increment', { id: 'n', by: Number.POSITIVE_INFINITY }, InvalidArgumentError, /payload\.by is Infinity/],
      ['a cyclic payload', 'Increment', cyclic, InvalidArgumentError, /payload\.self refers back to an enclosing object/],
      ['an oversized payload', 'Increment', { id: 'big', by: 1, pad: 'x'.repeat(2000) }, InvalidArgumentError, /over maxPayloadBytes \(1024\)/],
      // 600 characters of JSON text but 1,200 bytes of UTF-8: the limit is in bytes.
      ['a payload over the limit only in UTF-8 bytes', 'Increment', { id: 'é', by: 1, pad: 'é'.repeat(570) }, InvalidArgumentError, /payload is 1\d{3} bytes as JSON, over maxPayloadBytes \(1024\)/],
    ])('%s', async (_what, type, payload, ErrorClass, message) => {
      const send = engine.send as (type: string, payload: unknown) => Promise<unknown>;
      const attempt = send.call(engine, type, payload);
      await expect(attempt).rejects.toBeInstanceOf(ErrorClass);
      await expect(attempt).rejects.toBeInstanceOf(AsynxError);
      await expect(attempt).rejects.toThrow(message);
    });

    it('a misspelt send option', async () => {
      const attempt = engine.send('Increment', { id: 'o', by: 1 }, { commandID: 'x' } as never);
      await expect(attempt).rejects.toThrow(InvalidArgumentError);
      await expect(attempt).rejects.toThrow(/unknown send option "commandID" \(did you mean "commandId"\?\)/);
    });

    it.each([
      ['get', (e: Engine<typeof counterDomain>) => e.get('')],
      ['get', (e: Engine<typeof counterDomain>) => e.get(7 as unknown as string)],
      ['exists', (e: Engine<typeof counterDomain>) => e.exists(null as unknown as string)],
    ])('%s with a bad aggregate ID', async (name, call) => {
      await expect(call(engine)).rejects.toThrow(new RegExp(`^${name}: aggregate ID must`));
    });

    it('history with a bad ID or range', () => {
      expect(() => engine.history('')).toThrow(InvalidArgumentError);
      expect(() => engine.history('base', { from: 0 })).toThrow(/from must be a version/);
      expect(() => engine.history('base', { from: 5, to: 2 })).toThrow(/to \(2\) is before from \(5\)/);
    });

    it('subscribe with an empty or invalid pattern, or a missing handler', () => {
      expect(() => engine.subscribe('', () => undefined)).toThrow(/pattern cannot be empty/);
      expect(() => engine.subscribe('Order **', () => undefined)).toThrow(InvalidArgumentError);
      expect(() => engine.subscribe(42 as unknown as string, () => undefined)).toThrow(/got number/);
      expect(() => engine.subscribe('X', undefined as never)).toThrow(/needs a handler function/);
      expect(() => engine.subscribe('X', () => undefined, { timeoutMs: -1 })).toThrow(/subscribe option timeoutMs must be an integer number of milliseconds from 1/);
    });
  });
});

describe('close', () => {
  it('finishes accepted commands, refuses new ones with ShuttingDownError, and returns the same promise twice', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 2 });
    const delivered: number[] = [];
    engine.subscribe('Incremented', async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      delivered.push(event.version);
    });
    const accepted = Array.from({ length: 50 }, () => engine.send('Increment', { id: 'c', by: 1 }));
    const closing = engine.close();
    expect(engine.close()).toBe(closing);
    await expect(engine.send('Increment', { id: 'c', by: 1 })).rejects.toBeInstanceOf(ShuttingDownError);
    await expect(engine.get('c')).rejects.toThrow(ShuttingDownError);
    const events = await Promise.all(accepted);
    await closing;
    expect(events.map((e) => e.version)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(delivered).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('tells with executed whether a command cut off by destroy() may have been stored', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    const running = engine.send('Spin', { id: 's', ms: 300 }).catch((error: unknown) => error);
    // Sent later, so it waits in the queue behind the spin's batch instead of joining it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const queued = engine.send('Increment', { id: 's', by: 1 }).catch((error: unknown) => error);
    await engine.destroy();
    expect(await running).toMatchObject({ name: 'ShuttingDownError', executed: 'unknown' });
    expect(await queued).toMatchObject({ name: 'ShuttingDownError', executed: false });
  });

  it('ends listen() loops after the events they buffered, rejects a pending waitFor(), and refuses new subscribers', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 2 });
    const looped: number[] = [];
    const loop = (async () => {
      for await (const event of engine.listen('Incremented')) looped.push(event.version);
      return 'ended';
    })();
    const pending = engine.waitFor('Decremented');
    await engine.send('Increment', { id: 'c', by: 1 });
    await engine.send('Increment', { id: 'c', by: 1 });
    await engine.close();
    await expect(loop).resolves.toBe('ended');
    expect(looped).toEqual([1, 2]);
    await expect(pending).rejects.toMatchObject({ code: 'SHUTTING_DOWN', message: expect.stringContaining('waitFor(Decremented)') });
    expect(() => engine.subscribe('Incremented', () => undefined)).toThrow(ShuttingDownError);
    expect(() => engine.subscribe('Incremented', () => undefined, { durable: 'late' })).toThrow(ShuttingDownError);
    expect(() => engine.listen('Incremented')).toThrow(ShuttingDownError);
    await expect(engine.waitFor('Incremented')).rejects.toBeInstanceOf(ShuttingDownError);
    expect(engine.stats().bus.subscribers).toEqual([]);
  });
});
