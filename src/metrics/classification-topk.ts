/**
 * Top-k accuracy with scikit-learn's tie rule (`top_k_accuracy_score`): classes are ranked by
 * score, descending, and among equal scores the higher class index ranks first. The label is a hit
 * when its rank is below k.
 */

/** The k values reported for K classes: 1, 3 and 5, each only when k < K. */
export function topKValues(numClasses: number): number[] {
  return [1, 3, 5].filter((k) => k < numClasses);
}

/**
 * Hits per k over rows of a row-major N×K score matrix (sums across chunks add up).
 *
 * @example
 * topKHits(new Float32Array([0.1, 0.7, 0.2]), 3, [2], [1, 2]); // [0, 1]
 */
export function topKHits(
  scores: ArrayLike<number>,
  numClasses: number,
  labels: ArrayLike<number>,
  ks: number[],
): number[] {
  if (scores.length !== labels.length * numClasses)
    throw new RangeError(
      `scores has ${scores.length} values, expected ${labels.length} rows × ${numClasses} classes`,
    );
  const hits = new Array<number>(ks.length).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= numClasses)
      throw new RangeError(`labels[${i}] = ${y}: expected an integer class index in [0, ${numClasses})`);
    const base = i * numClasses;
    const s = scores[base + y];
    let rank = 0;
    for (let j = 0; j < numClasses; j++) {
      const v = scores[base + j];
      if (v > s || (v === s && j > y)) rank++;
    }
    for (let t = 0; t < ks.length; t++) if (rank < ks[t]) hits[t]++;
  }
  return hits;
}

/**
 * Fraction of rows whose label is among the k highest scores.
 *
 * @example
 * topKAccuracy(new Float32Array([0.1, 0.7, 0.2, 0.5, 0.3, 0.2]), 3, [2, 1], 2); // 1
 */
export function topKAccuracy(
  scores: ArrayLike<number>,
  numClasses: number,
  labels: ArrayLike<number>,
  k: number,
): number {
  if (labels.length === 0) return 0;
  return topKHits(scores, numClasses, labels, [k])[0] / labels.length;
}
