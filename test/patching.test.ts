import fc from 'fast-check';
import { toJson, type JsonObject } from '../dist/src/json.js';
import { applyInPlace, applyShared, diffStates, mutableCopy, patchText } from '../dist/src/shard/patching.js';

const stateArbitrary = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });

describe('RFC 6902 patches between states', () => {
  it('replaying the stored patches from {} rebuilds every emitted state', () => {
    fc.assert(
      fc.property(fc.array(stateArbitrary, { minLength: 1, maxLength: 8 }), (rawStates) => {
        let previous: JsonObject | undefined;
        let replayed: JsonObject = {};
        for (const raw of rawStates) {
          let state: JsonObject;
          try {
            state = toJson(raw, 'state', true) as JsonObject;
          } catch {
            return; // keys the store refuses (__proto__) are covered elsewhere
          }
          const stored = JSON.parse(JSON.stringify(diffStates(previous, state)));
          const before = JSON.stringify(replayed);
          const shared = applyShared(replayed, JSON.parse(JSON.stringify(stored)));
          expect(JSON.stringify(replayed)).toBe(before); // the previous state is untouched
          replayed = applyInPlace(mutableCopy(replayed), stored);
          expect(replayed).toEqual(state);
          expect(shared).toEqual(state);
          previous = state;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('writes the stored text exactly as JSON.stringify writes the patch, keys needing escapes included', () => {
    const awkward = fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('a/b', '~x', '~1/', '', '"q"', 'é\u2028')), fc.jsonValue({ maxDepth: 3 }), {
      maxKeys: 6,
    });
    fc.assert(
      fc.property(fc.option(awkward, { nil: undefined }), awkward, (rawPrevious, rawNext) => {
        let previous: JsonObject | undefined;
        let next: JsonObject;
        try {
          previous = rawPrevious === undefined ? undefined : (toJson(rawPrevious, 'state', true) as JsonObject);
          next = toJson(rawNext, 'state', true) as JsonObject;
        } catch {
          return; // keys the store refuses (__proto__) are covered elsewhere
        }
        expect(patchText(previous, next)).toBe(JSON.stringify(diffStates(previous, next)));
      }),
      { numRuns: 1000 },
    );
  });

  it('makes the first patch from {} and an empty patch for an unchanged state', () => {
    expect(diffStates(undefined, { a: 1 })).toEqual([{ op: 'add', path: '/a', value: 1 }]);
    expect(diffStates({ a: [1, 2] }, { a: [1, 2] })).toEqual([]);
  });

  it('applies to a private copy without touching frozen originals', () => {
    const original = toJson({ list: [1], nested: { x: 1 } }, 'state', true) as JsonObject;
    const next = applyInPlace(mutableCopy(original), [{ op: 'replace', path: '/nested/x', value: 2 }]);
    expect(next).toEqual({ list: [1], nested: { x: 2 } });
    expect(original).toEqual({ list: [1], nested: { x: 1 } });
  });
});

describe('JSON normalisation of states and payloads', () => {
  it('drops undefined properties and turns -0 into 0, as JSON would', () => {
    expect(toJson({ a: undefined, b: -0, c: [1, 'x', null, true] }, 'state')).toEqual({ b: 0, c: [1, 'x', null, true] });
    expect(Object.is((toJson({ b: -0 }, 'state') as { b: number }).b, 0)).toBe(true);
  });

  it.each([
    [{ at: new Date(0) }, 'state.at is a Date, not a plain object or array'],
    [{ m: new Map() }, 'state.m is a Map'],
    [{ list: [1, undefined] }, 'state.list[1] is undefined'],
    [{ n: 10n }, 'state.n is a bigint'],
    [{ f: -Infinity }, 'state.f is -Infinity'],
    [JSON.parse('{"__proto__": {"polluted": true}}') as unknown, 'state.__proto__ is a key that cannot be stored'],
  ])('names the path of what JSON cannot carry: %p', (value, message) => {
    expect(() => toJson(value, 'state')).toThrow(message);
  });

  it('freezes the copy deeply when asked', () => {
    const frozen = toJson({ a: { b: [1] } }, 'state', true) as { a: { b: number[] } };
    expect(Object.isFrozen(frozen)).toBe(true);
    expect(Object.isFrozen(frozen.a.b)).toBe(true);
  });
});
