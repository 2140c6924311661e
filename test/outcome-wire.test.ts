/**
 * A batch's outcomes cross back to the main thread packed: commits as their
 * positions, everything else as it is. Unpacked, every operation gets back
 * exactly its outcome.
 */
import fc from 'fast-check';
import type { OpOutcome } from '../dist/src/protocol.js';
import { otherOutcome, outcomeAt, packOutcomes } from '../dist/src/outcome-wire.js';

const outcome: fc.Arbitrary<OpOutcome> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 1_000_000 }).map((position): OpOutcome => ({ kind: 'committed', position })) },
  { weight: 1, arbitrary: fc.jsonValue().map((value): OpOutcome => ({ kind: 'value', value: value as never })) },
  {
    weight: 1,
    arbitrary: fc.string().map((message): OpOutcome => ({ kind: 'failed', error: { name: 'ValidationError', code: 'VALIDATION_FAILED', message } as never })),
  },
);

describe('packed batch outcomes', () => {
  it('give back every operation its own outcome, in order', () => {
    fc.assert(
      fc.property(fc.array(outcome, { maxLength: 50 }), (outcomes) => {
        const packed = structuredClone(packOutcomes(outcomes));
        expect(outcomes.map((_, i) => outcomeAt(packed, i))).toEqual(outcomes);
        let next = 0;
        outcomes.forEach((expected, i) => {
          if (packed.positions[i] === 0) expect(otherOutcome(packed, next++, i)).toEqual(expected);
          else expect(expected).toEqual({ kind: 'committed', position: packed.positions[i] });
        });
        expect(next).toBe(packed.others.length);
      }),
      { numRuns: 300 },
    );
  });

  it('carry commits as positions alone', () => {
    const packed = packOutcomes([
      { kind: 'committed', position: 7 },
      { kind: 'value', value: 3 },
      { kind: 'committed', position: 8 },
    ]);
    expect(packed).toEqual({ positions: [7, 0, 8], others: [[1, { kind: 'value', value: 3 }]] });
  });

  it('refuse a reply whose outcomes do not line up with its operations', () => {
    const packed = packOutcomes([{ kind: 'value', value: 1 }]);
    expect(() => otherOutcome(packed, 0, 1)).toThrow('batch reply has no outcome for operation 1');
    expect(() => otherOutcome(packed, 1, 0)).toThrow('batch reply has no outcome for operation 0');
    expect(outcomeAt(packed, 5)).toBeUndefined();
  });
});
