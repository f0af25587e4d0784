/**
 * Embedding-neighbourhood signals from a k-nearest-neighbour graph (cosine distance).
 *
 * Neighbour disagreement of row i = Σ w_j·[label_j ≠ label_i] / Σ w_j over its labeled neighbours,
 * with w_j = 1 / (1 + d_ij) so closer neighbours count more while a far one still counts at least
 * a third (cosine distance ≤ 2). An "island" is a row whose neighbourhood is dominated by one other
 * label: that label holds at least `islandShare` of the weight.
 */

/** A kNN graph: row i's neighbours are `indices[i*k .. i*k+k)` (−1 = none), nearest first. */
export interface KnnGraph {
  k: number;
  indices: Int32Array;
  distances: Float32Array | Float64Array;
}

export interface Neighbourhood {
  /** In [0, 1]; NaN when the row is unlabeled or has no labeled neighbour. */
  disagreement: Float64Array;
  /** The other label with the most neighbour weight, or −1. */
  topOther: Int32Array;
  /** Weighted share of `topOther` among the labeled neighbours. */
  topOtherShare: Float64Array;
  /** Labeled neighbours, and how many of them carry `topOther`. */
  labeledCount: Int32Array;
  topOtherCount: Int32Array;
  /** `topOther` when its share reaches `islandShare`, else −1. */
  island: Int32Array;
}

/**
 * @example
 * const nb = neighbourDisagreement(labels, graph, { islandShare: 0.7 });
 */
export function neighbourDisagreement(
  labels: Int32Array,
  graph: KnnGraph,
  { islandShare = 0.7 }: { islandShare?: number } = {},
): Neighbourhood {
  const n = labels.length;
  const { k, indices, distances } = graph;
  if (indices.length !== n * k || distances.length !== n * k)
    throw new Error(`neighbourDisagreement: expected ${n}×${k} neighbours, got ${indices.length}`);
  const disagreement = new Float64Array(n).fill(Number.NaN);
  const topOther = new Int32Array(n).fill(-1);
  const topOtherShare = new Float64Array(n);
  const labeledCount = new Int32Array(n);
  const topOtherCount = new Int32Array(n);
  const island = new Int32Array(n).fill(-1);
  const weightBy = new Map<number, number>();
  const countBy = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const own = labels[i];
    if (own < 0) continue;
    weightBy.clear();
    countBy.clear();
    let total = 0;
    let differ = 0;
    let count = 0;
    for (let t = 0; t < k; t++) {
      const j = indices[i * k + t];
      if (j < 0 || j === i) continue;
      const l = labels[j];
      if (l < 0) continue;
      const w = 1 / (1 + Math.max(0, distances[i * k + t]));
      total += w;
      count++;
      if (l !== own) {
        differ += w;
        weightBy.set(l, (weightBy.get(l) ?? 0) + w);
        countBy.set(l, (countBy.get(l) ?? 0) + 1);
      }
    }
    labeledCount[i] = count;
    if (count === 0) continue;
    disagreement[i] = differ / total;
    let best = -1;
    let bestW = 0;
    for (const [l, w] of weightBy) {
      if (w > bestW || (w === bestW && l < best)) {
        best = l;
        bestW = w;
      }
    }
    if (best >= 0) {
      topOther[i] = best;
      topOtherShare[i] = bestW / total;
      topOtherCount[i] = countBy.get(best) ?? 0;
      if (bestW / total >= islandShare) island[i] = best;
    }
  }
  return { disagreement, topOther, topOtherShare, labeledCount, topOtherCount, island };
}
