/**
 * A commit's events go back to the main thread as JSON text carrying each
 * event's state and previous state, and one string holds at most about
 * 512 M characters. An event that could not cross back is refused alone,
 * before anything is written (else it would be stored but reported failed,
 * and never reach subscribers); events too long together cross as several
 * messages. These tests lower the longest message to a few thousand
 * characters.
 */
import type { StoredEvent } from '../dist/src/index.js';
import { encodeEvents } from '../dist/src/event-wire.js';
import type { OpOutcome, ShardOp } from '../dist/src/protocol.js';
import { AggregateLoader } from '../dist/src/shard/aggregate-loader.js';
import { CommandProcessor } from '../dist/src/shard/command-processor.js';
import { ShardStore } from '../dist/src/shard/shard-store.js';
import { StateCache } from '../dist/src/shard/state-cache.js';
import { largeValuesDomain } from '../dist/test/fixtures/large-values-domain.js';

/** The longest message of events in these tests. */
const MESSAGE_LIMIT = 2_500;

function command(type: string, payload: Record<string, unknown> & { id: string }): ShardOp {
  return { kind: 'command', type, payload, aggregateId: payload.id } as ShardOp;
}

/** A shard on an in-memory file whose messages of events hold {@link MESSAGE_LIMIT} characters; each publish is one message. */
function shard(snapshotEvery = 0) {
  const store = new ShardStore({ path: ':memory:', shard: 0, shardCount: 1, hashScheme: 'test', synchronous: 'full' });
  const settings = { shard: 0, snapshotEvery, maxMessageLength: MESSAGE_LIMIT };
  const processorOn = (cache: StateCache) =>
    new CommandProcessor(store, new AggregateLoader(store, cache, largeValuesDomain, 0, () => undefined), cache, largeValuesDomain, settings, () => undefined);
  let processor = processorOn(new StateCache(100));
  const messages: StoredEvent[][] = [];
  return {
    store,
    messages,
    published: () => messages.flat(),
    run: (ops: ShardOp[]): OpOutcome[] => processor.run(ops, (events) => messages.push(events)),
    /** Continues with an empty state cache, as after a restart. */
    restart: () => {
      processor = processorOn(new StateCache(100));
    },
  };
}

describe('a command whose event would be too long to cross back from its shard', () => {
  it('is refused alone before the commit, naming the command, the aggregate and the lengths, and the rest of its batch commits', () => {
    const s = shard();
    s.run([command('Fill', { id: 'a', char: 'x', times: 1_200 })]);
    const outcomes = s.run([command('Write', { id: 'b', text: 'small' }), command('Note', { id: 'a', note: 'small' }), command('Write', { id: 'c', text: 'small' })]);

    expect(outcomes.map((o) => o.kind)).toEqual(['committed', 'failed', 'committed']);
    expect(outcomes[1]).toMatchObject({
      kind: 'failed',
      error: {
        name: 'CommandFailedError',
        message: expect.stringMatching(
          /^Note on a: its event v2 could not be sent back from the shard: its state \(\d+ characters of JSON\) and previous state \(\d+\) are over the 2500 one message of events may carry; nothing was written$/,
        ),
        details: { type: 'Note', aggregateId: 'a', version: 2, stateLength: expect.any(Number), previousStateLength: expect.any(Number), maxMessageLength: MESSAGE_LIMIT },
      },
    });
    expect(s.store.latestVersion('a')).toBe(1);
    expect(s.published().map((e) => `${e.aggregateId} v${e.version}`)).toEqual(['a v1', 'b v1', 'c v1']);
  });

  it('is refused as well once its aggregate was loaded back from the file', () => {
    const s = shard();
    s.run([command('Fill', { id: 'a', char: 'x', times: 1_200 })]);
    s.restart();
    expect(s.run([command('Note', { id: 'a', note: 'small' })]).map((o) => o.kind)).toEqual(['failed']);
    expect(s.store.latestVersion('a')).toBe(1);
  });

  it('commits once its state shrinks back, measured exactly when the cheap bound is too high', () => {
    const s = shard();
    s.run([command('Fill', { id: 'a', char: 'x', times: 900 })]);
    // The bound adds each patch; the states themselves stay short.
    for (let n = 0; n < 5; n++) expect(s.run([command('Write', { id: 'a', text: `${n}`.repeat(900) })]).map((o) => o.kind)).toEqual(['committed']);
    expect(s.store.latestVersion('a')).toBe(6);
  });
});

describe('a batch whose events are too long together for one message', () => {
  it('publishes them in several messages, each within the limit, every event once and in commit order', () => {
    const s = shard();
    const outcomes = s.run(['a', 'b', 'c', 'd', 'e'].map((id) => command('Fill', { id, char: id, times: 1_000 })));

    expect(outcomes.map((o) => o.kind)).toEqual(['committed', 'committed', 'committed', 'committed', 'committed']);
    expect(s.messages.length).toBeGreaterThan(1);
    for (const message of s.messages) expect(encodeEvents(message).length).toBeLessThanOrEqual(MESSAGE_LIMIT);
    expect(s.published().map((e) => e.position)).toEqual([1, 2, 3, 4, 5]);
    expect(s.published().map((e) => e.state)).toEqual(['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, text: id.repeat(1_000) })));
  });

  it('publishes a batch of short events in one message', () => {
    const s = shard();
    s.run(['a', 'b', 'c'].map((id) => command('Write', { id, text: 'small' })));
    expect(s.messages).toHaveLength(1);
  });
});
