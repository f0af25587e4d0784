/**
 * COCOeval's default parameters (`Params.setDetParams` in pycocotools) and the numpy routines
 * whose exact floating-point behaviour the evaluation depends on.
 */

export interface AreaRange {
  label: string;
  min: number;
  max: number;
}

export interface CocoParams {
  /** IoU thresholds, ascending. */
  iouThrs: readonly number[];
  /** Recall points at which precision is sampled, ascending. */
  recThrs: readonly number[];
  /** Detections kept per image and class, e.g. [1, 10, 100]; sorted ascending before use. */
  maxDets: readonly number[];
  /** Ranges of ground-truth `area` (inclusive both ends); the summary reads 'all', 'small', 'medium', 'large'. */
  areaRanges: readonly AreaRange[];
}

/**
 * `numpy.linspace(start, stop, num)` bit for bit: `start + i * step` with `step = (stop - start) /
 * (num - 1)` and the last point set to `stop`. The IoU thresholds come from this, and
 * `iou >= t` ties depend on their last bit (e.g. the 9th threshold is 0.8999999999999999).
 *
 * @example
 * linspace(0.5, 0.95, 10)[8]; // 0.8999999999999999
 */
export function linspace(start: number, stop: number, num: number): number[] {
  if (!Number.isInteger(num) || num < 0)
    throw new RangeError(`linspace: num must be an integer ≥ 0, got ${num}`);
  if (num === 1) return [start];
  const div = num - 1;
  const step = (stop - start) / div;
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(step === 0 ? (i / div) * (stop - start) + start : i * step + start);
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** The defaults of pycocotools for iouType 'bbox'. */
export function defaultCocoParams(): CocoParams {
  return {
    iouThrs: linspace(0.5, 0.95, 10),
    recThrs: linspace(0, 1, 101),
    maxDets: [1, 10, 100],
    areaRanges: [
      { label: 'all', min: 0, max: 1e5 ** 2 },
      { label: 'small', min: 0, max: 32 ** 2 },
      { label: 'medium', min: 32 ** 2, max: 96 ** 2 },
      { label: 'large', min: 96 ** 2, max: 1e5 ** 2 },
    ],
  };
}

/**
 * numpy's pairwise summation (`pairwise_sum` in `loops_utils.h`, block 128, unrolled by 8) of
 * `a[start .. start + n)`: what `np.mean` / `np.sum` add up for a contiguous float64 array, so
 * averages match numpy to the last bit rather than to 1e-16.
 *
 * @example
 * pairwiseSum([1, 2, 3], 0, 3); // 6
 */
export function pairwiseSum(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    let r0 = a[start];
    let r1 = a[start + 1];
    let r2 = a[start + 2];
    let r3 = a[start + 3];
    let r4 = a[start + 4];
    let r5 = a[start + 5];
    let r6 = a[start + 6];
    let r7 = a[start + 7];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const p = start + i;
      r0 += a[p];
      r1 += a[p + 1];
      r2 += a[p + 2];
      r3 += a[p + 3];
      r4 += a[p + 4];
      r5 += a[p + 5];
      r6 += a[p + 6];
      r7 += a[p + 7];
    }
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/**
 * `np.mean(s[s > -1])` over the values given, or −1 when none is > −1 (pycocotools' summarize).
 *
 * @example
 * meanOfValid([-1, 0.5, 1]); // 0.75
 */
export function meanOfValid(values: ArrayLike<number>): number {
  const kept = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > -1) kept[n++] = values[i];
  return n === 0 ? -1 : pairwiseSum(kept, 0, n) / n;
}
