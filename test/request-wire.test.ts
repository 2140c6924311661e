/**
 * A batch's operations cross to the shard packed: commands as one JSON
 * text with their payloads inlined, other operations as they are. Unpacked,
 * the shard gets every operation in order, each command with its payload
 * parsed.
 */
import fc from 'fast-check';
import type { CommandRequest, ShardOp, ShardRequest } from '../dist/src/protocol.js';
import { packRequests, packedLengthOver, unpackRequests } from '../dist/src/request-wire.js';

const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 8 });
const payload = fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as Record<string, never>);

const command = fc.record({
  type: text,
  payload,
  aggregateId: text,
  commandId: fc.option(text, { nil: undefined }),
  metadata: fc.option(payload, { nil: undefined }),
});

const request: fc.Arbitrary<{ request: ShardRequest; op: ShardOp }> = fc.oneof(
  {
    weight: 4,
    arbitrary: command.map(({ type, payload: p, aggregateId, commandId, metadata }) => {
      const request: { -readonly [K in keyof CommandRequest]: CommandRequest[K] } = { kind: 'command', type, payloadJson: JSON.stringify(p), aggregateId };
      const op: Record<string, unknown> = { kind: 'command', type, payload: p, aggregateId };
      if (commandId !== undefined) request.commandId = op.commandId = commandId;
      if (metadata !== undefined) {
        request.metadataJson = JSON.stringify(metadata);
        op.metadata = metadata;
      }
      return { request, op: op as unknown as ShardOp };
    }),
  },
  { weight: 1, arbitrary: text.map((aggregateId) => ({ request: { kind: 'get', aggregateId } as ShardRequest, op: { kind: 'get', aggregateId } as ShardOp })) },
  { weight: 1, arbitrary: text.map((aggregateId) => ({ request: { kind: 'forget', aggregateId } as ShardRequest, op: { kind: 'forget', aggregateId } as ShardOp })) },
);

describe('packed batch requests', () => {
  it('unpack to the same operations in the same order, each command with its payload parsed', () => {
    fc.assert(
      fc.property(fc.array(request, { maxLength: 30 }), (batch) => {
        const packed = structuredClone(packRequests(batch.map((b) => b.request)));
        expect(unpackRequests(packed)).toEqual(batch.map((b) => b.op));
      }),
      { numRuns: 300 },
    );
  });

  it('carry the commands as one JSON text and the rest as they are', () => {
    const packed = packRequests([
      { kind: 'command', type: 'Increment', payloadJson: '{"id":"a","by":1}', aggregateId: 'a' },
      { kind: 'get', aggregateId: 'a' },
    ]);
    expect(packed).toEqual({
      commands: '[{"kind":"command","type":"Increment","payload":{"id":"a","by":1},"aggregateId":"a"}]',
      others: [[1, { kind: 'get', aggregateId: 'a' }]],
    });
  });

  it('tell exactly how long a command alone would be, whenever that is over a given limit', () => {
    const commands = request.filter((r) => r.request.kind === 'command').map((r) => r.request as CommandRequest);
    fc.assert(
      fc.property(commands, fc.nat(400), (command, below) => {
        const length = packRequests([command]).commands.length;
        expect(packedLengthOver(command, Math.max(0, length - below))).toBe(below > 0 ? length : undefined);
        expect(packedLengthOver(command, length + below)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('refuse a batch whose commands do not fill it', () => {
    expect(() => unpackRequests({ commands: '[]', others: [[1, { kind: 'get', aggregateId: 'a' }]] })).toThrow('batch has no operation 0');
  });
});
