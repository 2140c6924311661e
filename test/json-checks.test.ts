/**
 * `assertJson` (what `send` runs on every payload) answers most values with
 * a quick test and leaves the rest to the full walk behind `toJson`: both
 * must accept and refuse exactly the same values, with the same message.
 * `freezeIfCanonical` (how a shard adopts emit's state) may keep a value
 * only where the copy would be the same.
 */
import fc from 'fast-check';
import { NotJsonError, assertJson, freezeIfCanonical, toJson } from '../dist/src/json.js';

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

/** Same shape and leaves, keys holding `undefined` and `-0` included: what a copy would not change. */
function unchangedByCopy(original: unknown, copy: unknown): boolean {
  if (typeof original !== 'object' || original === null) return Object.is(original, copy);
  if (typeof copy !== 'object' || copy === null || Array.isArray(original) !== Array.isArray(copy)) return false;
  const keys = Object.keys(original);
  if (keys.length !== Object.keys(copy).length) return false;
  return keys.every((k) => unchangedByCopy((original as Record<string, unknown>)[k], (copy as Record<string, unknown>)[k]));
}

function deeplyFrozen(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return true;
  return Object.isFrozen(v) && Object.values(v).every(deeplyFrozen);
}

describe('freezeIfCanonical', () => {
  it('keeps a value, deeply frozen, only when the frozen copy would equal it; otherwise the copy is taken', () => {
    fc.assert(
      fc.property(value, (v) => {
        if (typeof v !== 'object' || v === null) return;
        const copied = outcome(() => toJson(v, 'state', true));
        const kept = freezeIfCanonical(v);
        if (kept !== undefined) {
          expect(kept).toBe(v);
          expect(deeplyFrozen(v)).toBe(true);
          expect(copied).toBe('ok');
          expect(unchangedByCopy(v, toJson(v, 'state', true))).toBe(true);
        } else if (copied === 'ok') {
          expect(unchangedByCopy(v, toJson(v, 'state', true))).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('walks into containers frozen by their author, freezing what they hold', () => {
    const inner = { items: [1, 2] };
    const state = Object.freeze({ id: 'a', inner });
    expect(freezeIfCanonical(state)).toBe(state);
    expect(Object.isFrozen(inner)).toBe(true);
    expect(Object.isFrozen(inner.items)).toBe(true);
  });

  it('leaves normalising to the copy: undefined fields, -0, cycles, class instances, deep nesting', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const v of [{ a: undefined }, { n: -0 }, [1, -0], cyclic, { p: new Point(1) }, nested(40, 1) as object]) {
      expect(freezeIfCanonical(v)).toBeUndefined();
    }
  });
});
