import { CommandFailedError, InvalidArgumentError, open, type Engine, type StoredEvent } from '../dist/src/index.js';
import { counterDomain, type Counter } from '../dist/test/fixtures/counter-domain.js';
import { brokenProfileV2 } from '../dist/test/fixtures/profile-v2-broken-domain.js';
import { profileV1 } from '../dist/test/fixtures/profile-v1-domain.js';
import { writeV1Profiles } from './support/profile-history.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

type Seen = Map<string, number[]>;

function recorder(): { seen: Seen; handler: (event: StoredEvent<Counter>) => void } {
  const seen: Seen = new Map();
  return { seen, handler: (event) => void seen.set(event.aggregateId, [...(seen.get(event.aggregateId) ?? []), event.version]) };
}

async function sendRounds(engine: Engine<typeof counterDomain>, aggregates: number, rounds: number, prefix = 'a'): Promise<void> {
  const sends: Promise<unknown>[] = [];
  for (let round = 0; round < rounds; round++) for (let a = 0; a < aggregates; a++) sends.push(engine.send('Increment', { id: `${prefix}${a}`, by: 1 }));
  await Promise.all(sends);
}

/** Rejects when `promise` has not settled within `ms`, so a hang fails the test instead of timing it out. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

type CounterEngine = Engine<typeof counterDomain>;

/** Writes a history through one engine, closes it, and runs `use` on a new engine over the same directory (closed after it). */
async function afterHistory(shards: number, write: (writer: CounterEngine) => Promise<unknown>, use: (engine: CounterEngine) => Promise<void>): Promise<void> {
  const dataDir = tempDir();
  const writer = await open({ domain: counterDomain, dataDir, shards });
  await write(writer);
  await writer.close();
  const engine = await open({ domain: counterDomain, dataDir, shards });
  try {
    await use(engine);
  } finally {
    // A close that hangs fails the test instead of timing it out.
    await withTimeout(engine.close(), 10_000);
  }
}

