import { getEventListeners } from 'node:events';
import { AbortError, QueueFullError, ShuttingDownError, open } from '../dist/src/index.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { occupyShard } from './support/busy-shard.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

describe('backpressure', () => {
  it('rejects with QueueFullError at once when the shard queue is full', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, queueDepth: 3 });
    try {
      const { busy } = await occupyShard(engine, 200);
      const queued = [1, 2, 3].map(() => engine.send('Increment', { id: 'q', by: 1 }));
      const refused = engine.send('Increment', { id: 'q', by: 1 });
      await expect(refused).rejects.toBeInstanceOf(QueueFullError);
      await expect(refused).rejects.toMatchObject({ code: 'QUEUE_FULL', details: { shard: 0, queueDepth: 3 } });
      await busy;
      expect((await Promise.all(queued)).map((e) => e.version)).toEqual([1, 2, 3]);
      expect(await engine.get('q')).toMatchObject({ count: 3 });
    } finally {
      await engine.close();
    }
  });

  it("waits for room with onFull: 'wait', in arrival order", async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, queueDepth: 2, onFull: 'wait' });
    try {
      const { busy } = await occupyShard(engine, 100, 30);
      const sends = Array.from({ length: 10 }, () => engine.send('Increment', { id: 'w', by: 1 }));
      expect(engine.stats().shards[0]!.queueDepth).toBeLessThanOrEqual(2);
      await busy;
      expect((await Promise.all(sends)).map((e) => e.version)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    } finally {
      await engine.close();
    }
  });
});

describe('batches of large payloads', () => {
  it('are cut at 32 MiB of payload JSON, so a burst of the largest payloads all commit', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      // 40 payloads of ~1 MiB (the default maxPayloadBytes) would be one batch of 40 MiB under maxBatch alone.
      const note = 'n'.repeat(1_000_000);
      const events = await Promise.all(Array.from({ length: 40 }, (_, i) => engine.send('Increment', { id: `big-${i}`, by: 1, note } as never)));
      expect(events).toHaveLength(40);
      const stats = engine.stats().shards[0]!;
      expect(stats).toMatchObject({ committed: 40, crashes: 0 });
      expect(stats.maxBatchSize).toBeLessThanOrEqual(33);
    } finally {
      await engine.close();
    }
  });
});

