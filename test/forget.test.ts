import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { InvalidArgumentError, NotFoundError, ShardCrashedError, open, type Engine, type StoredEvent } from '../dist/src/index.js';
import { registerMetrics } from '../dist/src/prometheus.js';
import { orderDomain, type Order } from '../dist/examples/order/domain.js';
import { counterDomain, type Counter } from '../dist/test/fixtures/counter-domain.js';
import { collect } from './support/collect.js';
import { recordingLogger } from './support/recording-logger.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

/** Occurrences of `marker` in every file of the data directory (shard files and WALs included). */
function occurrences(dataDir: string, marker: string): Record<string, number> {
  const needle = Buffer.from(marker, 'utf8');
  const found: Record<string, number> = {};
  for (const file of readdirSync(dataDir)) {
    const bytes = readFileSync(join(dataDir, file));
    let count = 0;
    for (let at = bytes.indexOf(needle); at !== -1; at = bytes.indexOf(needle, at + 1)) count++;
    if (count > 0) found[file] = count;
  }
  return found;
}

/** Rejects when `promise` has not settled within `ms`, so a hang fails the test instead of timing it out. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The next `count` events a `listen()` iterator yields, each as `describe` puts it. */
async function nextEvents<T>(events: AsyncIterator<StoredEvent<Counter>>, count: number, describe: (event: StoredEvent<Counter>) => T): Promise<T[]> {
  const read: T[] = [];
  for (let i = 0; i < count; i++) read.push(describe((await withTimeout(events.next(), 5_000)).value as StoredEvent<Counter>));
  return read;
}

/** Ends a `listen()` iterator after checking that the engine counts nothing of it unread. */
async function endUnread(engine: Engine<typeof counterDomain>, events: AsyncIterator<StoredEvent<Counter>>): Promise<void> {
  expect(engine.stats().bus.subscribers.find((s) => s.name.startsWith('listen('))).toMatchObject({ pending: 0 });
  await events.return!();
}

type OrderEngine = Engine<typeof orderDomain>;

/** Runs `use` on a one-shard engine holding an order per ID (totals 1, 2, …), and closes it after. */
async function withOrders(ids: readonly string[], use: (engine: OrderEngine) => Promise<void>): Promise<void> {
  const engine = await open({ domain: orderDomain, dataDir: tempDir(), shards: 1 });
  try {
    for (const [i, id] of ids.entries()) await engine.send('CreateOrder', { id, total: i + 1, items: 1, shipTo: 'a' });
    await use(engine);
  } finally {
    // A close that hangs fails the test instead of timing it out.
    await engine.close({ timeoutMs: 5_000 });
  }
}

