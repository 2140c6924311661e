import { AbortError, HandlerTimeoutError, ShuttingDownError, TimeoutError, isAsynxError, open, type Engine, type StoredEvent } from '../dist/src/index.js';
import { counterDomain, type Counter } from '../dist/test/fixtures/counter-domain.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('live subscriptions', () => {
  let engine: Engine<typeof counterDomain>;
  beforeEach(async () => {
    engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 3, onHandlerError: () => undefined });
  });
  afterEach(() => engine.close());

  it('100 aggregates × 50 commands sent concurrently: every subscriber sees each aggregate’s versions in order', async () => {
    const seen = [new Map<string, number[]>(), new Map<string, number[]>(), new Map<string, number[]>()];
    engine.subscribe('Incremented', (e) => void seen[0]!.set(e.aggregateId, [...(seen[0]!.get(e.aggregateId) ?? []), e.version]));
    engine.subscribe(/^Incr/, async (e) => {
      if (e.version % 7 === 0) await sleep(1);
      seen[1]!.set(e.aggregateId, [...(seen[1]!.get(e.aggregateId) ?? []), e.version]);
    });
    engine.subscribe('*', async (e) => {
      await Promise.resolve();
      seen[2]!.set(e.aggregateId, [...(seen[2]!.get(e.aggregateId) ?? []), e.version]);
    });
    const sends: Promise<unknown>[] = [];
    for (let round = 0; round < 50; round++) for (let a = 0; a < 100; a++) sends.push(engine.send('Increment', { id: `a${a}`, by: 1 }));
    await Promise.all(sends);
    await engine.drain();
    const expected = Array.from({ length: 50 }, (_, i) => i + 1);
    for (const map of seen) {
      expect(map.size).toBe(100);
      for (const versions of map.values()) expect(versions).toEqual(expected);
    }
    expect(engine.stats().bus.subscribers.map((s) => [s.delivered, s.failed, s.pending])).toEqual([
      [5000, 0, 0],
      [5000, 0, 0],
      [5000, 0, 0],
    ]);
  });

  it('on timeout fires the handler’s signal, runs the fallback and the error hook, and keeps delivering', async () => {
    const reported: Array<[unknown, string]> = [];
    const local = await open({
      domain: counterDomain,
      dataDir: tempDir(),
      shards: 1,
      onHandlerError: (error, _event, name) => reported.push([error, name]),
    });
    const aborted: number[] = [];
    const fallbacks: Array<[string, number]> = [];
    const handled: number[] = [];
    local.subscribe(
      'Incremented',
      async (event, { signal }) => {
        if (event.version === 2) {
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
          aborted.push(event.version);
          return;
        }
        handled.push(event.version);
      },
      {
        name: 'slow-projection',
        timeoutMs: 50,
        fallback: (error, event) => {
          fallbacks.push([(error as Error).constructor.name, event.version]);
        },
      },
    );
    try {
      for (let i = 0; i < 4; i++) await local.send('Increment', { id: 't', by: 1 });
      await local.drain();
      expect(aborted).toEqual([2]);
      expect(fallbacks).toEqual([['HandlerTimeoutError', 2]]);
      expect(handled).toEqual([1, 3, 4]);
      expect(reported).toHaveLength(1);
      expect(reported[0]![0]).toBeInstanceOf(HandlerTimeoutError);
      expect(reported[0]![0]).toMatchObject({
        code: 'HANDLER_TIMEOUT',
        timeoutMs: 50,
        message: 'subscription slow-projection: the handler of Incremented t v2 did not settle within 50 ms',
        details: { subscription: 'slow-projection', event: 'Incremented', aggregateId: 't', version: 2, timeoutMs: 50 },
      });
      expect(isAsynxError(reported[0]![0])).toBe(true);
      expect(reported[0]![1]).toBe('slow-projection');
    } finally {
      await local.close();
    }
  });

  it('counts an event once when its handler settles after the timeout, and never falls back twice for it', async () => {
    const reported: string[] = [];
    const local = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, onHandlerError: (_error, _event, name) => reported.push(name) });
    const fallbacks: string[] = [];
    const fallback = (error: unknown): void => void fallbacks.push((error as Error).constructor.name);
    local.subscribe('Incremented', () => sleep(150).then(() => Promise.reject(new Error('late failure'))), { name: 'late-reject', timeoutMs: 30, fallback });
    local.subscribe('Incremented', () => sleep(150).then(() => undefined), { name: 'late-resolve', timeoutMs: 30, fallback });
    try {
      await local.send('Increment', { id: 'late', by: 1 });
      await local.drain();
      // Long enough for both handlers to settle late.
      await sleep(250);
      expect(fallbacks).toEqual(['HandlerTimeoutError', 'HandlerTimeoutError']);
      expect(reported.sort()).toEqual(['late-reject', 'late-resolve']);
      expect(local.stats().bus.subscribers.map(({ name, delivered, failed }) => [name, delivered, failed])).toEqual([
        ['late-reject', 0, 1],
        ['late-resolve', 0, 1],
      ]);
    } finally {
      await local.close();
    }
  });

  it('does not time out a handler that failed in time while its fallback is still running', async () => {
    const local = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, onHandlerError: () => undefined });
    const fallbacks: string[] = [];
    local.subscribe(
      'Incremented',
      () => Promise.reject(new Error('projection bug')),
      {
        name: 'slow-fallback',
        timeoutMs: 30,
        fallback: async (error) => {
          fallbacks.push((error as Error).message);
          await sleep(120);
        },
      },
    );
    try {
      await local.send('Increment', { id: 'f', by: 1 });
      await local.drain();
      expect(fallbacks).toEqual(['projection bug']);
      expect(local.stats().bus.subscribers[0]).toMatchObject({ delivered: 0, failed: 1 });
    } finally {
      await local.close();
    }
  });

  it('isolates a throwing handler from other subscribers and later events', async () => {
    const good: number[] = [];
    let fallbackCalls = 0;
    engine.subscribe('Incremented', (e) => {
      if (e.version === 1) throw new Error('projection bug');
    }, { fallback: () => void fallbackCalls++ });
    engine.subscribe('Incremented', (e) => void good.push(e.version));
    await engine.send('Increment', { id: 'i', by: 1 });
    await engine.send('Increment', { id: 'i', by: 1 });
    await engine.drain();
    expect(good).toEqual([1, 2]);
    expect(fallbackCalls).toBe(1);
    expect(engine.stats().bus.subscribers[0]).toMatchObject({ delivered: 1, failed: 1 });
  });

  it('stops delivering after unsubscribe', async () => {
    const seen: number[] = [];
    const unsubscribe = engine.subscribe('Incremented', (e) => void seen.push(e.version));
    await engine.send('Increment', { id: 'u', by: 1 });
    unsubscribe();
    unsubscribe();
    await engine.send('Increment', { id: 'u', by: 1 });
    await engine.drain();
    expect(seen).toEqual([1]);
  });

  it('sendAndWait resolves only after the event’s handlers settled', async () => {
    const projected = new Map<string, number>();
    engine.subscribe('Incremented', async (e: StoredEvent<Counter>) => {
      await sleep(20);
      projected.set(e.aggregateId, e.state.count);
    });
    const event = await engine.sendAndWait('Increment', { id: 'sw', by: 3 });
    expect(projected.get('sw')).toBe(3);
    expect(event.state.count).toBe(3);
  });

  it('sendAndWait rejects ShuttingDownError with executed: true when the engine stops before a handler got the event, and resolves when the subscriber merely left', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const stopping = engine.subscribe('Incremented', () => held, { name: 'stopping' });
    await engine.send('Increment', { id: 'sw', by: 1 });
    // The handler holds v1; v2 waits behind it. A later command to the same shard answered means v2's send was too.
    const leftWaiting = engine.sendAndWait('Increment', { id: 'sw', by: 1 });
    await engine.send('Increment', { id: 'sw', by: 1 });
    stopping();
    await expect(leftWaiting).resolves.toMatchObject({ version: 2 });

    engine.subscribe('Incremented', () => held, { name: 'held' });
    await engine.send('Increment', { id: 'sw', by: 1 });
    const cutOff = engine.sendAndWait('Increment', { id: 'sw', by: 1 }).catch((error: unknown) => error);
    await engine.send('Increment', { id: 'sw', by: 1 });
    await engine.destroy();
    release();
    const error = await cutOff;
    expect(error).toBeInstanceOf(ShuttingDownError);
    expect(error).toMatchObject({ executed: true, details: { executed: true, position: 5 } });
    expect((error as Error).message).toMatch(/^the engine closed before every subscriber handled Incremented v5 of sw; the command is stored/);
  });

  it('listen yields matching events and ends after count', async () => {
    const iterator = engine.listen('Incremented', { count: 3 });
    const sending = (async () => {
      for (let i = 0; i < 5; i++) await engine.send('Increment', { id: 'l', by: 1 });
    })();
    const versions: number[] = [];
    for await (const event of iterator) versions.push(event.version);
    expect(versions).toEqual([1, 2, 3]);
    await sending;
    await engine.drain();
    expect(engine.stats().bus.subscribers).toEqual([]);
  });

  it('listen ends when the loop breaks, and unsubscribes', async () => {
    const sends = Promise.all(Array.from({ length: 4 }, () => engine.send('Increment', { id: 'lb', by: 1 })));
    const versions: number[] = [];
    for await (const event of engine.listen('Incremented')) {
      versions.push(event.version);
      if (versions.length === 2) break;
    }
    await sends;
    expect(versions).toEqual([1, 2]);
    expect(engine.stats().bus.subscribers).toEqual([]);
    expect(() => engine.listen('Incremented', { count: 0 })).toThrow(/count must be an integer >= 1/);
  });

  it('waitFor resolves with the next match, or rejects TimeoutError / AbortError', async () => {
    const next = engine.waitFor('Spun');
    await engine.send('Increment', { id: 'w', by: 1 });
    await engine.send('Spin', { id: 'w', ms: 0 });
    expect(await next).toMatchObject({ name: 'Spun', aggregateId: 'w' });

    const timedOut = engine.waitFor('Never', { timeoutMs: 30 });
    await expect(timedOut).rejects.toBeInstanceOf(TimeoutError);
    await expect(timedOut).rejects.toThrow('waitFor(Never) saw no matching event within 30 ms');

    const controller = new AbortController();
    const aborted = engine.waitFor('Never', { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    expect(engine.stats().bus.subscribers).toEqual([]);
  });

  it('a subscription made inside a handler receives only events published after it', async () => {
    const later: number[] = [];
    let next: Promise<StoredEvent<Counter>> | undefined;
    const unsubscribe = engine.subscribe('Incremented', (event) => {
      if (event.version !== 1) return;
      next = engine.waitFor('Incremented');
      engine.subscribe('Incremented', (e) => void later.push(e.version), { name: 'joined-late' });
    });
    // Two events of one batch: the second was published with the first, before the handler subscribed.
    await Promise.all([engine.send('Increment', { id: 'j', by: 1 }), engine.send('Increment', { id: 'j', by: 1 })]);
    await engine.drain();
    unsubscribe();
    await engine.send('Increment', { id: 'j', by: 1 });
    await engine.drain();
    expect((await next!).version).toBe(3);
    expect(later).toEqual([3]);
  });

  it('drain waits for slow async handlers of everything sent before it', async () => {
    let finished = 0;
    engine.subscribe('Incremented', async () => {
      await sleep(5);
      finished++;
    });
    for (let i = 0; i < 10; i++) void engine.send('Increment', { id: `d${i}`, by: 1 });
    await engine.drain();
    expect(finished).toBe(10);
  });
});

