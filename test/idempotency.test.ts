import { IdempotencyConflictError, open } from '../dist/src/index.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

async function versions(engine: { history(id: string): AsyncIterable<{ version: number }> }, id: string): Promise<number[]> {
  const found: number[] = [];
  for await (const event of engine.history(id)) found.push(event.version);
  return found;
}

describe('idempotent commands (commandId)', () => {
  it('returns the original event for a re-sent commandId and writes nothing, also after a restart', async () => {
    const dataDir = tempDir();
    const first = await open({ domain: counterDomain, dataDir, shards: 2 });
    const original = await first.send('Increment', { id: 'pay', by: 5 }, { commandId: 'cmd-1', metadata: { user: 'u1' } });
    await first.send('Increment', { id: 'pay', by: 1 });
    const again = await first.send('Increment', { id: 'pay', by: 5 }, { commandId: 'cmd-1', metadata: { user: 'u1' } });
    expect(again).toEqual(original);
    expect(await versions(first, 'pay')).toEqual([1, 2]);
    await first.close();

    const second = await open({ domain: counterDomain, dataDir, shards: 2 });
    try {
      // Key order in the payload does not matter.
      const afterRestart = await second.send('Increment', { by: 5, id: 'pay' }, { commandId: 'cmd-1' });
      expect(afterRestart).toEqual(original);
      expect(afterRestart).toMatchObject({ version: 1, commandId: 'cmd-1', metadata: { user: 'u1' }, state: { count: 5 } });
      expect(await versions(second, 'pay')).toEqual([1, 2]);
      expect(await second.get('pay')).toMatchObject({ count: 6 });
    } finally {
      await second.close();
    }
  });

  it('resolves duplicates sent concurrently (in one batch) to one event', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      const events = await Promise.all(Array.from({ length: 5 }, () => engine.send('Increment', { id: 'dup', by: 2 }, { commandId: 'same' })));
      expect(new Set(events.map((e) => e.id)).size).toBe(1);
      expect(await versions(engine, 'dup')).toEqual([1]);
    } finally {
      await engine.close();
    }
  });

  it('resolves sendAndWait of a duplicate sent in the same batch only after the original event was handled', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      const handled = new Set<string>();
      engine.subscribe('Incremented', async (event) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        handled.add(event.aggregateId);
      });
      // Several rounds: whether the batch's reply or its events reach the main thread first varies.
      for (let round = 0; round < 5; round++) {
        const id = `saw-${round}`;
        const seenOnResolve = await Promise.all(
          [1, 2, 3].map(() => engine.sendAndWait('Increment', { id, by: 1 }, { commandId: 'once' }).then((event) => [event.version, handled.has(id)])),
        );
        expect(seenOnResolve).toEqual([
          [1, true],
          [1, true],
          [1, true],
        ]);
      }
    } finally {
      await engine.close();
    }
  });

  it('rejects the same commandId with another payload or type, writing nothing', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      await engine.send('Increment', { id: 'c', by: 1 }, { commandId: 'k' });
      const conflict = engine.send('Increment', { id: 'c', by: 2 }, { commandId: 'k' });
      await expect(conflict).rejects.toBeInstanceOf(IdempotencyConflictError);
      await expect(conflict).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', details: { aggregateId: 'c', commandId: 'k', version: 1 } });
      await expect(engine.send('Spin', { id: 'c', ms: 0 }, { commandId: 'k' })).rejects.toThrow(/commandId k was already used on c/);
      expect(await versions(engine, 'c')).toEqual([1]);
      // The same commandId on another aggregate is a different command.
      expect((await engine.send('Increment', { id: 'd', by: 2 }, { commandId: 'k' })).version).toBe(1);
    } finally {
      await engine.close();
    }
  });

  it('does not keep a rejected command’s id: fixing the payload and re-sending works', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      await expect(engine.send('Increment', { id: 'r', by: -1 }, { commandId: 'fix' })).rejects.toThrow(/positive integer/);
      expect((await engine.send('Increment', { id: 'r', by: 1 }, { commandId: 'fix' })).version).toBe(1);
    } finally {
      await engine.close();
    }
  });
});
