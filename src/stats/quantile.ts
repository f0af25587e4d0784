/**
 * The q-quantile of ascending values with linear interpolation between order statistics
 * (numpy's default `method='linear'`, Hyndman & Fan type 7): position q·(n − 1).
 *
 * @example
 * quantileSorted(Float64Array.of(1, 2, 3, 4), 0.25); // 1.75
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantileSorted: no values');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantileSorted: q must be in [0, 1], got ${q}`);
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const frac = pos - lo;
  return frac === 0 ? sorted[lo] : sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

/**
 * The percentile interval of bootstrap replicates: the (1 − level)/2 and (1 + level)/2 quantiles.
 * Sorts `values` in place.
 *
 * @example
 * percentileInterval(Float64Array.of(3, 1, 2, 5, 4), 0.5); // [2, 4]
 */
export function percentileInterval(values: Float64Array, level = 0.95): [number, number] {
  values.sort();
  return [quantileSorted(values, (1 - level) / 2), quantileSorted(values, (1 + level) / 2)];
}
