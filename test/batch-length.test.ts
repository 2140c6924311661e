/**
 * How a shard's queue is cut into batches: at most `maxBatch` operations,
 * at most MAX_BATCH_PAYLOAD_CHARS of payload and metadata JSON unless one
 * command's alone is larger (then no other command joins it), and a
 * `forget` always alone.
 */
import fc from 'fast-check';
import { MAX_BATCH_PAYLOAD_CHARS, batchLength } from '../dist/src/batch-length.js';
import type { ShardRequest } from '../dist/src/protocol.js';

const command = (chars: number, metadataChars = 0): { op: ShardRequest } => ({
  op: {
    kind: 'command',
    type: 'T',
    aggregateId: 'a',
    payloadJson: 'x'.repeat(chars),
    ...(metadataChars > 0 ? { metadataJson: 'm'.repeat(metadataChars) } : {}),
  },
});
const size = (op: ShardRequest): number => (op.kind === 'command' ? op.payloadJson.length + (op.metadataJson?.length ?? 0) : 0);
const get: { op: ShardRequest } = { op: { kind: 'get', aggregateId: 'a' } };
const forget: { op: ShardRequest } = { op: { kind: 'forget', aggregateId: 'a' } };

describe('the next batch of a shard queue', () => {
  it('takes everything up to maxBatch', () => {
    expect(batchLength([command(1), get, command(1)], 1000)).toBe(3);
    expect(batchLength([command(1), get, command(1)], 2)).toBe(2);
    expect(batchLength([], 10)).toBe(0);
  });

  it('stops before the payload that would pass the budget, but always takes one', () => {
    expect(batchLength([command(40), command(40), command(40)], 1000, 100)).toBe(2);
    expect(batchLength([command(500), command(1)], 1000, 100)).toBe(1);
    // Reads carry no payload and do not count.
    expect(batchLength([command(60), get, get, command(60)], 1000, 100)).toBe(3);
    // Metadata counts with its payload.
    expect(batchLength([command(10, 50), command(10, 50)], 1000, 100)).toBe(1);
  });

  it('sends a forget alone', () => {
    expect(batchLength([forget, command(1)], 1000)).toBe(1);
    expect(batchLength([command(1), command(1), forget, command(1)], 1000)).toBe(2);
  });

  it('holds its invariants for any queue', () => {
    const op = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 100 })).map(([chars, metadata]) => command(chars, metadata)),
      fc.constant(get),
      fc.constant(forget),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 1000 }), (queue, maxBatch, budget) => {
        const n = batchLength(queue, maxBatch, budget);
        if (queue.length === 0) return n === 0;
        const batch = queue.slice(0, n);
        const chars = batch.reduce((sum, { op }) => sum + size(op), 0);
        const commands = batch.filter(({ op }) => op.kind === 'command').length;
        const alone = batch.some(({ op }) => op.kind === 'forget') ? n === 1 : true;
        // Maximal: the next operation would break a rule.
        const next = queue[n]?.op;
        const couldTakeMore =
          next !== undefined &&
          n < maxBatch &&
          next.kind !== 'forget' &&
          !batch.some(({ op }) => op.kind === 'forget') &&
          (next.kind !== 'command' || chars + size(next) <= budget);
        return n >= 1 && n <= maxBatch && (chars <= budget || commands === 1) && alone && !couldTakeMore;
      }),
      { numRuns: 500 },
    );
  });

  it('has a budget far below V8\'s longest string', () => {
    expect(MAX_BATCH_PAYLOAD_CHARS).toBeLessThan(2 ** 29 / 4);
  });
});