describe('cancellation', () => {
  it('lets one signal serve any number of sends and waits: one listener on it, no warning, each settled call stops listening', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, queueDepth: 20, onFull: 'wait' });
    const warnings: Error[] = [];
    const onWarning = (warning: Error): number => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const shared = new AbortController();
      const { signal } = shared;
      await engine.send('Increment', { id: 'done', by: 1 }, { signal });
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);

      const { busy } = await occupyShard(engine, 300);
      // 20 fill the queue, 30 wait for room, 5 wait for events: all on the same signal.
      const sends = Array.from({ length: 50 }, (_, i) => engine.send('Increment', { id: `s${i}`, by: 1 }, { signal }).catch((e: unknown) => e));
      const waits = Array.from({ length: 5 }, () => engine.waitFor('Nothing', { signal }).catch((e: unknown) => e));
      expect(getEventListeners(signal, 'abort')).toHaveLength(1);
      shared.abort();
      const outcomes = [...(await Promise.all(sends)), ...(await Promise.all(waits))];
      expect(outcomes).toEqual(outcomes.map(() => expect.any(AbortError)));
      expect(outcomes.slice(0, 50)).toEqual(outcomes.slice(0, 50).map(() => expect.objectContaining({ executed: false })));
      await busy;
      expect(await Promise.all(Array.from({ length: 50 }, (_, i) => engine.exists(`s${i}`)))).toEqual(Array(50).fill(false));

      const again = new AbortController();
      const kept = await Promise.all(Array.from({ length: 30 }, (_, i) => engine.send('Increment', { id: `k${i}`, by: 1 }, { signal: again.signal })));
      expect(kept).toHaveLength(30);
      expect(getEventListeners(again.signal, 'abort')).toHaveLength(0);
      await expect(engine.waitFor('has space', { signal: again.signal })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(getEventListeners(again.signal, 'abort')).toHaveLength(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await engine.close();
    }
  });

  it("with onFull: 'wait', lets a send waiting for room in before a later send, when an abort makes the room", async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, queueDepth: 1, onFull: 'wait' });
    try {
      const { busy } = await occupyShard(engine, 200);
      const controller = new AbortController();
      const cancelled = engine.send('Increment', { id: 'o', by: 1 }, { signal: controller.signal });
      const waiting = engine.send('Increment', { id: 'o', by: 2 });
      controller.abort();
      const later = engine.send('Increment', { id: 'o', by: 3 });
      await expect(cancelled).rejects.toMatchObject({ code: 'ABORTED', executed: false });
      await busy;
      expect([(await waiting).version, (await later).version]).toEqual([1, 2]);
      expect((await engine.get('o')).log).toEqual([2, 3]);
    } finally {
      await engine.close();
    }
  });

  it('leaves commands aborted while queued out of the latency figures of stats(): they never reached the shard', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      const { busy } = await occupyShard(engine, 300);
      const controllers = Array.from({ length: 50 }, () => new AbortController());
      const aborted = controllers.map((c, i) => engine.send('Increment', { id: `q${i}`, by: 1 }, { signal: c.signal }).catch((e: unknown) => e));
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const c of controllers) c.abort();
      expect(await Promise.all(aborted)).toEqual(controllers.map(() => expect.objectContaining({ executed: false })));
      await busy;
      expect(engine.stats().shards[0]!.latency.samples).toBe(1);
    } finally {
      await engine.close();
    }
  });

  it('removes a command aborted while queued: never executed, AbortError with executed false', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      const { busy } = await occupyShard(engine, 150, 30);
      const controller = new AbortController();
      const cancelled = engine.send('Increment', { id: 'a', by: 1 }, { signal: controller.signal });
      const kept = engine.send('Increment', { id: 'a', by: 2 });
      controller.abort();
      await expect(cancelled).rejects.toBeInstanceOf(AbortError);
      await expect(cancelled).rejects.toMatchObject({ code: 'ABORTED', executed: false });
      await busy;
      expect(await kept).toMatchObject({ version: 1, state: { count: 2 } });
      expect(await engine.get('a')).toEqual({ id: 'a', count: 2, log: [2] });
    } finally {
      await engine.close();
    }
  });

  it("with onFull: 'wait', rejects at once when aborted while waiting for queue room, and gives the room to the next waiter", async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, queueDepth: 1, onFull: 'wait' });
    try {
      const { busy } = await occupyShard(engine, 600, 30);
      const queued = engine.send('Increment', { id: 'queued', by: 1 });
      const controller = new AbortController();
      const cancelled = engine.send('Increment', { id: 'cancelled', by: 1 }, { signal: controller.signal });
      const next = engine.send('Increment', { id: 'next', by: 1 });
      const abortedAt = performance.now();
      controller.abort();
      await expect(cancelled).rejects.toBeInstanceOf(AbortError);
      await expect(cancelled).rejects.toMatchObject({ code: 'ABORTED', executed: false });
      // Well before the spin ends and the queue has room.
      expect(performance.now() - abortedAt).toBeLessThan(300);
      await busy;
      expect((await queued).version).toBe(1);
      expect((await next).version).toBe(1);
      expect(await engine.exists('cancelled')).toBe(false);
    } finally {
      await engine.close();
    }
  });

  it("reports executed 'unknown' when aborted after dispatch; re-sending with the commandId tells the outcome", async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      const controller = new AbortController();
      const running = engine.send('Spin', { id: 'u', ms: 100 }, { signal: controller.signal, commandId: 'spin-1' });
      await new Promise((resolve) => setTimeout(resolve, 30));
      controller.abort();
      await expect(running).rejects.toMatchObject({ code: 'ABORTED', executed: 'unknown' });
      const resolved = await engine.send('Spin', { id: 'u', ms: 100 }, { commandId: 'spin-1' });
      expect(resolved.version).toBe(1);
      expect(await engine.get('u')).toBeDefined();
    } finally {
      await engine.close();
    }
  });

  it("after thousands of queued sends are aborted, counts only the live ones, admits waiting and later sends in order, and runs the rest in order", async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, queueDepth: 2_000, onFull: 'wait' });
    try {
      await engine.send('Increment', { id: 'held', by: 1 });
      // Until its onForget handler returns, the forget holds every later command of 'held' in the queue.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let delivered!: () => void;
      const tombstoneDelivered = new Promise<void>((resolve) => (delivered = resolve));
      engine.onForget(async () => {
        delivered();
        await gate;
      });
      const forgotten = engine.forget('held');
      await tombstoneDelivered;
      const queueDepth = (): number => engine.stats().shards[0]!.queueDepth;

      const controllers = Array.from({ length: 2_000 }, () => new AbortController());
      const held = controllers.map((controller, i) => engine.send('Increment', { id: 'held', by: i + 1 }, { signal: controller.signal }));
      // The queue is full: these wait for room, and get it in the order they came.
      const waiting = Array.from({ length: 5 }, () => engine.send('Increment', { id: 'other', by: 1 }));
      expect(queueDepth()).toBe(2_000);
      for (const [i, controller] of controllers.entries()) if (i % 4 !== 0) controller.abort();
      // 500 live held sends, and the 5 waiting ones, let in by the first aborts that made room.
      expect(queueDepth()).toBe(505);
      expect((await Promise.all(waiting)).map((event) => event.version)).toEqual([1, 2, 3, 4, 5]);

      const later = Array.from({ length: 1_000 }, (_, i) => engine.send('Increment', { id: 'held', by: 2_001 + i }));
      expect(queueDepth()).toBe(1_500);
      release();
      await forgotten;
      const kept = await Promise.all([...held.filter((_, i) => i % 4 === 0), ...later]);
      // Erased, then rebuilt by what was sent after the forget, in the order it was sent.
      expect(kept.map((event) => event.version)).toEqual(Array.from({ length: 1_500 }, (_, i) => i + 1));
      const expectedLog = [...Array.from({ length: 500 }, (_, i) => 4 * i + 1), ...Array.from({ length: 1_000 }, (_, i) => 2_001 + i)];
      expect((await engine.get('held')).log).toEqual(expectedLog);
      const aborted = await Promise.allSettled(held.filter((_, i) => i % 4 !== 0));
      expect(aborted.every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof AbortError && outcome.reason.executed === false)).toBe(true);
      await engine.drain();
      expect(engine.stats().shards[0]).toMatchObject({ queueDepth: 0, inFlight: 0 });
    } finally {
      await engine.close();
    }
  });

  it('is idle once every queued send has been aborted', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      const controllers = Array.from({ length: 3_000 }, () => new AbortController());
      // Sent and aborted in one turn: none of them has left the queue yet.
      const sends = controllers.map((controller, i) => engine.send('Increment', { id: `a-${i % 7}`, by: 1 }, { signal: controller.signal }));
      for (const controller of controllers) controller.abort();
      expect(engine.stats().shards[0]!.queueDepth).toBe(0);
      await engine.drain();
      const outcomes = await Promise.allSettled(sends);
      expect(outcomes.every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof AbortError && outcome.reason.executed === false)).toBe(true);
      expect(await engine.exists('a-0')).toBe(false);
      expect(engine.stats().shards[0]).toMatchObject({ queueDepth: 0, inFlight: 0, committed: 0 });
    } finally {
      await engine.close();
    }
  });

  it('rejects at once with a signal that is already aborted', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      await expect(engine.send('Increment', { id: 'x', by: 1 }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ executed: false });
      expect(await engine.exists('x')).toBe(false);
    } finally {
      await engine.close();
    }
  });
});

