/** Latency samples and their percentiles. */
import { percentile } from '../src/percentile.js';

export interface LatencySummary {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly meanMs: number;
  readonly maxMs: number;
}

/** Collects samples in a preallocated typed array so recording does not allocate on the measured path. */
export class LatencyRecorder {
  #samples: Float64Array;
  #count = 0;

  constructor(expected = 1024) {
    this.#samples = new Float64Array(Math.max(16, expected));
  }

  get count(): number {
    return this.#count;
  }

  record(ms: number): void {
    if (this.#count === this.#samples.length) {
      const grown = new Float64Array(this.#samples.length * 2);
      grown.set(this.#samples);
      this.#samples = grown;
    }
    this.#samples[this.#count++] = ms;
  }

  /** Records `ms` for `times` samples at once: every command of one commit waited the same. */
  recordMany(ms: number, times: number): void {
    for (let i = 0; i < times; i++) this.record(ms);
  }

  summary(): LatencySummary {
    const sorted = this.#samples.slice(0, this.#count).sort();
    let total = 0;
    for (const sample of sorted) total += sample;
    return {
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      p999Ms: percentile(sorted, 0.999),
      meanMs: sorted.length === 0 ? Number.NaN : total / sorted.length,
      maxMs: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
    };
  }
}
