/**
 * A shard's positions have no gaps, so a live event whose position skips
 * some means events were committed but never published: a worker killed
 * (out of memory, by the batch watchdog) between its commit and posting its
 * events. A durable subscription must read those from the log instead of
 * moving its checkpoint past them. Driven here through a scripted shard,
 * since the kill cannot be placed in that moment on purpose.
 */
import type { StoredEvent } from '../dist/src/index.js';
import { DurableSubscription, type DurableIO } from '../dist/src/durable-subscription.js';
import { compilePattern } from '../dist/src/event-pattern.js';
import { ShuttingDownError } from '../dist/src/errors.js';
import { encodeEvents } from '../dist/src/event-wire.js';
import type { EncodedPage, ShardRequest } from '../dist/src/protocol.js';

function committed(position: number, aggregateId: string, version: number): StoredEvent {
  return {
    id: `event-${position}`,
    aggregateId,
    name: 'Incremented',
    version,
    schemaVersion: 1,
    occurredAt: '2026-01-01T00:00:00.000Z',
    state: { count: version },
    previousState: version === 1 ? undefined : { count: version - 1 },
    position,
    shard: 0,
  };
}

/**
 * One shard's log, answering a durable subscription's reads; reads of the log wait while `holdReads` is set,
 * and fail with `failReads`' error once it is set.
 */
function scriptedShard(): {
  log: StoredEvent[];
  io: DurableIO;
  logReads: number[];
  releaseReads: () => void;
  holdReads: () => void;
  failReads: (error: Error) => void;
} {
  const log: StoredEvent[] = [];
  const logReads: number[] = [];
  let gate: Promise<void> = Promise.resolve();
  let open = (): void => undefined;
  let failure: Error | undefined;
  const readLog = async (afterPosition: number, limit: number): Promise<EncodedPage> => {
    await gate;
    if (failure !== undefined) throw failure;
    logReads.push(afterPosition);
    const page = log.filter((event) => event.position > afterPosition).slice(0, limit);
    return { events: encodeEvents(page), head: log.length, count: page.length, last: page[page.length - 1]?.position ?? afterPosition, more: page.length === limit };
  };
  const io: DurableIO = {
    run: async (_shard: number, op: ShardRequest) => {
      if (op.kind === 'read-checkpoint') return { saved: null, head: log.length };
      if (op.kind === 'save-checkpoint') return true;
      if (op.kind === 'read-log') return readLog(op.afterPosition, op.limit);
      throw new Error(`unexpected ${op.kind}`);
    },
    countDelivery: () => undefined,
    lastPosition: () => log.length,
  };
  return {
    log,
    io,
    logReads,
    holdReads: () => {
      gate = new Promise((resolve) => (open = resolve));
    },
    releaseReads: () => open(),
    failReads: (error) => {
      failure = error;
    },
  };
}

function subscribe(io: DurableIO, handled: number[]): DurableSubscription {
  return new DurableSubscription(
    { name: 'audit', matches: compilePattern('*'), handler: (event) => void handled.push(event.position), timeoutMs: undefined, fallback: undefined },
    { onHandlerError: () => undefined, onSettled: () => undefined },
    'audit',
    1,
    'beginning',
    io,
  );
}

describe('a durable subscription following the live stream', () => {
  it('reads from the log the events a live event skipped over, before it, and keeps its checkpoint before them meanwhile', async () => {
    const shard = scriptedShard();
    const handled: number[] = [];
    const subscription = subscribe(shard.io, handled);
    await subscription.ready;

    shard.log.push(committed(1, 'a', 1));
    subscription.offer(shard.log[0]!);
    // Committed, but their worker died before publishing them.
    shard.log.push(committed(2, 'b', 1), committed(3, 'b', 2));
    shard.holdReads();
    shard.log.push(committed(4, 'a', 2));
    subscription.offer(shard.log[3]!);
    expect(handled).toEqual([1]);
    expect(subscription.checkpoints()).toEqual([1]);

    shard.releaseReads();
    await subscription.ready;
    expect(handled).toEqual([1, 2, 3, 4]);
    expect(subscription.checkpoints()).toEqual([4]);
    expect(shard.logReads).toEqual([0, 1]);

    // Back on the live stream: contiguous events need no read.
    shard.log.push(committed(5, 'b', 3));
    subscription.offer(shard.log[4]!);
    await subscription.ready;
    expect(handled).toEqual([1, 2, 3, 4, 5]);
    expect(shard.logReads).toEqual([0, 1]);
  });

  it('reports a read of skipped events that fails through ready (what drain() awaits), not as an unhandled rejection', async () => {
    const shard = scriptedShard();
    const handled: number[] = [];
    const subscription = subscribe(shard.io, handled);
    await subscription.ready;

    shard.log.push(committed(1, 'a', 1), committed(2, 'b', 1));
    // The engine is being destroyed: the read of position 1 is refused.
    shard.failReads(new ShuttingDownError('shard 0 destroyed'));
    subscription.offer(shard.log[1]!);

    // Nobody looks at ready meanwhile: the failure must not surface as an unhandled rejection (which ends the process).
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(subscription.ready).rejects.toThrow(ShuttingDownError);
    expect(handled).toEqual([]);
    expect(subscription.checkpoints()).toEqual([0]);
  });
});
