import Database from 'better-sqlite3';
import { join } from 'node:path';
import { CommandFailedError, open, type StoredEvent } from '../dist/src/index.js';
import { applyInPlace, applyShared } from '../dist/src/shard/patching.js';
import type { PatchOperation } from '../dist/src/domain.js';
import { oddValuesDomain } from '../dist/test/fixtures/odd-values-domain.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

function reopen(dataDir: string): ReturnType<typeof open<typeof oddValuesDomain>> {
  return open({ domain: oddValuesDomain, dataDir, shards: 1 });
}

/** Replaces the stored patch of one event, as someone editing the shard file could. */
function tamper(dataDir: string, aggregateId: string, version: number, patch: readonly PatchOperation[]): void {
  const db = new Database(join(dataDir, 'shard-0.db'));
  db.prepare('UPDATE events SET patch = ? WHERE aggregate_id = ? AND version = ?').run(JSON.stringify(patch), aggregateId, version);
  db.close();
}

function prototypesUntouched(): void {
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
  expect(Object.getOwnPropertyNames(Function.prototype)).not.toContain('polluted');
  expect(Object.prototype.constructor).toBe(Object);
}

describe('states with constructor and prototype keys', () => {
  it('replay after a restart: read, changed and forgotten like any other', async () => {
    const dataDir = tempDir();
    let engine = await reopen(dataDir);
    await engine.send('Put', { id: 'x', state: { constructor: { prototype: 'a' } } });
    await engine.send('Put', { id: 'x', state: { constructor: { prototype: 'b' }, prototype: { constructor: 1 } } });
    await engine.close();

    engine = await reopen(dataDir);
    try {
      expect(await engine.get('x')).toEqual({ constructor: { prototype: 'b' }, prototype: { constructor: 1 } });
      const states: unknown[] = [];
      for await (const event of engine.history('x')) states.push((event as StoredEvent).state);
      expect(states).toEqual([{ constructor: { prototype: 'a' } }, { constructor: { prototype: 'b' }, prototype: { constructor: 1 } }]);
      expect((await engine.send('Put', { id: 'x', state: { constructor: { prototype: 'c' } } })).version).toBe(3);
      expect((await engine.forget('x')).version).toBe(3);
      expect(await engine.exists('x')).toBe(false);
    } finally {
      await engine.close();
    }
  });

  it.each([
    ['through an inherited constructor', { op: 'add', path: '/constructor/prototype/polluted', value: 'yes' }],
    ['through __proto__', { op: 'add', path: '/__proto__/polluted', value: 'yes' }],
    ['onto __proto__', { op: 'replace', path: '/__proto__', value: { polluted: 'yes' } }],
  ] as const)('refuse a tampered patch reaching a prototype %s, naming the aggregate and version', async (_how, op) => {
    const dataDir = tempDir();
    let engine = await reopen(dataDir);
    await engine.send('Put', { id: 'x', state: { n: 1 } });
    await engine.send('Put', { id: 'x', state: { n: 2 } });
    await engine.close();
    tamper(dataDir, 'x', 2, [op]);

    engine = await reopen(dataDir);
    try {
      const read = engine.get('x');
      await expect(read).rejects.toBeInstanceOf(CommandFailedError);
      await expect(read).rejects.toMatchObject({
        message: expect.stringMatching(/^Odd x cannot be rebuilt: the stored patch of v2 does not apply to the state before it: /),
        details: { aggregateId: 'x', version: 2 },
      });
      const history = (async () => {
        for await (const event of engine.history('x')) void event;
      })();
      await expect(history).rejects.toMatchObject({ details: { aggregateId: 'x', version: 2 } });
      // The same worker still builds states of other aggregates from plain objects.
      await engine.send('Put', { id: 'y', state: { n: 1 } });
      expect(await engine.get('y')).toEqual({ n: 1 });
    } finally {
      await engine.close();
    }
  });

  it('are applied through own members only, in place and shared', () => {
    const previous = Object.freeze({ n: 1 });
    for (const op of [
      { op: 'add', path: '/constructor/prototype/polluted', value: 'yes' },
      { op: 'add', path: '/__proto__/polluted', value: 'yes' },
      { op: 'add', path: '/toString/polluted', value: 'yes' },
      { op: 'replace', path: '/__proto__', value: { polluted: 'yes' } },
      { op: 'copy', from: '/__proto__', path: '/copied' },
    ] as const) {
      expect(() => applyInPlace({ n: 1 }, [op])).toThrow();
      expect(() => applyShared(previous, [op])).toThrow();
    }
    prototypesUntouched();
    const withKeys = applyShared(previous, [
      { op: 'add', path: '/constructor', value: { prototype: { polluted: 'no' } } },
      { op: 'replace', path: '/constructor/prototype/polluted', value: 'still no' },
    ]);
    expect(withKeys).toEqual({ n: 1, constructor: { prototype: { polluted: 'still no' } } });
    expect(Object.getPrototypeOf(withKeys)).toBe(Object.prototype);
    prototypesUntouched();
  });
});
