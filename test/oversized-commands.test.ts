/**
 * A command whose data is too long for one string or one SQLite row is
 * refused with a typed error before anything is written, and alone: at
 * send when its payload and metadata cannot cross to the shard together,
 * in the shard when the event row its emit leads to would pass SQLite's
 * length limit. A snapshot row that would pass it is left out instead: the
 * event commits alone. The real limits are about 512 MiB, so these tests
 * run the same checks against lower ones.
 */
import Database from 'better-sqlite3';
import { InvalidArgumentError, type StoredEvent } from '../dist/src/index.js';
import { checkCommand } from '../dist/src/command-request.js';
import type { OpOutcome, ShardOp } from '../dist/src/protocol.js';
import { packRequests } from '../dist/src/request-wire.js';
import { AggregateLoader } from '../dist/src/shard/aggregate-loader.js';
import { CommandProcessor } from '../dist/src/shard/command-processor.js';
import { ShardStore } from '../dist/src/shard/shard-store.js';
import { StateCache } from '../dist/src/shard/state-cache.js';
import { MAX_ROW_TEXT_BYTES, MAX_STRING_LENGTH, SQLITE_LENGTH_LIMIT } from '../dist/src/size-limits.js';
import { largeValuesDomain } from '../dist/test/fixtures/large-values-domain.js';
import { rejectionOf } from './support/rejection.js';

/** Text one row may hold in these tests. */
const ROW_LIMIT = 1_000;

function command(type: string, payload: Record<string, unknown> & { id: string }, metadata?: Record<string, unknown>): ShardOp {
  const op = { kind: 'command', type, payload, aggregateId: payload.id } as const;
  return (metadata === undefined ? op : { ...op, metadata }) as ShardOp;
}

/** A shard's command processor on an in-memory file, whose rows may hold {@link ROW_LIMIT} bytes of text. */
function shard(snapshotEvery = 0) {
  const store = new ShardStore({ path: ':memory:', shard: 0, shardCount: 1, hashScheme: 'test', synchronous: 'full' });
  const cache = new StateCache(100);
  const loader = new AggregateLoader(store, cache, largeValuesDomain, 0, () => undefined);
  const processor = new CommandProcessor(store, loader, cache, largeValuesDomain, { shard: 0, snapshotEvery, maxRowTextBytes: ROW_LIMIT }, () => undefined);
  const published: StoredEvent[] = [];
  return {
    store,
    published,
    run: (ops: ShardOp[]): OpOutcome[] => processor.run(ops, (events) => published.push(...events)),
  };
}