describe('durable subscriptions', () => {
  it('rebuild: from the beginning on a directory with history, sees all of it in per-aggregate order', async () => {
    await afterHistory(
      3,
      async (writer) => {
        await sendRounds(writer, 40, 25);
      },
      async (engine) => {
        const { seen, handler } = recorder();
        engine.subscribe('Incremented', handler, { durable: 'rebuild', from: 'beginning' });
        await engine.drain();
        expect(seen.size).toBe(40);
        for (const versions of seen.values()) expect(versions).toEqual(range(1, 25));
        const stats = engine.stats().bus.subscribers[0]!;
        expect(stats).toMatchObject({ durable: 'rebuild', delivered: 1000, failed: 0, lag: [0, 0, 0] });
        expect(stats.checkpoints!.reduce((a, b) => a + b, 0)).toBe(1000);
      },
    );
  });

  it('rebuild over several log pages, with an erased aggregate leaving gaps in the positions, sees every stored event once with its states', async () => {
    await afterHistory(
      1,
      async (writer) => {
        // 110 rounds over 50 counters: 5,500 events, more than two catch-up pages.
        await sendRounds(writer, 50, 60);
        await writer.forget('a7');
        await sendRounds(writer, 50, 50);
      },
      async (engine) => {
        const seen = new Map<string, StoredEvent<Counter>[]>();
        engine.subscribe('Incremented', (event: StoredEvent<Counter>) => void seen.set(event.aggregateId, [...(seen.get(event.aggregateId) ?? []), event]), {
          durable: 'pages',
          from: 'beginning',
        });
        await engine.drain();
        expect(seen.size).toBe(50);
        // a7's first 60 events were erased; its next 50 started a new aggregate at version 1.
        for (const [id, events] of seen) {
          const versions = id === 'a7' ? range(1, 50) : range(1, 110);
          expect(events.map((e) => e.version)).toEqual(versions);
          expect(events.map((e) => e.state.count)).toEqual(versions);
          expect(events.map((e) => e.previousState?.count)).toEqual([undefined, ...versions.slice(0, -1)]);
        }
        const positions = [...seen.values()].flat().map((e) => e.position);
        expect(new Set(positions).size).toBe(positions.length);
        expect(engine.stats().bus.subscribers[0]).toMatchObject({ delivered: 49 * 110 + 50, failed: 0, lag: [0] });
      },
    );
  });

  it('caught up with a log whose last events were erased, its checkpoint reaches the head and its lag returns to 0', async () => {
    await afterHistory(
      1,
      async (writer) => {
        await sendRounds(writer, 1, 5, 'keep');
        await sendRounds(writer, 1, 5, 'gone');
        await writer.forget('gone0');
      },
      async (engine) => {
        const { seen, handler } = recorder();
        engine.subscribe('Incremented', handler, { durable: 'after-erasure', from: 'beginning' });
        await engine.drain();
        expect([...seen.keys()]).toEqual(['keep0']);
        expect(engine.stats().bus.subscribers[0]).toMatchObject({ checkpoints: [10], lag: [0] });
      },
    );
  });

  it('unsubscribed during its catch-up, it stops there, and drain() and close() still finish', async () => {
    await afterHistory(
      2,
      async (writer) => {
        await sendRounds(writer, 50, 100);
      },
      async (engine) => {
        // Before its first page arrives.
        let early = 0;
        engine.subscribe('Incremented', () => void early++, { durable: 'early', from: 'beginning' })();
        // From its own handler, on the first event of the first page.
        let late = 0;
        const unsubscribe = engine.subscribe(
          'Incremented',
          () => {
            late++;
            unsubscribe();
          },
          { durable: 'late', from: 'beginning' },
        );
        await expect(withTimeout(engine.drain(), 5_000)).resolves.toBeUndefined();
        expect(early).toBe(0);
        expect(late).toBe(1);
        expect(engine.stats().bus.subscribers).toEqual([]);
      },
    );
  });

  it.each([
    ['a new event', 'new', undefined],
    ['a repeated commandId (its original stored after the history)', 'late', 'late-1'],
  ] as const)('sendAndWait of %s during its catch-up resolves only once its handler has handled the event', async (_what, id, commandId) => {
    await afterHistory(
      1,
      // More than the catch-up keeps waiting for its handler, so the catch-up stalls while the handler is held.
      async (writer) => {
        for (let round = 0; round < 3; round++) await sendRounds(writer, 1_000, 7);
        if (commandId !== undefined) await writer.send('Increment', { id, by: 1 }, { commandId });
      },
      async (engine) => {
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        const handled = new Set<string>();
        engine.subscribe(
          'Incremented',
          async (event) => {
            await held;
            handled.add(event.id);
          },
          { durable: 'held', from: 'beginning' },
        );
        let resolved = false;
        const waited = engine.sendAndWait('Increment', { id, by: 1 }, commandId === undefined ? undefined : { commandId }).then((event) => {
          resolved = true;
          return event;
        });
        // A read after the command is answered after it: the new event has reached the bus, or the repeat
        // was answered from the store, while the catch-up is still 21,000 events before either.
        await engine.get(id);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(resolved).toBe(false);
        release();
        const event = await withTimeout(waited, 10_000);
        expect(event.version).toBe(1);
        expect(handled.has(event.id)).toBe(true);
      },
    );
  });

  it('unsubscribed with events still queued for it, it keeps its checkpoint before them: the next start delivers them', async () => {
    const dataDir = tempDir();
    const first = await open({ domain: counterDomain, dataDir, shards: 1 });
    const handled: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reachedThird!: () => void;
    const third = new Promise<void>((resolve) => (reachedThird = resolve));
    const unsubscribe = first.subscribe(
      'Incremented',
      async (event: StoredEvent<Counter>) => {
        handled.push(event.version);
        if (event.version < 3) return;
        reachedThird();
        await gate;
      },
      { durable: 'slow', from: 'beginning' },
    );
    for (let i = 0; i < 10; i++) await first.send('Increment', { id: 'c', by: 1 });
    await third;
    unsubscribe();
    release();
    await first.close();
    expect(handled).toEqual([1, 2, 3]);

    const second = await open({ domain: counterDomain, dataDir, shards: 1 });
    try {
      const redelivered: number[] = [];
      second.subscribe('Incremented', (event: StoredEvent<Counter>) => void redelivered.push(event.version), { durable: 'slow', from: 'beginning' });
      await second.drain();
      // 3 was in its handler when the subscriber left: it comes again (at least once), then everything after it.
      expect(redelivered).toEqual(range(3, 10));
    } finally {
      await second.close();
    }
  });

  it('a worker crash during its catch-up costs a repeated read, not the subscription: every event still arrives', async () => {
    await afterHistory(
      1,
      async (writer) => {
        await sendRounds(writer, 10, 500);
      },
      async (engine) => {
        const { seen, handler } = recorder();
        engine.subscribe('Incremented', handler, { durable: 'survivor', from: 'beginning' });
        // Queued right behind the catch-up's first read: the worker dies under it.
        await expect(engine.send('Misbehave', { id: 'crash', how: 'exit-worker' })).rejects.toMatchObject({ code: 'SHARD_CRASHED' });
        await engine.drain();
        expect(engine.stats().shards[0]!.crashes).toBe(1);
        expect(seen.size).toBe(10);
        for (const versions of seen.values()) expect(versions).toEqual(range(1, 500));
      },
    );
  });

  it('switches from catch-up to live without a gap, a duplicate or a reorder while commands keep coming', async () => {
    const dataDir = tempDir();
    const engine = await open({ domain: counterDomain, dataDir, shards: 2 });
    try {
      await sendRounds(engine, 20, 30);
      const { seen, handler } = recorder();
      const during = sendRounds(engine, 20, 30); // versions 31..60 race the catch-up
      engine.subscribe('Incremented', handler, { durable: 'switch' });
      await during;
      await engine.drain();
      for (let a = 0; a < 20; a++) expect(seen.get(`a${a}`)).toEqual(range(1, 60));
    } finally {
      await engine.close();
    }
  });

  it('resumes after a restart from its saved checkpoint; from "now" skips the history', async () => {
    const dataDir = tempDir();
    const first = await open({ domain: counterDomain, dataDir, shards: 2 });
    const before = recorder();
    first.subscribe('Incremented', before.handler, { durable: 'resume' });
    await sendRounds(first, 10, 5);
    await first.drain();
    await first.close();
    expect([...before.seen.values()].flat()).toHaveLength(50);

    const second = await open({ domain: counterDomain, dataDir, shards: 2 });
    try {
      const after = recorder();
      const fresh = recorder();
      second.subscribe('Incremented', after.handler, { durable: 'resume' });
      second.subscribe('Incremented', fresh.handler, { durable: 'late-joiner', from: 'now' });
      await second.drain();
      await sendRounds(second, 10, 2);
      await second.drain();
      for (let a = 0; a < 10; a++) {
        expect(after.seen.get(`a${a}`)).toEqual([6, 7]);
        expect(fresh.seen.get(`a${a}`)).toEqual([6, 7]);
      }
    } finally {
      await second.close();
    }
  });

  it('advances the checkpoint only past handled events: a handler still running holds it back', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    try {
      engine.subscribe(
        'Incremented',
        async (event) => {
          if (event.aggregateId === 'slow') await gate;
        },
        { durable: 'gated' },
      );
      await engine.drain();
      await engine.send('Increment', { id: 'fast', by: 1 }); // position 1
      await engine.send('Increment', { id: 'slow', by: 1 }); // position 2, held by the gate
      await engine.send('Increment', { id: 'fast', by: 1 }); // position 3
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(engine.stats().bus.subscribers[0]!.checkpoints).toEqual([1]);
      expect(engine.stats().bus.subscribers[0]!.lag).toEqual([2]);
      release();
      await engine.drain();
      expect(engine.stats().bus.subscribers[0]!.checkpoints).toEqual([3]);
    } finally {
      release();
      await engine.close();
    }
  });

  it('rejects a bad name, a second active subscription with the same name, and a bad start', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      expect(() => engine.subscribe('X', () => undefined, { durable: '' })).toThrow(InvalidArgumentError);
      expect(() => engine.subscribe('X', () => undefined, { durable: 'p', from: 'yesterday' as never })).toThrow(/from must be 'beginning' or 'now'/);
      const unsubscribe = engine.subscribe('X', () => undefined, { durable: 'p' });
      expect(() => engine.subscribe('X', () => undefined, { durable: 'p' })).toThrow(/durable subscription p is already active/);
      unsubscribe();
      engine.subscribe('X', () => undefined, { durable: 'p' });
      await engine.drain();
    } finally {
      await engine.close();
    }
  });
});

