/**
 * Expected calibration error over the max probability, as Guo et al. (2017), netcal and
 * torchmetrics compute it: M equal-width bins with the upper edge inclusive,
 * B_0 = [0, 1/M], B_m = (m/M, (m+1)/M] for m ≥ 1, and
 * ECE = Σ_m (|B_m| / n) · |acc(B_m) − conf(B_m)|.
 * A confidence of exactly 0 falls in the first bin; edges are the doubles m/M, so a value equal to
 * an edge belongs to the bin below it.
 */

export const ECE_BINS = 15;

/** Sums per bin; adding the totals of two chunks gives the totals of both. */
export interface BinTotals {
  count: Float64Array;
  correct: Float64Array;
  confidence: Float64Array;
}

export interface CalibrationBin {
  bin: number;
  lower: number;
  upper: number;
  count: number;
  /** Fraction correct in the bin; null when the bin is empty. */
  accuracy: number | null;
  /** Mean confidence in the bin; null when the bin is empty. */
  confidence: number | null;
}

/**
 * The bin of a confidence in [0, 1]: the m with m/M < c ≤ (m+1)/M (0 for c = 0).
 *
 * @example
 * calibrationBin(1 / 15); // 0
 * calibrationBin(0.5); // 7
 */
export function calibrationBin(confidence: number, bins = ECE_BINS): number {
  if (!(confidence >= 0 && confidence <= 1))
    throw new RangeError(`confidence ${confidence}: expected a probability in [0, 1]`);
  let b = Math.ceil(confidence * bins) - 1;
  if (b < 0) b = 0;
  if (b > bins - 1) b = bins - 1;
  // c·M can round across an edge; settle against the edges themselves.
  if (b > 0 && confidence <= b / bins) b--;
  else if (b < bins - 1 && confidence > (b + 1) / bins) b++;
  return b;
}

/** Empty totals for `bins` bins. */
export function emptyBinTotals(bins = ECE_BINS): BinTotals {
  return {
    count: new Float64Array(bins),
    correct: new Float64Array(bins),
    confidence: new Float64Array(bins),
  };
}

/**
 * Add rows to bin totals (in place; returns them).
 *
 * @example
 * const t = addToBins(emptyBinTotals(), [0.9, 0.6], [1, 0]);
 */
export function addToBins(
  totals: BinTotals,
  confidence: ArrayLike<number>,
  correct: ArrayLike<number | boolean>,
): BinTotals {
  if (confidence.length !== correct.length)
    throw new RangeError(`confidence has ${confidence.length} rows but correct has ${correct.length}`);
  const bins = totals.count.length;
  for (let i = 0; i < confidence.length; i++) {
    const b = calibrationBin(confidence[i], bins);
    totals.count[b]++;
    if (correct[i]) totals.correct[b]++;
    totals.confidence[b] += confidence[i];
  }
  return totals;
}

/** The reliability-chart table: one line per bin, empty bins included. */
export function calibrationTable(totals: BinTotals): CalibrationBin[] {
  const bins = totals.count.length;
  return Array.from({ length: bins }, (_, m) => {
    const n = totals.count[m];
    return {
      bin: m,
      lower: m / bins,
      upper: (m + 1) / bins,
      count: n,
      accuracy: n > 0 ? totals.correct[m] / n : null,
      confidence: n > 0 ? totals.confidence[m] / n : null,
    };
  });
}

/** ECE from bin totals; 0 when there are no rows. */
export function eceFromTotals(totals: BinTotals): number {
  let n = 0;
  for (const c of totals.count) n += c;
  if (n === 0) return 0;
  let ece = 0;
  for (let m = 0; m < totals.count.length; m++) {
    const c = totals.count[m];
    if (c === 0) continue;
    ece += (c / n) * Math.abs(totals.correct[m] / c - totals.confidence[m] / c);
  }
  return ece;
}

/**
 * ECE of max-probability confidences against correctness.
 *
 * @example
 * expectedCalibrationError([0.9, 0.6], [1, 0]); // 0.5·|1−0.9| + 0.5·|0−0.6| = 0.35
 */
export function expectedCalibrationError(
  confidence: ArrayLike<number>,
  correct: ArrayLike<number | boolean>,
  bins = ECE_BINS,
): number {
  return eceFromTotals(addToBins(emptyBinTotals(bins), confidence, correct));
}
