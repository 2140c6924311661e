import fc from 'fast-check';
import { percentile } from '../dist/src/percentile.js';
import { ShardMetrics } from '../dist/src/shard-metrics.js';

describe('latency percentiles in stats()', () => {
  it('are nearest-rank: p50 of two samples is the smaller, p99 of 100 samples is not the maximum', () => {
    const two = new ShardMetrics();
    two.recordLatency(3);
    two.recordLatency(1);
    expect(two.latency()).toEqual({ p50Ms: 1, p99Ms: 3, p999Ms: 3, samples: 2 });

    const hundred = new ShardMetrics();
    for (let ms = 1; ms <= 100; ms++) hundred.recordLatency(ms);
    expect(hundred.latency()).toEqual({ p50Ms: 50, p99Ms: 99, p999Ms: 100, samples: 100 });
  });

  it('are all 0 before any command', () => {
    expect(new ShardMetrics().latency()).toEqual({ p50Ms: 0, p99Ms: 0, p999Ms: 0, samples: 0 });
  });

  it('cover only the most recent 8192 commands', () => {
    const metrics = new ShardMetrics();
    for (let i = 0; i < 8192; i++) metrics.recordLatency(1000);
    for (let i = 0; i < 8192; i++) metrics.recordLatency(2);
    expect(metrics.latency()).toEqual({ p50Ms: 2, p99Ms: 2, p999Ms: 2, samples: 8192 });
  });

  it('pick an observed sample that at least that fraction of samples reach, and fewer stay below', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 300 }), fc.constantFrom(0.5, 0.99, 0.999), (samples, fraction) => {
        const sorted = Float64Array.from(samples).sort();
        const value = percentile(sorted, fraction);
        const needed = Math.ceil(fraction * samples.length);
        expect(samples).toContain(value);
        expect(samples.filter((s) => s <= value).length).toBeGreaterThanOrEqual(needed);
        expect(samples.filter((s) => s < value).length).toBeLessThan(needed);
      }),
    );
  });
});
