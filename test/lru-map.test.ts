/**
 * The bounded map behind the shard's state cache and the event wire's
 * records of recent versions, checked against a plain list model.
 */
import fc from 'fast-check';
import { LruMap } from '../dist/src/lru-map.js';

type Step =
  | { readonly kind: 'set'; readonly key: number; readonly value: number }
  | { readonly kind: 'peek'; readonly key: number }
  | { readonly kind: 'delete'; readonly key: number }
  | { readonly kind: 'clear' }
  | { readonly kind: 'resize'; readonly capacity: number };

const key = fc.integer({ min: 0, max: 20 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('set' as const), key, value: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('peek' as const), key }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resize' as const), capacity: fc.integer({ min: 0, max: 8 }) }) },
);

describe('LruMap', () => {
  it('holds exactly the most recently set entries, up to its capacity, through deletes, clears and resizes', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 500 }), fc.integer({ min: 1, max: 8 }), (steps, initialCapacity) => {
        let capacity = initialCapacity;
        const map = new LruMap<number, number>(capacity);
        // Least recently set first.
        let model: Array<[number, number]> = [];
        const expected = (k: number): number | undefined => model.find(([mk]) => mk === k)?.[1];
        for (const s of steps) {
          switch (s.kind) {
            case 'set':
              model = [...model.filter(([k]) => k !== s.key), [s.key, s.value] as [number, number]];
              model = capacity === 0 ? [] : model.slice(-capacity);
              map.set(s.key, s.value);
              break;
            case 'peek':
              expect(map.peek(s.key)).toBe(expected(s.key));
              break;
            case 'delete':
              model = model.filter(([k]) => k !== s.key);
              map.delete(s.key);
              break;
            case 'clear':
              model = [];
              map.clear();
              break;
            case 'resize':
              capacity = s.capacity;
              model = capacity === 0 ? [] : model.slice(-capacity);
              map.resize(capacity);
              break;
          }
          expect(map.capacity).toBe(capacity);
          expect(map.size).toBe(model.length);
        }
        for (let k = 0; k <= 20; k++) expect(map.peek(k)).toBe(expected(k));
      }),
      { numRuns: 500 },
    );
  });

  it('peeking leaves recency alone', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.peek('a')).toBe(1);
    map.set('c', 3);
    expect([map.peek('a'), map.peek('b'), map.peek('c')]).toEqual([undefined, 2, 3]);
  });
});
