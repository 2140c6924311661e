/**
 * A batch's reply and its events reach the main thread on two channels, in
 * either order, and a later batch's reply may come before an earlier
 * batch's events. Specified on OpenBatches, driven in the orders that the
 * engine rarely shows.
 */
import { ShuttingDownError, type StoredEvent } from '../dist/src/index.js';
import { OpenBatches, type OpResult, type QueuedOp } from '../dist/src/open-batches.js';
import { packOutcomes } from '../dist/src/outcome-wire.js';
import type { OpOutcome } from '../dist/src/protocol.js';
import { ShardMetrics } from '../dist/src/shard-metrics.js';

/** An `Increment` of `id` sent with `commandId`, as the shard handle queues it. */
function queued(id: string, commandId: string): QueuedOp {
  return {
    op: { kind: 'command', type: 'Increment', payloadJson: JSON.stringify({ id, by: 1 }), aggregateId: id, commandId },
    enqueuedAt: 0,
    resolve: () => undefined,
    reject: () => undefined,
    stopWatchingSignal: undefined,
    dispatched: true,
    settled: false,
  };
}

function event(id: string, position: number, commandId: string): StoredEvent {
  const state = { id, count: 1, log: [1] };
  return { id: `e${position}`, aggregateId: id, name: 'Incremented', version: 1, schemaVersion: 1, occurredAt: '2026-01-01T00:00:00.000Z', state, previousState: undefined, position, shard: 0, commandId };
}

/** Open batches whose settled operations are recorded, with the log of what happened in order. */
function openBatches() {
  const log: string[] = [];
  const settled = new Map<QueuedOp, OpResult>();
  const batches = new OpenBatches(
    (item, error, value) => {
      item.settled = true;
      settled.set(item, error ?? value);
      log.push(`settled ${item.op.kind === 'command' ? item.op.commandId : item.op.kind}`);
    },
    new ShardMetrics(),
    () => undefined,
  );
  const events = (batchId: number, published: StoredEvent[]): void => {
    log.push(`published ${published.map((e) => e.position).join(',')}`);
    batches.events(batchId, published);
  };
  return { batches, log, settled, events };
}

describe('an idempotent repeat answered with the event of an earlier batch', () => {
  it('resolves only after that event arrives, when the later batch’s reply comes first', () => {
    const { batches, log, settled, events } = openBatches();
    const original = queued('a', 'once');
    const repeat = queued('a', 'once');
    const published = event('a', 7, 'once');

    batches.open(1, [original]);
    batches.reply(1, packOutcomes([{ kind: 'committed', position: 7 }]));
    batches.open(2, [repeat]);
    const answer: OpOutcome = { kind: 'value', value: published };
    batches.reply(2, packOutcomes([answer]));
    expect(repeat.settled).toBe(false);

    events(1, [published]);
    expect(log).toEqual(['published 7', 'settled once', 'settled once']);
    expect(settled.get(repeat)).toEqual(published);
    expect(batches.size).toBe(0);
  });

  it('resolves at once when that event already arrived', () => {
    const { batches, settled, events } = openBatches();
    const original = queued('a', 'once');
    const published = event('a', 7, 'once');
    batches.open(1, [original]);
    events(1, [published]);
    batches.reply(1, packOutcomes([{ kind: 'committed', position: 7 }]));

    const repeat = queued('a', 'once');
    batches.open(2, [repeat]);
    batches.reply(2, packOutcomes([{ kind: 'value', value: published }]));
    expect(settled.get(repeat)).toEqual(published);
    expect(batches.size).toBe(0);
  });

  it('resolves at once when that event is of a batch no longer open (an earlier run of the shard)', () => {
    const { batches, settled } = openBatches();
    const repeat = queued('a', 'once');
    const published = event('a', 3, 'once');
    batches.open(5, [repeat]);
    batches.reply(5, packOutcomes([{ kind: 'value', value: published }]));
    expect(settled.get(repeat)).toEqual(published);
  });

  it('fails with the others when the shard is closed while it is held', () => {
    const { batches, settled } = openBatches();
    const original = queued('a', 'once');
    const repeat = queued('a', 'once');
    batches.open(1, [original]);
    batches.reply(1, packOutcomes([{ kind: 'committed', position: 7 }]));
    batches.open(2, [repeat]);
    batches.reply(2, packOutcomes([{ kind: 'value', value: event('a', 7, 'once') }]));

    const closed = new ShuttingDownError('shard 0 closed before this operation finished', { executed: 'unknown' });
    batches.failAll(closed);
    expect(settled.get(repeat)).toBe(closed);
    expect(settled.get(original)).toBe(closed);
  });
});