describe('forget (GDPR erasure)', () => {
  it('delivers a tombstone with the last state, then erases every byte of the aggregate from the files', async () => {
    const dataDir = tempDir();
    const marker = `marker-${Date.now()}-Ödön-Street-42`;
    const keep = 'keep-this-address-7';
    const engine = await open({ domain: orderDomain, dataDir, shards: 1 });
    const tombstones: StoredEvent<Order>[] = [];
    const subscribed: string[] = [];
    const everything: string[] = [];
    engine.onForget(async (tombstone) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      tombstones.push(tombstone);
    });
    engine.subscribe('asynx.forgotten', (event) => {
      subscribed.push(event.aggregateId);
    });
    engine.subscribe('*', (event) => {
      everything.push(event.name);
    });
    try {
      await engine.send('CreateOrder', { id: 'GONE-1', total: 10, items: 1, shipTo: marker });
      await engine.send('ConfirmOrder', { id: 'GONE-1' });
      await engine.send('ShipOrder', { id: 'GONE-1' }); // also writes a snapshot holding the marker
      await engine.send('CreateOrder', { id: 'KEEP-1', total: 10, items: 1, shipTo: keep });
      expect(occurrences(dataDir, marker)).not.toEqual({});

      const tombstone = await engine.forget('GONE-1');
      expect(tombstone).toMatchObject({ name: 'asynx.forgotten', aggregateId: 'GONE-1', version: 3, state: { status: 'Shipped', ship_to: marker } });
      // Handlers and subscribers had the tombstone before forget resolved.
      expect(tombstones.map((t) => t.id)).toEqual([tombstone.id]);
      expect(subscribed).toEqual(['GONE-1']);
      expect(everything).not.toContain('asynx.forgotten');

      await expect(engine.get('GONE-1')).rejects.toBeInstanceOf(NotFoundError);
      expect(await engine.exists('GONE-1')).toBe(false);
      const history: unknown[] = [];
      for await (const event of engine.history('GONE-1')) history.push(event);
      expect(history).toEqual([]);
      expect(occurrences(dataDir, marker)).toEqual({});
      // The ID itself goes too (its events, its snapshot, the number its stream had).
      expect(occurrences(dataDir, 'GONE-1')).toEqual({});
      expect(await engine.get('KEEP-1')).toMatchObject({ ship_to: keep });

      // The ID can be used again, from version 1.
      expect((await engine.send('CreateOrder', { id: 'GONE-1', total: 1, items: 1, shipTo: 'new' })).version).toBe(1);
    } finally {
      await engine.close();
    }
    expect(occurrences(dataDir, marker)).toEqual({});
    expect(occurrences(dataDir, keep)).toEqual({ 'shard-0.db': 1 });
    expect(existsSync(join(dataDir, 'shard-0.db'))).toBe(true);
  });

  it('runs in order with the aggregate’s other commands', async () => {
    const engine = await open({ domain: orderDomain, dataDir: tempDir(), shards: 2 });
    try {
      const before = engine.send('CreateOrder', { id: 'O-1', total: 5, items: 1, shipTo: 'a' });
      const forgotten = engine.forget('O-1');
      const after = engine.send('CreateOrder', { id: 'O-1', total: 7, items: 2, shipTo: 'b' });
      expect((await before).version).toBe(1);
      expect((await forgotten).state).toMatchObject({ total: 5 });
      expect(await after).toMatchObject({ version: 1, state: { total: 7 } });
    } finally {
      await engine.close();
    }
  });

  it('lets the tombstone’s handlers read and change other aggregates of its shard; the forgotten one’s operations wait for the erasure', async () => {
    await withOrders(['keep', 'gone'], async (engine) => {
      const seenByHandlers: unknown[] = [];
      engine.onForget(async () => {
        seenByHandlers.push((await engine.get('keep')).status);
        seenByHandlers.push((await engine.send('ConfirmOrder', { id: 'keep' })).version);
      });
      engine.subscribe('asynx.forgotten', async () => void seenByHandlers.push(await engine.exists('keep')));
      const forgotten = engine.forget('gone');
      // Queued after the forget: they see the aggregate erased, whenever the handlers finish.
      const readAfter = engine.exists('gone');
      const createdAfter = engine.send('CreateOrder', { id: 'gone', total: 3, items: 1, shipTo: 'c' });
      await expect(withTimeout(forgotten, 5_000)).resolves.toMatchObject({ aggregateId: 'gone', state: { total: 2 } });
      expect(seenByHandlers.sort()).toEqual([2, 'Pending', true].sort());
      expect(await readAfter).toBe(false);
      expect(await createdAfter).toMatchObject({ version: 1, state: { total: 3 } });
    });
  });

  it('keeps each aggregate’s order behind a forget sent while another forget of its shard waits for its handlers', async () => {
    await withOrders(['first', 'second'], async (engine) => {
      let releaseFirst!: () => void;
      const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
      let firstSeen!: () => void;
      const firstDelivered = new Promise<void>((resolve) => (firstSeen = resolve));
      engine.onForget(async (tombstone) => {
        if (tombstone.aggregateId !== 'first') return;
        firstSeen();
        await firstHeld;
      });
      const forgottenFirst = engine.forget('first');
      await firstDelivered;
      // All sent in this order while the first forget waits: each must see "second" erased.
      const forgottenSecond = engine.forget('second');
      const confirmed = engine.send('ConfirmOrder', { id: 'second' }).then(
        (event) => `committed v${event.version}`,
        (error: Error) => error.name,
      );
      const read = engine.get('second').then(
        () => 'found',
        (error: Error) => error.name,
      );
      const recreated = engine.send('CreateOrder', { id: 'second', total: 3, items: 1, shipTo: 'c' });
      await expect(withTimeout(forgottenSecond, 5_000)).resolves.toMatchObject({ aggregateId: 'second', version: 1 });
      expect(await confirmed).toBe('ValidationError');
      expect(await read).toBe('NotFoundError');
      expect(await recreated).toMatchObject({ version: 1, state: { total: 3 } });
      releaseFirst();
      await expect(withTimeout(forgottenFirst, 5_000)).resolves.toMatchObject({ aggregateId: 'first' });
    });
  });

  it('answers reads of an aggregate being forgotten at once, as gone: two forgotten together may read each other', async () => {
    await withOrders(['p', 'q'], async (engine) => {
      const seen: Record<string, unknown> = {};
      engine.onForget(async (tombstone) => {
        const partner = tombstone.aggregateId === 'p' ? 'q' : 'p';
        // Both tombstones are out before either handler reads.
        await new Promise((resolve) => setTimeout(resolve, 20));
        seen[tombstone.aggregateId] = [
          await engine.exists(partner),
          await engine.get(partner).catch((error: Error) => error.name),
          (await collect(engine.history(partner))).length,
        ];
      });
      const forgotten = Promise.all([engine.forget('p'), engine.forget('q')]);
      await expect(withTimeout(forgotten, 5_000)).resolves.toHaveLength(2);
      expect(seen).toEqual({ p: [false, 'NotFoundError', 0], q: [false, 'NotFoundError', 0] });
    });
  });

  it('lets an onForget handler forget another aggregate of its shard and wait for it', async () => {
    await withOrders(['parent', 'child'], async (engine) => {
      engine.onForget(async (tombstone) => {
        if (tombstone.aggregateId === 'parent') await engine.forget('child');
      });
      await expect(withTimeout(engine.forget('parent'), 5_000)).resolves.toMatchObject({ aggregateId: 'parent' });
      expect([await engine.exists('parent'), await engine.exists('child')]).toEqual([false, false]);
    });
  });

  it('rejects a missing aggregate with NotFoundError and a bad ID with InvalidArgumentError', async () => {
    const engine = await open({ domain: orderDomain, dataDir: tempDir(), shards: 1 });
    try {
      await expect(engine.forget('never-was')).rejects.toBeInstanceOf(NotFoundError);
      await expect(engine.forget('never-was')).rejects.toThrow('cannot forget Order never-was: it does not exist');
      await expect(engine.forget('')).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(() => engine.onForget('x' as never)).toThrow(InvalidArgumentError);
    } finally {
      await engine.close();
    }
  });

  it('erases even when an onForget handler fails, reporting the failure', async () => {
    const reported: unknown[] = [];
    const engine = await open({ domain: orderDomain, dataDir: tempDir(), shards: 1, onHandlerError: (error) => reported.push(error) });
    try {
      engine.onForget(() => {
        throw new Error('read model offline');
      });
      await engine.send('CreateOrder', { id: 'F-1', total: 5, items: 1, shipTo: 'a' });
      await engine.forget('F-1');
      expect(await engine.exists('F-1')).toBe(false);
      expect(reported).toEqual([new Error('read model offline')]);
    } finally {
      await engine.close();
    }
  });

  it('hands its tombstone to subscribers without counting it as a published event (stats().bus.published, asynx_events_published_total)', async () => {
    const engine = await open({ domain: orderDomain, dataDir: tempDir(), shards: 2 });
    const registry = new Registry();
    registerMetrics(engine, { registry });
    const seen: string[] = [];
    for (const pattern of ['Order*', 'asynx.forgotten']) engine.subscribe(pattern, (event) => void seen.push(event.name));
    try {
      for (let i = 1; i <= 5; i++) await engine.send('CreateOrder', { id: `P-${i}`, total: 5, items: 1, shipTo: 'a' });
      await engine.forget('P-1');
      await engine.drain();
      expect(seen).toEqual([...new Array(5).fill('OrderCreated'), 'asynx.forgotten']);
      expect(engine.stats().bus.published).toBe(5);
      expect(await registry.metrics()).toContain('\nasynx_events_published_total 5\n');
    } finally {
      await engine.close();
    }
  });
});