describe('close with a timeout, and destroy', () => {
  it('rejects what is left with ShuttingDownError instead of hanging', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    const running = engine.send('Spin', { id: 's', ms: 400 }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const queued = engine.send('Increment', { id: 's', by: 1 }).catch((error: unknown) => error);
    await engine.close({ timeoutMs: 50 });
    expect(await queued).toBeInstanceOf(ShuttingDownError);
    expect(await queued).toMatchObject({ details: { executed: false } });
    expect(await running).toMatchObject({
      code: 'SHUTTING_DOWN',
      message: 'shard 0 stopped by close() after its 50 ms timeout before this operation finished',
      details: { executed: 'unknown' },
    });
  });

  it('destroy stops at once', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 2 });
    const running = engine.send('Spin', { id: 'd', ms: 300 }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await engine.destroy();
    expect(await running).toBeInstanceOf(ShuttingDownError);
    await expect(engine.send('Increment', { id: 'd', by: 1 })).rejects.toBeInstanceOf(ShuttingDownError);
  });

  it('a close() called while destroy() is stopping the workers resolves only once the directory is free again', async () => {
    const dataDir = tempDir();
    const engine = await open({ domain: counterDomain, dataDir, shards: 2 });
    await engine.send('Increment', { id: 'd', by: 1 });
    const destroyed = engine.destroy();
    await engine.close();
    const next = await open({ domain: counterDomain, dataDir, shards: 2 });
    try {
      await expect(next.get('d')).resolves.toMatchObject({ count: 1 });
    } finally {
      await next.close();
      await destroyed;
    }
  });
});
