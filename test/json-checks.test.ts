/**
 * `assertJson` (what `send` runs on every payload) answers most values with
 * a quick test and leaves the rest to the full walk behind `toJson`: both
 * must accept and refuse exactly the same values, with the same message.
 */
import fc from 'fast-check';
import { NotJsonError, assertJson, toJson } from '../dist/src/json.js';

class Point {
  constructor(readonly x: number) {}
}

/** JSON and near-JSON leaves: everything JSON.stringify would silently change is here. */
const leaf = fc.oneof(
  { weight: 10, arbitrary: fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(undefined, NaN, Infinity, -0, () => 1, Symbol('s'), 10n, new Date(0), new Map(), new Point(1)),
  },
);

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 4 }), fc.constant('__proto__')), tie('value'), { maxKeys: 4 }),
  ),
}));

function outcome(check: () => unknown): string {
  try {
    check();
    return 'ok';
  } catch (thrown) {
    return thrown instanceof NotJsonError ? `${thrown.path} ${thrown.problem}` : `other: ${String(thrown)}`;
  }
}

function nested(depth: number, inner: unknown): unknown {
  let v = inner;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? { next: v } : [v];
  return v;
}

describe('assertJson', () => {
  it('accepts and refuses exactly what the full walk does, with the same message', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(outcome(() => assertJson(v, 'payload'))).toBe(outcome(() => toJson(v, 'payload')));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the full walk past the quick test’s depth, on cycles, symbol keys and null-prototype objects', () => {
    const cyclic: Record<string, unknown> = { a: [1] };
    (cyclic.a as unknown[]).push(cyclic);
    const withSymbol = { a: 1, [Symbol('k')]: 2 };
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    const cases: unknown[] = [nested(40, 1), nested(40, NaN), nested(33, { ok: true }), cyclic, withSymbol, bare, { a: undefined, b: -0 }, [1, undefined]];
    for (const c of cases) expect(outcome(() => assertJson(c, 'payload'))).toBe(outcome(() => toJson(c, 'payload')));
    expect(outcome(() => assertJson(nested(40, 1), 'payload'))).toBe('ok');
    expect(outcome(() => assertJson(cyclic, 'payload'))).toBe('payload.a[1] refers back to an enclosing object (a cycle)');
  });
});