describe('a durable catch-up that fails', () => {
  it('rejects drain() and close() with the cause, and close still releases the directory', async () => {
    const dataDir = await writeV1Profiles(tempDir(), ['p']);

    const broken = await open({ domain: brokenProfileV2, dataDir, shards: 1 });
    broken.subscribe('ProfileSet', () => undefined, { durable: 'directory' });
    await expect(broken.drain()).rejects.toThrow(/upcaster from schema version 1 failed on ProfileSet v1 of p: cannot read the old shape/);
    await expect(broken.close()).rejects.toBeInstanceOf(CommandFailedError);

    const again = await open({ domain: profileV1, dataDir, shards: 1 });
    expect(await again.get('p')).toEqual({ name: 'P', mail: 'p@example.org' });
    await again.close();
  });
});

describe('a durable subscription on a full shard queue', () => {
  it("reads its checkpoint and the log even when onFull: 'reject' refuses sends, so it does not stop for good", async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, queueDepth: 2, onFull: 'reject' });
    try {
      for (let round = 0; round < 2; round++) for (const id of ['a0', 'a1', 'a2']) await engine.send('Increment', { id, by: 1 });
      const { seen, handler } = recorder();
      // Two sends fill the queue before the subscription's first read is queued in the same turn.
      const sends = [engine.send('Increment', { id: 'a0', by: 1 }), engine.send('Increment', { id: 'a1', by: 1 })];
      engine.subscribe('*', handler, { durable: 'full-queue', from: 'beginning' });
      await Promise.all(sends);
      await withTimeout(engine.drain(), 10_000);
      expect(seen).toEqual(new Map([['a0', [1, 2, 3]], ['a1', [1, 2, 3]], ['a2', [1, 2]]]));
      await engine.send('Increment', { id: 'a2', by: 1 });
      await withTimeout(engine.drain(), 10_000);
      expect(seen.get('a2')).toEqual([1, 2, 3]);
    } finally {
      await engine.close();
    }
  });
});
