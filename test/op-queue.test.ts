/**
 * A shard's queue of operations not yet sent, where an aborted operation is
 * settled in place and skipped from then on, checked against a plain list
 * of the live operations.
 */
import fc from 'fast-check';
import { batchLength } from '../dist/src/batch-length.js';
import type { QueuedOp } from '../dist/src/open-batches.js';
import { OpQueue } from '../dist/src/op-queue.js';
import type { ShardRequest } from '../dist/src/protocol.js';

type Step =
  | { readonly kind: 'push'; readonly count: number; readonly aggregateId: string; readonly forget: boolean }
  | { readonly kind: 'abort'; readonly pick: number }
  | { readonly kind: 'take'; readonly maxBatch: number; readonly held: string | undefined }
  | { readonly kind: 'takeWhere'; readonly aggregateId: string }
  | { readonly kind: 'takeAll' };

const aggregateId = fc.constantFrom('a', 'b', 'c');
const step: fc.Arbitrary<Step> = fc.oneof(
  // Bursts of pushes, so that aborted operations stay in the queue among live ones rather than being compacted away at once.
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('push' as const), count: fc.integer({ min: 1, max: 8 }), aggregateId, forget: fc.integer({ min: 0, max: 9 }).map((n) => n === 0) }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('take' as const), maxBatch: fc.integer({ min: 1, max: 6 }), held: fc.option(aggregateId, { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('takeWhere' as const), aggregateId }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'takeAll' as const }) },
);

/** Numbered through `enqueuedAt`, so that equal operations are the same one. */
function queued(op: ShardRequest, n: number): QueuedOp {
  const ignore = (): void => undefined;
  return { op, enqueuedAt: n, resolve: ignore, reject: ignore, stopWatchingSignal: undefined, dispatched: false, settled: false };
}

function request(s: { readonly aggregateId: string; readonly forget: boolean }, n: number): ShardRequest {
  if (s.forget) return { kind: 'forget', aggregateId: s.aggregateId };
  return { kind: 'command', type: 'Increment', aggregateId: s.aggregateId, payloadJson: `{"n":${n}}` };
}

describe('the queue of operations a shard has not sent yet', () => {
  it('counts, takes and keeps exactly the live operations in order, whatever was aborted among them', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), (steps) => {
        const queue = new OpQueue();
        let model: QueuedOp[] = [];
        let pushed = 0;
        for (const s of steps) {
          switch (s.kind) {
            case 'push':
              for (let i = 0; i < s.count; i++) {
                const item = queued(request(s, pushed), pushed++);
                model.push(item);
                queue.push(item);
              }
              break;
            case 'abort': {
              if (model.length === 0) break;
              const item = model[s.pick % model.length]!;
              model = model.filter((other) => other !== item);
              item.settled = true;
              queue.abandoned();
              break;
            }
            case 'take': {
              const runs = s.held === undefined ? undefined : (op: ShardRequest): boolean => !('aggregateId' in op) || op.aggregateId !== s.held;
              const candidates = model.filter((item) => runs === undefined || runs(item.op)).slice(0, s.maxBatch);
              const expected = candidates.slice(0, batchLength(candidates, s.maxBatch));
              expect(queue.take(s.maxBatch, runs)).toEqual(expected);
              model = model.filter((item) => !expected.includes(item));
              break;
            }
            case 'takeWhere': {
              const matches = (item: QueuedOp): boolean => 'aggregateId' in item.op && item.op.aggregateId === s.aggregateId;
              expect(queue.takeWhere(matches)).toEqual(model.filter(matches));
              model = model.filter((item) => !matches(item));
              break;
            }
            case 'takeAll':
              expect(queue.takeAll()).toEqual(model);
              model = [];
              break;
          }
          expect(queue.length).toBe(model.length);
          for (const id of ['a', 'b', 'c']) {
            const about = (item: QueuedOp): boolean => 'aggregateId' in item.op && item.op.aggregateId === id;
            expect(queue.some(about)).toBe(model.some(about));
          }
        }
        expect(queue.takeAll()).toEqual(model);
      }),
      { numRuns: 500 },
    );
  });
});
