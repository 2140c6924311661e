import Database from 'better-sqlite3';
import { join } from 'node:path';
import { ConfigError, open, type Engine, type SnapshotCorruptReport } from '../dist/src/index.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { profileV1 } from '../dist/test/fixtures/profile-v1-domain.js';
import { profileV2 } from '../dist/test/fixtures/profile-v2-domain.js';
import { profileV2Tags } from '../dist/test/fixtures/profile-v2-tags-domain.js';
import { collect } from './support/collect.js';
import { corruptSnapshotDir } from './support/corrupt-snapshot.js';
import { writeV1Profiles } from './support/profile-history.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

function snapshotRows(dataDir: string): Array<{ aggregate_id: string; version: number; schema_version: number; state: string }> {
  const db = new Database(join(dataDir, 'shard-0.db'), { readonly: true });
  try {
    return db.prepare('SELECT aggregate_id, version, schema_version, state FROM snapshots ORDER BY aggregate_id').all() as never;
  } finally {
    db.close();
  }
}

describe('snapshots', () => {
  it('are taken every N versions with snapshotEvery, one upserted row per aggregate', async () => {
    const dataDir = tempDir();
    const engine = await open({ domain: counterDomain, dataDir, shards: 1, snapshotEvery: 10 });
    for (let i = 0; i < 25; i++) await engine.send('Increment', { id: 'snap', by: 1 });
    await engine.send('Increment', { id: 'few', by: 1 });
    await engine.close();
    expect(snapshotRows(dataDir)).toEqual([
      { aggregate_id: 'snap', version: 20, schema_version: 1, state: JSON.stringify({ id: 'snap', count: 20, log: new Array(20).fill(1) }) },
    ]);
  });

  it('are used for hydration: the snapshot plus the events after it', async () => {
    const dataDir = tempDir();
    const first = await open({ domain: counterDomain, dataDir, shards: 1, snapshotEvery: 7 });
    for (let i = 1; i <= 30; i++) await first.send('Increment', { id: 'h', by: i });
    const live = await first.get('h');
    await first.close();
    expect(snapshotRows(dataDir)[0]!.version).toBe(28);
    // Mark the snapshot: a state hydrated from it carries the mark, a full replay would not.
    const db = new Database(join(dataDir, 'shard-0.db'));
    db.prepare("UPDATE snapshots SET state = json_set(state, '$.fromSnapshot', 1) WHERE aggregate_id = 'h'").run();
    db.close();
    const second = await open({ domain: counterDomain, dataDir, shards: 1 });
    try {
      expect(await second.get('h')).toEqual({ ...live, fromSnapshot: 1 });
      const fromSnapshot = await collect(second.history('h', { from: 29 }));
      expect(fromSnapshot.map((e) => [e.version, e.previousState?.count, e.state.count])).toEqual([[29, 406, 435], [30, 435, 465]]);
      expect(fromSnapshot[0]!.previousState).toMatchObject({ fromSnapshot: 1 });
      // Before the snapshot's version, history replays from the first event.
      const early = await collect(second.history('h', { from: 3, to: 3 }));
      expect(early[0]!.previousState).toEqual({ id: 'h', count: 3, log: [1, 2] });
    } finally {
      await second.close();
    }
  });

  it('that cannot be parsed are reported to onSnapshotCorrupt and ignored (full replay)', async () => {
    const dataDir = await corruptSnapshotDir(tempDir());
    const reports: SnapshotCorruptReport[] = [];
    let reported!: () => void;
    // The report travels on the shard's event port, the get's result with its batch: either may come first.
    const firstReport = new Promise<void>((resolve) => (reported = resolve));
    const onSnapshotCorrupt = (report: SnapshotCorruptReport): void => {
      reports.push(report);
      reported();
    };
    const second = await open({ domain: counterDomain, dataDir, shards: 1, onSnapshotCorrupt });
    try {
      expect(await second.get('bad')).toEqual({ id: 'bad', count: 12, log: new Array(12).fill(1) });
      await firstReport;
      expect(reports).toEqual([{ shard: 0, aggregateId: 'bad', version: 10, reason: expect.stringMatching(/JSON/) }]);
    } finally {
      await second.close();
    }
  });

  it('that cannot be parsed are replaced after the full replay, so the next cold hydration neither reports nor replays; history never replaces one', async () => {
    const dataDir = await corruptSnapshotDir(tempDir());
    const reports: SnapshotCorruptReport[] = [];
    const options = { domain: counterDomain, dataDir, shards: 1, onSnapshotCorrupt: (report: SnapshotCorruptReport) => void reports.push(report) };
    /** Runs `use` on an engine, then lets the shard's reports arrive: they come on one port with its events, before the next one. */
    const session = async (use: (engine: Engine<typeof counterDomain>) => Promise<void>): Promise<void> => {
      const engine = await open(options);
      try {
        await use(engine);
        await engine.send('Increment', { id: 'other', by: 1 });
      } finally {
        await engine.close();
      }
    };
    const replayed = { id: 'bad', count: 12, log: new Array(12).fill(1) };

    await session(async (engine) => void expect(await collect(engine.history('bad', { from: 12 }))).toHaveLength(1));
    expect(reports.map((r) => r.version)).toEqual([10]);
    expect(snapshotRows(dataDir).find((r) => r.aggregate_id === 'bad')!.state).toBe('{"count": 10, trunc');

    await session(async (engine) => void expect(await engine.exists('bad')).toBe(true));
    expect(reports.map((r) => r.version)).toEqual([10, 10]);
    expect(snapshotRows(dataDir).filter((r) => r.aggregate_id === 'bad').map((r) => [r.version, JSON.parse(r.state)])).toEqual([[12, replayed]]);

    await session(async (engine) => void expect(await engine.get('bad')).toEqual(replayed));
    expect(reports).toHaveLength(2);
  });

  it('whose version is ahead of the events are reported and ignored (full replay), so the next command follows the last event', async () => {
    const dataDir = await corruptSnapshotDir(tempDir());
    const db = new Database(join(dataDir, 'shard-0.db'));
    db.prepare(`UPDATE snapshots SET version = 15, state = '{"id":"bad","count":10,"log":[1,1,1,1,1,1,1,1,1,1]}' WHERE aggregate_id = 'bad'`).run();
    db.close();
    const reports: SnapshotCorruptReport[] = [];
    const engine = await open({ domain: counterDomain, dataDir, shards: 1, onSnapshotCorrupt: (report) => void reports.push(report) });
    try {
      expect(await engine.get('bad')).toEqual({ id: 'bad', count: 12, log: new Array(12).fill(1) });
      // The report comes on the shard's event port, before this command's event.
      expect(await engine.send('Increment', { id: 'bad', by: 1 })).toMatchObject({ version: 13, state: { count: 13 } });
      expect((await collect(engine.history('bad'))).map((e) => e.version)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    } finally {
      await engine.close();
    }
    expect(reports).toEqual([{ shard: 0, aggregateId: 'bad', version: 15, reason: 'its version is ahead of the events, which end at v12' }]);
    expect(snapshotRows(dataDir).map((r) => r.version)).toEqual([12]);
  });
});

describe('schema evolution', () => {
  it('upcasts v1 events for a v2 domain, never loads a v1 snapshot into the v2 shape, and seals the migration', async () => {
    const dataDir = tempDir();
    const v1 = await open({ domain: profileV1, dataDir, shards: 1 });
    await v1.send('SetProfile', { id: 'ada', name: 'Ada', mail: 'ada@example.org' });
    await v1.send('Rename', { id: 'ada', name: 'Ada L.' }); // takes a v1 snapshot
    await v1.send('SetProfile', { id: 'bob', name: 'Bob', mail: 'bob@example.org' });
    await v1.close();
    expect(snapshotRows(dataDir).map((r) => [r.aggregate_id, r.schema_version, JSON.parse(r.state)])).toEqual([
      ['ada', 1, { name: 'Ada L.', mail: 'ada@example.org' }],
    ]);

    const v2 = await open({ domain: profileV2, dataDir, shards: 1 });
    try {
      const history = await collect(v2.history('ada'));
      expect(history.map((e) => e.state)).toEqual([
        { name: 'Ada', email: 'ada@example.org' },
        { name: 'Ada L.', email: 'ada@example.org' },
      ]);
      expect(history.map((e) => e.schemaVersion)).toEqual([1, 1]);
      // history is read-only: the v1 snapshot is still there.
      expect(snapshotRows(dataDir).map((r) => r.schema_version)).toEqual([1]);

      expect(await v2.get('ada')).toEqual({ name: 'Ada L.', email: 'ada@example.org' });
      const next = await v2.send('Rename', { id: 'bob', name: 'Robert' });
      expect(next).toMatchObject({ version: 2, schemaVersion: 2, state: { name: 'Robert', email: 'bob@example.org' } });
      await v2.drain();
      // Both hydrations upcast something, so each aggregate now has a v2 snapshot.
      expect(snapshotRows(dataDir).map((r) => [r.aggregate_id, r.version, r.schema_version, JSON.parse(r.state)])).toEqual([
        ['ada', 2, 2, { name: 'Ada L.', email: 'ada@example.org' }],
        ['bob', 2, 2, { name: 'Robert', email: 'bob@example.org' }],
      ]);
    } finally {
      await v2.close();
    }
  });

  it('answers a read whose sealing snapshot cannot be written, warns in the log, and seals at a later read', async () => {
    const dataDir = await writeV1Profiles(tempDir(), ['ada']);
    const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
    const logger = { info: () => undefined, error: () => undefined, warn: (fields: Record<string, unknown>, message: string) => void warnings.push({ fields, message }) };
    const v2 = await open({ domain: profileV2, dataDir, shards: 1, logger });
    // Another connection holding the write lock: the shard's commit gives up after SQLite's busy timeout.
    const writer = new Database(join(dataDir, 'shard-0.db'));
    try {
      writer.exec('BEGIN IMMEDIATE');
      expect(await v2.get('ada')).toEqual({ name: 'ADA', email: 'ada@example.org' });
      writer.exec('ROLLBACK');
      // The warning travels on the shard's event port, before this send's event.
      await v2.send('SetProfile', { id: 'bob', name: 'Bob', email: 'bob@example.org' });
      expect(warnings).toEqual([
        {
          fields: { aggregate: 'Profile', shard: 0, aggregateIds: ['ada'], reason: `commit to ${join(dataDir, 'shard-0.db')} failed: database is locked` },
          message: expect.stringMatching(/^shard 0 could not write the snapshot sealing ada \(commit to .* failed: database is locked\); the operations of its batch went on/),
        },
      ]);
      expect(snapshotRows(dataDir).filter((r) => r.aggregate_id === 'ada')).toEqual([]);
      expect(await v2.get('ada')).toEqual({ name: 'ADA', email: 'ada@example.org' });
      expect(snapshotRows(dataDir).filter((r) => r.aggregate_id === 'ada').map((r) => [r.version, r.schema_version])).toEqual([[1, 2]]);
    } finally {
      writer.close();
      await v2.close();
    }
  });

  it('gives each replay its own copy of what an upcaster returns: a default it shares between calls never carries one aggregate into another', async () => {
    const dataDir = await writeV1Profiles(tempDir(), ['ada', 'bob']);
    const options = { domain: profileV2Tags, dataDir, shards: 1, snapshotEvery: 3 } as const;
    const first = await open(options);
    try {
      await first.send('Tag', { id: 'ada', tag: 'red' });
      await first.send('Tag', { id: 'ada', tag: 'blue' }); // snapshot at v3: history from v3 replays v1 and v2 from the start
      const late = await collect(first.history('ada', { from: 3 }));
      expect(late.map((e) => [e.version, e.previousState?.tags, e.state.tags])).toEqual([[3, ['red'], ['red', 'blue']]]);
    } finally {
      await first.close();
    }
    const second = await open(options);
    try {
      const late = await collect(second.history('ada', { from: 3 }));
      expect(late[0]!.previousState).toEqual({ name: 'ADA', email: 'ada@example.org', tags: ['red'] });
      expect(await second.get('bob')).toEqual({ name: 'BOB', email: 'bob@example.org', tags: [] });
      expect(await second.send('Tag', { id: 'bob', tag: 'green' })).toMatchObject({ version: 2, state: { tags: ['green'] } });
    } finally {
      await second.close();
    }
  });

  it('a domain older than the data refuses to read it, naming the aggregate, and writes nothing', async () => {
    const dataDir = tempDir();
    const v2 = await open({ domain: profileV2, dataDir, shards: 1 });
    await v2.send('SetProfile', { id: 'ada', name: 'Ada', email: 'ada@example.org' });
    await v2.send('Rename', { id: 'ada', name: 'Ada L.' });
    await v2.close();
    const before = snapshotRows(dataDir);

    const v1 = await open({ domain: profileV1, dataDir, shards: 1 });
    try {
      const refusal = 'Profile ada v1 (ProfileSet) was stored by schema version 2, but this domain is at schema version 1';
      await expect(v1.get('ada')).rejects.toBeInstanceOf(ConfigError);
      await expect(v1.get('ada')).rejects.toThrow(refusal);
      await expect(v1.send('Rename', { id: 'ada', name: 'Ada B.' })).rejects.toThrow(refusal);
      await expect(collect(v1.history('ada'))).rejects.toThrow(refusal);
      await expect(v1.get('ada')).rejects.toMatchObject({ details: { aggregateId: 'ada', version: 1, storedSchemaVersion: 2, schemaVersion: 1 } });
    } finally {
      await v1.close();
    }
    expect(snapshotRows(dataDir)).toEqual(before);
  });

  it('a durable subscription catching up over v1 events under a v2 domain gets upcast states, the same as history', async () => {
    const dataDir = tempDir();
    const v1 = await open({ domain: profileV1, dataDir, shards: 1 });
    await v1.send('SetProfile', { id: 'ada', name: 'Ada', mail: 'ada@example.org' });
    await v1.send('SetProfile', { id: 'bob', name: 'Bob', mail: 'bob@example.org' });
    await v1.send('Rename', { id: 'ada', name: 'Ada L.' });
    await v1.close();

    const v2 = await open({ domain: profileV2, dataDir, shards: 1 });
    try {
      await v2.send('Rename', { id: 'bob', name: 'Robert' });
      const seen: Array<[string, number, number, unknown, unknown]> = [];
      v2.subscribe('*', (e) => void seen.push([e.aggregateId, e.version, e.schemaVersion, e.state, e.previousState]), { durable: 'profiles' });
      await v2.drain();
      expect(seen).toEqual([
        ['ada', 1, 1, { name: 'Ada', email: 'ada@example.org' }, undefined],
        ['bob', 1, 1, { name: 'Bob', email: 'bob@example.org' }, undefined],
        ['ada', 2, 1, { name: 'Ada L.', email: 'ada@example.org' }, { name: 'Ada', email: 'ada@example.org' }],
        ['bob', 2, 2, { name: 'Robert', email: 'bob@example.org' }, { name: 'Bob', email: 'bob@example.org' }],
      ]);
      const history = [...(await collect(v2.history('ada'))), ...(await collect(v2.history('bob')))];
      const byKey = (e: { aggregateId: string; version: number }) => `${e.aggregateId}/${e.version}`;
      expect(Object.fromEntries(seen.map(([id, version, , state]) => [`${id}/${version}`, state]))).toEqual(
        Object.fromEntries(history.map((e) => [byKey(e), e.state])),
      );
    } finally {
      await v2.close();
    }
  });
});

describe('the state cache', () => {
  it('is warmed by preload, and stats show its hits and misses', async () => {
    const dataDir = tempDir();
    const first = await open({ domain: counterDomain, dataDir, shards: 1 });
    await first.send('Increment', { id: 'warm', by: 1 });
    await first.close();
    const engine = await open({ domain: counterDomain, dataDir, shards: 1 });
    try {
      expect(await engine.preload('warm')).toBe(true);
      expect(await engine.preload('cold')).toBe(false);
      expect(engine.stats().shards[0]!.cache).toEqual({ hits: 0, misses: 2, size: 1 });
      await engine.send('Increment', { id: 'warm', by: 1 });
      expect(engine.stats().shards[0]!.cache).toEqual({ hits: 1, misses: 2, size: 1 });
    } finally {
      await engine.close();
    }
  });
});
