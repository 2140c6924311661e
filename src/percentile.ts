/**
 * Nearest-rank percentile of ascending `sorted` samples: always an observed
 * value (no interpolation), and never above what `fraction` of the samples
 * reach, so p50 of two samples is the smaller and p99 of 100 samples is not
 * the maximum; p99.9 of 200 samples honestly is.
 */
export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
