import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, NotFoundError, open } from '../dist/src/index.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { orderDomain } from '../dist/examples/order/domain.js';
import { collect } from './support/collect.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

describe('durable storage in one SQLite file per shard', () => {
  it('reopens a directory with the same state and history', async () => {
    const dataDir = tempDir();
    const first = await open({ domain: counterDomain, dataDir, shards: 3 });
    const sent = [];
    for (let i = 1; i <= 5; i++) sent.push(await first.send('Increment', { id: 'keep', by: i }));
    await Promise.all(Array.from({ length: 50 }, (_, i) => first.send('Increment', { id: `other-${i}`, by: 1 })));
    const historyBefore = await collect(first.history('keep'));
    await first.close();

    const second = await open({ domain: counterDomain, dataDir, shards: 3 });
    try {
      expect(await second.get('keep')).toEqual({ id: 'keep', count: 15, log: [1, 2, 3, 4, 5] });
      const historyAfter = await collect(second.history('keep'));
      expect(historyAfter).toEqual(historyBefore);
      expect(historyAfter).toEqual(sent);
      const next = await second.send('Increment', { id: 'keep', by: 6 });
      expect(next.version).toBe(6);
      expect(next.position).toBeGreaterThan(sent[4]!.position);
    } finally {
      await second.close();
    }
  });

  it('gives history with correct previousState for any range, and nothing for a missing aggregate', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 2 });
    try {
      for (let i = 1; i <= 1200; i++) await engine.send('Increment', { id: 'long', by: 1 });
      const middle = await collect(engine.history('long', { from: 499, to: 1003 }));
      expect(middle.map((e) => e.version)).toEqual(Array.from({ length: 505 }, (_, i) => i + 499));
      for (const event of middle) {
        expect(event.previousState?.count).toBe(event.version - 1);
        expect(event.state.count).toBe(event.version);
      }
      const all = await collect(engine.history('long'));
      expect(all).toHaveLength(1200);
      expect(all[0]!.previousState).toBeUndefined();
      expect(await collect(engine.history('long', { from: 1201 }))).toEqual([]);
      expect(await collect(engine.history('nobody'))).toEqual([]);
    } finally {
      await engine.close();
    }
  });

  it('stores each change as an RFC 6902 patch, the first one from {}', async () => {
    const dataDir = tempDir();
    const engine = await open({ domain: orderDomain, dataDir, shards: 1 });
    await engine.send('CreateOrder', { id: 'P-1', total: 5, items: 1, shipTo: 'Oslo' });
    await engine.send('ConfirmOrder', { id: 'P-1' });
    await engine.send('ShipOrder', { id: 'P-1' });
    await engine.close();
    const db = new Database(join(dataDir, 'shard-0.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT version, name, patch FROM events ORDER BY position').all() as Array<{ version: number; name: string; patch: string }>;
      expect(rows.map((r) => [r.version, r.name])).toEqual([[1, 'OrderCreated'], [2, 'OrderConfirmed'], [3, 'OrderShipped']]);
      expect(JSON.parse(rows[0]!.patch)).toEqual(
        expect.arrayContaining([{ op: 'add', path: '/status', value: 'Pending' }, { op: 'add', path: '/ship_to', value: 'Oslo' }]),
      );
      expect(JSON.parse(rows[1]!.patch)).toEqual([{ op: 'replace', path: '/status', value: 'Confirmed' }]);
      // ShipOrder asks for a snapshot: one row per aggregate, stamped with version and schema version.
      expect(db.prepare('SELECT aggregate_id, version, schema_version, state FROM snapshots').all()).toEqual([
        { aggregate_id: 'P-1', version: 3, schema_version: 1, state: JSON.stringify({ id: 'P-1', status: 'Shipped', total: 5, items: 1, ship_to: 'Oslo' }) },
      ]);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('records shard count and hash scheme, and refuses to open the directory with another shard count', async () => {
    const dataDir = tempDir();
    const engine = await open({ domain: counterDomain, dataDir, shards: 2 });
    await engine.send('Increment', { id: 'x', by: 1 });
    await engine.close();
    expect(JSON.parse(readFileSync(join(dataDir, 'asynx.json'), 'utf8'))).toMatchObject({
      aggregate: 'Counter',
      shards: 2,
      hashScheme: 'fnv1a32-utf16+fmix32',
    });
    const reopening = open({ domain: counterDomain, dataDir, shards: 3 });
    await expect(reopening).rejects.toThrow(ConfigError);
    await expect(reopening).rejects.toThrow(/shards=2 but this engine uses shards=3/);
    await expect(open({ domain: orderDomain, dataDir, shards: 2 })).rejects.toThrow(/aggregate="Counter"/);
    const again = await open({ domain: counterDomain, dataDir, shards: 2 });
    try {
      expect(await again.get('x')).toEqual({ id: 'x', count: 1, log: [1] });
      await expect(again.get('y')).rejects.toBeInstanceOf(NotFoundError);
    } finally {
      await again.close();
    }
  });
});