/**
 * Sends 300 increments to distinct counters of a one-shard engine opened with
 * `maxPendingDeliveries: 50, maxBatch: 10` whose deliveries do not settle, and
 * checks that the shard stopped at about 50 commits.
 */
async function sendHeldBack(engine: Engine<typeof counterDomain>, prefix: string): Promise<Array<Promise<unknown>>> {
  const sends = Array.from({ length: 300 }, (_, i) => engine.send('Increment', { id: `${prefix}${i}`, by: 1 }));
  await sleep(300);
  const committedWhileHeld = engine.stats().shards[0]!.committed;
  expect(committedWhileHeld).toBeGreaterThanOrEqual(50);
  expect(committedWhileHeld).toBeLessThanOrEqual(70);
  return sends;
}

describe('backpressure from a slow subscriber', () => {
  it('holds shard batches while too many deliveries are pending, so memory stays bounded', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, maxPendingDeliveries: 50, maxBatch: 10 });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let peak = 0;
    const pending = () => engine.stats().bus.subscribers[0]!.pending;
    engine.subscribe('Incremented', async () => {
      peak = Math.max(peak, pending());
      await gate;
    });
    try {
      // One aggregate per command: the handler runs for all of them at once, and all wait on the gate.
      const sends = await sendHeldBack(engine, 'bp');
      release();
      await Promise.all(sends);
      await engine.drain();
      expect(engine.stats().shards[0]!.committed).toBe(300);
      expect(peak).toBeLessThanOrEqual(70);
    } finally {
      release();
      await engine.close();
    }
  });

  it('counts the events a listen() iterator has not read yet, so a slow reader holds back the shards too', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, maxPendingDeliveries: 50, maxBatch: 10 });
    const events = engine.listen('Incremented');
    try {
      const sends = await sendHeldBack(engine, 'unread');
      let read = 0;
      for await (const _event of events) if (++read === 300) break;
      await Promise.all(sends);
      expect(engine.stats().shards[0]!.committed).toBe(300);
      // Nothing unread is left counted: the shards run freely again.
      await engine.send('Increment', { id: 'after', by: 1 });
      await engine.drain();
    } finally {
      await engine.close();
    }
  });

  it('shows the events a listen() iterator has not read yet as pending in stats(), where whoever looks for the held-back shards finds them', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      const events = engine.listen('Incremented');
      for (const id of ['a', 'b', 'c']) await engine.send('Increment', { id, by: 1 });
      await engine.drain();
      const listener = () => engine.stats().bus.subscribers.find((s) => s.name === 'listen(Incremented)');
      expect(listener()).toMatchObject({ pending: 3, lag: [3] });
      await events.next();
      expect(listener()).toMatchObject({ pending: 2, lag: [2] });
      await events.return!();
      expect(listener()).toBeUndefined();
    } finally {
      await engine.close();
    }
  });

  it('does not let unread listen() events keep close() from finishing accepted commands', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, maxPendingDeliveries: 2 });
    const events = engine.listen('Incremented');
    await engine.send('Increment', { id: 'a', by: 1 });
    await engine.send('Increment', { id: 'b', by: 1 });
    // Two unread events hold the shard back; these two wait for it.
    const accepted = [engine.send('Increment', { id: 'c', by: 1 }), engine.send('Increment', { id: 'd', by: 1 })];
    await engine.close({ timeoutMs: 5_000 });
    expect((await Promise.all(accepted)).map((event) => event.aggregateId)).toEqual(['c', 'd']);
    // Events buffered before the close are still read.
    const read: string[] = [];
    for await (const event of events) read.push(event.aggregateId);
    expect(read).toEqual(['a', 'b', 'c', 'd']);
  });
});