describe('forget with subscribers that have not reached the aggregate’s last events', () => {
  /** A promise and the function that resolves it. */
  function gate(): { opened: Promise<void>; open: () => void } {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { opened, open };
  }

  it('drops its events still waiting for a slow handler, live or durable: they never come after the tombstone, and the checkpoint passes them', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      const handlers = gate();
      let tombstoneOut = false;
      const afterTombstone: string[] = [];
      const slow = (subscription: string) => async (event: StoredEvent<Counter>) => {
        await handlers.opened;
        if (tombstoneOut) afterTombstone.push(`${subscription} ${event.aggregateId} v${event.version}`);
      };
      engine.subscribe('Incremented', slow('live'));
      engine.subscribe('Incremented', slow('durable'), { durable: 'read-model' });
      await engine.drain();
      engine.onForget(() => void (tombstoneOut = true));
      for (let i = 0; i < 3; i++) await engine.send('Increment', { id: 'gone', by: 1 });
      await engine.send('Increment', { id: 'kept', by: 1 });

      await withTimeout(engine.forget('gone'), 5_000);
      handlers.open();
      await engine.drain();
      // v1 of 'gone' was in the handlers when the tombstone went out; v2 and v3 were still waiting.
      expect(afterTombstone.sort()).toEqual(['durable gone v1', 'durable kept v1', 'live gone v1', 'live kept v1']);
      expect(engine.stats().bus.subscribers.find((s) => s.durable === 'read-model')).toMatchObject({ checkpoints: [4], lag: [0], pending: 0 });
    } finally {
      await engine.close({ timeoutMs: 5_000 });
    }
  });

  it('hands the events it set aside over after all when the erasure fails: they stay stored, so a durable handler still gets each once', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, logger: recordingLogger().logger });
    try {
      const handlers = gate();
      const seen: number[] = [];
      engine.subscribe(
        'Incremented',
        async (event) => {
          await handlers.opened;
          seen.push(event.version);
        },
        { durable: 'read-model' },
      );
      await engine.drain();
      for (let i = 0; i < 3; i++) await engine.send('Increment', { id: 'kept', by: 1 });
      await engine.send('Misbehave', { id: 'trap', how: 'exit-on-next-erase' });

      await expect(withTimeout(engine.forget('kept'), 5_000)).rejects.toBeInstanceOf(ShardCrashedError);
      handlers.open();
      await engine.drain();
      expect(seen).toEqual([1, 2, 3]);
      expect(await engine.exists('kept')).toBe(true);
      expect(engine.stats().bus.subscribers[0]).toMatchObject({ checkpoints: [4], lag: [0] });
    } finally {
      await engine.close({ timeoutMs: 5_000 });
    }
  });

  it('a listen() iterator does not yield the aggregate’s events it had not read when the tombstone went out, nor count them unread once erased', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      const events = engine.listen('Incremented');
      for (let i = 0; i < 3; i++) await engine.send('Increment', { id: 'gone', by: 1 });
      await engine.send('Increment', { id: 'kept', by: 1 });

      await withTimeout(engine.forget('gone'), 5_000);
      await engine.send('Increment', { id: 'gone', by: 10 });
      // The aggregate's next life comes as usual.
      expect(await nextEvents(events, 2, (e) => `${e.aggregateId} v${e.version} ${e.state.count}`)).toEqual(['kept v1 1', 'gone v1 10']);
      await endUnread(engine, events);
    } finally {
      await engine.close({ timeoutMs: 5_000 });
    }
  });

  it('a listen() iterator keeps the unread tombstone of each life when the aggregate is forgotten again: every erasure is told', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      const events = engine.listen(/^(?:Incremented|asynx\.forgotten)$/);
      await engine.send('Increment', { id: 'twice', by: 1 });
      await withTimeout(engine.forget('twice'), 5_000);
      await engine.send('Increment', { id: 'twice', by: 2 });
      await withTimeout(engine.forget('twice'), 5_000);
      await engine.send('Increment', { id: 'kept', by: 1 });
      // Both lives' events were unread when their tombstones went out: those are dropped, the tombstones are not.
      expect(await nextEvents(events, 3, (e) => `${e.name} ${e.aggregateId} v${e.version} ${e.state.count}`)).toEqual([
        'asynx.forgotten twice v1 1',
        'asynx.forgotten twice v1 2',
        'Incremented kept v1 1',
      ]);
      await endUnread(engine, events);
    } finally {
      await engine.close({ timeoutMs: 5_000 });
    }
  });

  it('a listen() iterator yields the events it set aside after all when the erasure fails: they stay stored', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, logger: recordingLogger().logger });
    try {
      const events = engine.listen('Incremented');
      for (let i = 0; i < 3; i++) await engine.send('Increment', { id: 'kept', by: 1 });
      await engine.send('Misbehave', { id: 'trap', how: 'exit-on-next-erase' });

      await expect(withTimeout(engine.forget('kept'), 5_000)).rejects.toBeInstanceOf(ShardCrashedError);
      expect(await nextEvents(events, 3, (e) => e.version)).toEqual([1, 2, 3]);
      await endUnread(engine, events);
    } finally {
      await engine.close({ timeoutMs: 5_000 });
    }
  });

  it('a durable subscription that reads the log while the erasure waits for onForget skips the aggregate’s events, and gets its next life', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      for (let i = 0; i < 3; i++) await engine.send('Increment', { id: 'gone', by: 1 });
      await engine.send('Increment', { id: 'kept', by: 1 });
      const cleanup = gate();
      const cleaning = gate();
      engine.onForget(async () => {
        cleaning.open();
        await cleanup.opened;
      });
      const forgotten = engine.forget('gone');
      // Held until the erasure: the aggregate's next life.
      const reborn = engine.send('Increment', { id: 'gone', by: 10 });
      await cleaning.opened;

      const seen: string[] = [];
      const keptSeen = gate();
      engine.subscribe(
        'Incremented',
        (event) => {
          seen.push(`${event.aggregateId} v${event.version} ${event.state.count}`);
          if (event.aggregateId === 'kept') keptSeen.open();
        },
        { durable: 'late-start' },
      );
      // Its catch-up reads the whole log (the last event is 'kept') while the forget still waits for the handler.
      await withTimeout(keptSeen.opened, 5_000);
      expect(seen).toEqual(['kept v1 1']);

      cleanup.open();
      await withTimeout(forgotten, 5_000);
      await reborn;
      await engine.drain();
      expect(seen).toEqual(['kept v1 1', 'gone v1 10']);
      expect(engine.stats().bus.subscribers[0]).toMatchObject({ checkpoints: [5], lag: [0] });
    } finally {
      await engine.close({ timeoutMs: 5_000 });
    }
  });
});

describe('forget while another process reads the shard file', () => {
  it('says so with StorageError when a reader keeps the WAL from being truncated, instead of claiming full erasure', async () => {
    const dataDir = tempDir();
    const engine = await open({ domain: orderDomain, dataDir, shards: 1 });
    const { default: Database } = await import('better-sqlite3');
    const reader = new Database(join(dataDir, 'shard-0.db'), { readonly: true });
    try {
      await engine.send('CreateOrder', { id: 'HELD-1', total: 10, items: 1, shipTo: 'held' });
      reader.prepare('BEGIN').run();
      reader.prepare('SELECT count(*) FROM events').get();
      const attempt = engine.forget('HELD-1');
      await expect(attempt).rejects.toThrow(/HELD-1 was deleted from .*shard-0\.db, but a reader kept the WAL busy/);
      reader.prepare('COMMIT').run();
      expect(await engine.exists('HELD-1')).toBe(false);
    } finally {
      reader.close();
      await engine.close();
    }
  });
});
