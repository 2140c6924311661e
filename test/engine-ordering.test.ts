import { open, shardFor, type StoredEvent } from '../dist/src/index.js';
import { counterDomain, type Counter } from '../dist/test/fixtures/counter-domain.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

describe('routing and ordering through real shard workers', () => {
  it('runs 1,000 concurrent sends to one aggregate as versions 1..1000, none rejected', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 2 });
    try {
      // Each send carries its own arrival number, so the stored log shows the execution order.
      const sends = Array.from({ length: 1000 }, (_, i) => engine.send('Increment', { id: 'hot', by: i + 1 }));
      const events = await Promise.all(sends);
      const arrival = Array.from({ length: 1000 }, (_, i) => i + 1);
      expect(events.map((e) => e.version)).toEqual(arrival);
      expect(events.map((e) => e.state.log[e.state.log.length - 1])).toEqual(arrival);
      expect(await engine.get('hot')).toMatchObject({ count: 500500, log: arrival });
      const stats = engine.stats();
      expect(stats.shards.reduce((n, s) => n + s.committed, 0)).toBe(1000);
      // Group commit: 1,000 commands must not take anywhere near 1,000 transactions.
      expect(stats.shards.reduce((n, s) => n + s.batches, 0)).toBeLessThan(100);
    } finally {
      await engine.close();
    }
  });

  it('executes each aggregate’s commands in arrival order at 4 shards, with validation running while batches interleave', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 4 });
    try {
      const sends: Array<Promise<unknown>> = [];
      for (let n = 1; n <= 60; n++) {
        for (let a = 0; a < 40; a++) {
          sends.push(engine.send('Increment', { id: `o${a}`, by: n }));
          if (n % 20 === 0 && a % 10 === 0) sends.push(engine.send('Spin', { id: `o${a}`, ms: 2 }));
        }
      }
      await Promise.all(sends);
      const expected = Array.from({ length: 60 }, (_, i) => i + 1);
      for (let a = 0; a < 40; a++) expect((await engine.get(`o${a}`)).log).toEqual(expected);
    } finally {
      await engine.close();
    }
  });

  it('spreads aggregates over every shard, each event stamped with the shard the router picks', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 4 });
    try {
      const events = await Promise.all(Array.from({ length: 200 }, (_, i) => engine.send('Increment', { id: `c-${i}`, by: 1 })));
      for (const event of events) expect(event.shard).toBe(shardFor(event.aggregateId, 4));
      const perShard = engine.stats().shards.map((s) => s.committed);
      expect(perShard).toHaveLength(4);
      for (const committed of perShard) expect(committed).toBeGreaterThan(20);
    } finally {
      await engine.close();
    }
  });

  it('delivers each aggregate’s events to every subscriber in version order, awaiting async handlers', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 3 });
    const seenSync = new Map<string, number[]>();
    const seenAsync = new Map<string, number[]>();
    const running = new Set<string>();
    let overlapped = false;
    engine.subscribe('Incremented', (event) => {
      seenSync.set(event.aggregateId, [...(seenSync.get(event.aggregateId) ?? []), event.version]);
    });
    engine.subscribe('Incr*', async (event: StoredEvent<Counter>) => {
      if (running.has(event.aggregateId)) overlapped = true;
      running.add(event.aggregateId);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
      seenAsync.set(event.aggregateId, [...(seenAsync.get(event.aggregateId) ?? []), event.version]);
      running.delete(event.aggregateId);
    });
    try {
      const sends: Promise<unknown>[] = [];
      for (let round = 0; round < 20; round++) for (let a = 0; a < 30; a++) sends.push(engine.send('Increment', { id: `agg-${a}`, by: 1 }));
      await Promise.all(sends);
      await engine.drain();
      const inOrder = Array.from({ length: 20 }, (_, i) => i + 1);
      expect(seenSync.size).toBe(30);
      expect(seenAsync.size).toBe(30);
      for (const versions of [...seenSync.values(), ...seenAsync.values()]) expect(versions).toEqual(inOrder);
      expect(overlapped).toBe(false);
    } finally {
      await engine.close();
    }
  });

  it('serves get and exists in order with the commands queued before them', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 2 });
    try {
      const before = engine.exists('seq');
      const sends = [engine.send('Increment', { id: 'seq', by: 2 }), engine.send('Increment', { id: 'seq', by: 3 })];
      const middle = engine.get('seq');
      sends.push(engine.send('Increment', { id: 'seq', by: 5 }));
      expect(await before).toBe(false);
      expect(await middle).toEqual({ id: 'seq', count: 5, log: [2, 3] });
      await Promise.all(sends);
      expect(await engine.exists('seq')).toBe(true);
      expect(await engine.get('seq')).toEqual({ id: 'seq', count: 10, log: [2, 3, 5] });
    } finally {
      await engine.close();
    }
  });
});
