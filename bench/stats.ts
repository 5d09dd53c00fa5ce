/*
 * Small statistics over samples. Pure.
 */

/**
 * The p-th percentile (0..100) by the nearest-rank method: a value that was actually observed.
 * NaN for no samples.
 *
 * @example percentile([5, 1, 3, 2, 4], 50) // 3
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/**
 * The middle sample; the mean of the two middle ones for an even count. NaN for no samples.
 *
 * @example median([4, 1, 3, 2]) // 2.5
 */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * The order targets run in during round `round` (0-based): as given, reversed every other
 * round, so a drift in the machine's speed during a comparison weighs on every target alike.
 *
 * @example roundOrder(["a", "b", "c"], 1) // ["c", "b", "a"]
 */
export function roundOrder<T>(targets: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...targets] : [...targets].reverse();
}
