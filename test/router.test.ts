import { HASH_SCHEME, hashAggregateId, shardFor } from '../dist/src/index.js';

describe('routing by aggregate ID', () => {
  it('is stable: the same ID always hashes to the same documented value', () => {
    // Pinned values: changing them would mis-route every existing data directory.
    expect(HASH_SCHEME).toBe('fnv1a32-utf16+fmix32');
    expect(hashAggregateId('ORD-001')).toBe(hashAggregateId('ORD-001'));
    expect([hashAggregateId(''), hashAggregateId('a'), hashAggregateId('ORD-001')]).toEqual(PINNED);
  });

  it('spreads sequential IDs evenly over the shards', () => {
    for (const shards of [2, 4, 8, 16]) {
      const counts = new Array<number>(shards).fill(0);
      const n = 16_000;
      for (let i = 0; i < n; i++) counts[shardFor(`ORD-${i}`, shards)]!++;
      const expected = n / shards;
      for (const count of counts) expect(Math.abs(count - expected) / expected).toBeLessThan(0.1);
    }
  });

  it('always picks a shard in range', () => {
    for (let i = 0; i < 1000; i++) {
      const shard = shardFor(`id-${i}-${'x'.repeat(i % 7)}`, 3);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(3);
    }
  });
});

const PINNED = [2872998923, 444641715, 639295605];