describe('a command whose event row would pass SQLite\'s length limit', () => {
  it('is refused alone before the commit, naming the command, the aggregate and the sizes, and the rest of its batch commits', () => {
    const s = shard();
    const outcomes = s.run([
      command('Write', { id: 'a', text: 'small' }),
      command('Fill', { id: 'b', char: 'x', times: 2_000 }),
      command('Write', { id: 'c', text: 'small' }),
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(['committed', 'failed', 'committed']);
    expect(outcomes[1]).toMatchObject({
      kind: 'failed',
      error: {
        name: 'CommandFailedError',
        message: expect.stringMatching(/^Fill on b: its event v1 would be a row of \d+ bytes of text \(patch 2\d{3}, metadata 0\), over the 1000 one stored row may hold; nothing was written$/),
        details: { type: 'Fill', aggregateId: 'b', version: 1, maxRowTextBytes: ROW_LIMIT, metadataBytes: 0 },
      },
    });
    expect(s.published.map((e) => e.aggregateId)).toEqual(['a', 'c']);
    expect(s.store.hasEvents('b')).toBe(false);
  });

  it('counts its metadata with its patch: each fits alone, together they do not', () => {
    const s = shard();
    const text = 'x'.repeat(500);
    const metadata = { trace: 'y'.repeat(500) };
    const outcomes = s.run([
      command('Write', { id: 'a', text }),
      command('Write', { id: 'b', text: 'small' }, metadata),
      command('Write', { id: 'c', text }, metadata),
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(['committed', 'committed', 'failed']);
    expect(outcomes[2]).toMatchObject({ error: { details: { aggregateId: 'c', metadataBytes: JSON.stringify(metadata).length } } });
  });

  it('counts bytes of UTF-8 as SQLite stores them, not characters', () => {
    const s = shard();
    // 400 characters either way; '€' is 3 bytes of UTF-8.
    const outcomes = s.run([command('Fill', { id: 'a', char: 'x', times: 400 }), command('Fill', { id: 'b', char: '€', times: 400 })]);
    expect(outcomes.map((o) => o.kind)).toEqual(['committed', 'failed']);
    expect(outcomes[1]).toMatchObject({ error: { details: { patchBytes: expect.any(Number) } } });
    const { details } = (outcomes[1] as Extract<OpOutcome, { kind: 'failed' }>).error;
    expect(details?.patchBytes).toBeGreaterThan(1_200);
  });

  it('leaves the aggregate as it was, so a smaller command on it then commits', () => {
    const s = shard();
    s.run([command('Write', { id: 'a', text: 'first' })]);
    const outcomes = s.run([command('Fill', { id: 'a', char: 'x', times: 2_000 }), command('Note', { id: 'a', note: 'second' })]);
    expect(outcomes.map((o) => o.kind)).toEqual(['failed', 'committed']);
    expect(s.store.eventsAfter('a', 0).map((row) => [row.version, row.name])).toEqual([
      [1, 'Written'],
      [2, 'Noted'],
    ]);
    expect(s.published.at(-1)?.state).toEqual({ id: 'a', text: 'first', note: 'second' });
  });
});

describe('a command whose snapshot row would pass SQLite\'s length limit', () => {
  it('commits its event without the snapshot, which only spares replays, and the aggregate goes on by replay', () => {
    // Every second version is snapshotted; a 600-character text and a 600-character note each fit a patch, the state holding both does not.
    const s = shard(2);
    s.run([command('Fill', { id: 'a', char: 'x', times: 600 })]);
    const outcomes = s.run([command('Note', { id: 'a', note: 'n'.repeat(600) }), command('Write', { id: 'b', text: 'small' })]);
    expect(outcomes).toEqual([{ kind: 'committed', position: 2 }, { kind: 'committed', position: 3 }]);
    expect(s.store.latestVersion('a')).toBe(2);
    expect(s.store.snapshotOf('a')).toBeUndefined();
    expect(s.published.find((e) => e.aggregateId === 'a' && e.version === 2)?.state).toEqual({ id: 'a', text: 'x'.repeat(600), note: 'n'.repeat(600) });

    // A later snapshot that fits is taken as usual.
    s.run([command('Note', { id: 'a', note: 'short' })]);
    expect(s.run([command('Note', { id: 'a', note: 'shorter' })])).toEqual([{ kind: 'committed', position: 5 }]);
    expect(s.store.snapshotOf('a')).toMatchObject({ version: 4 });
  });
});

describe('a command whose payload and metadata are too long together to cross to its shard', () => {
  const text = 'x'.repeat(100);
  const send = (maxRequestLength?: number) =>
    checkCommand(largeValuesDomain, 'Write', { id: 'a', text }, { metadata: { note: text } }, 1_000, maxRequestLength);
  const length = packRequests([send().op]).commands.length;

  it('is refused at send, though each fits maxPayloadBytes, naming the command, the aggregate and the sizes', async () => {
    const error = await rejectionOf(() => send(length - 1));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({
      message:
        `Write on a: payload (${JSON.stringify({ id: 'a', text }).length} bytes as JSON) and metadata (${JSON.stringify({ note: text }).length} bytes) ` +
        `are too long together: the command would cross to its shard as ${length} characters, over the ${length - 1} of the longest string; nothing was queued`,
      details: { type: 'Write', aggregateId: 'a', requestLength: length, maxRequestLength: length - 1 },
    });
  });

  it('is accepted when it is exactly as long as the longest string', () => {
    expect(send(length).op.metadataJson).toBe(JSON.stringify({ note: text }));
  });
});

describe('the length limits the checks use', () => {
  it('are V8\'s longest string, and SQLite\'s longest value as better-sqlite3 sets it, less a reserve', () => {
    expect(MAX_STRING_LENGTH).toBe(2 ** 29 - 24);
    const db = new Database(':memory:');
    try {
      // zeroblob's length is known without allocating it.
      expect(db.prepare<[number], number>('SELECT length(zeroblob(?))').pluck().get(SQLITE_LENGTH_LIMIT)).toBe(SQLITE_LENGTH_LIMIT);
      expect(() => db.prepare('SELECT length(zeroblob(?))').get(SQLITE_LENGTH_LIMIT + 1)).toThrow(expect.objectContaining({ code: 'SQLITE_TOOBIG' }));
    } finally {
      db.close();
    }
    expect(SQLITE_LENGTH_LIMIT - MAX_ROW_TEXT_BYTES).toBe(64 * 1024);
  });

  it('are passed together by a payload and its metadata both at the largest maxPayloadBytes', () => {
    const largest = 256 * 1024 * 1024;
    expect(2 * largest).toBeGreaterThan(MAX_STRING_LENGTH);
    expect(2 * largest).toBeGreaterThan(SQLITE_LENGTH_LIMIT);
  });
});
