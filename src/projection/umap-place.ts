import type { UMAP } from 'umap-js';
import { fittedUmapInternals, heapPush } from './umap-internals.ts';
import { smoothKnnDistance } from './umap-smooth.ts';
import { BatchMatches, Index, type Matches, MetricKind, ScalarKind } from 'usearch';
import { addRows, searchThreads } from '../vectors/add-threads.ts';

// umap-js 1.4's transform() spends its time in two places that have nothing to do with UMAP:
// its neighbour search rebuilds a CSR copy of the whole fitted graph on every call and walks it
// from random starts, and its smoothKNNDistance recomputes the mean of every row's distances
// once per row whenever rho is 0 — which transform forces for every row — so a call is
// quadratic in its batch. Placing 1M points that way takes longer than the fit.
//
// neighbourPlacer keeps umap-js's transform (membership strengths, initial position at the
// weighted mean of the neighbours' coordinates, then the same SGD moving only the new points) and
// replaces those two parts, as setPrecomputedKNN does for fit: the neighbours come from a usearch
// index of the fitted vectors, and the smoothing hoists the loop-invariant mean. Both are pinned
// to umap-js 1.4's internals (instance fields it assigns in fit).
//
// umap-js runs nEpochs/3 epochs in transform (and never returns when that is not a whole number).
// The reference implementation runs 30 for more than 10,000 new points; placement here is that
// case by design, so it runs `epochs` (default 30) whatever the fit used.

export interface Placer {
  /** Coordinates for new points (m×dim flat), as umap-js's transform computes them. */
  place(vectors: Float32Array, transform: (rows: number[][]) => number[][]): number[][];
}

/**
 * Prepare a fitted umap-js instance to place new points with neighbours from usearch (an f32
 * cosine index of the fitted vectors, searched `breadth` wide) in `epochs` epochs.
 *
 * @example
 * const placer = neighbourPlacer(umap, fittedVectors, dim, { threads: 2 });
 * const coords = placer.place(newVectors, (rows) => umap.transform(rows));
 */
export function neighbourPlacer(
  umap: UMAP,
  fitted: Float32Array,
  dim: number,
  { threads = 2, breadth = 128, epochs = 30 }: { threads?: number; breadth?: number; epochs?: number } = {},
): Placer {
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new Error(`placement epochs must be a positive integer, got ${epochs}`);
  const u = fittedUmapInternals(umap);
  const n = fitted.length / dim;
  const k = Math.min(u.nNeighbors, n);
  const index = new Index({
    dimensions: dim,
    metric: MetricKind.Cos,
    quantization: ScalarKind.F32,
    connectivity: 16,
    expansion_add: 128,
    expansion_search: breadth,
    multi: false,
  });
  addRows(
    index,
    BigUint64Array.from({ length: n }, (_, i) => BigInt(i)),
    fitted,
    threads,
  );
  let pending: { keys: BigUint64Array; counts: number[]; wanted: number } | null = null;

  // Random starts would only lose to the true neighbours pushed below: skip their distances.
  u.initFromRandom = () => {};
  u.smoothKNNDistance = smoothKnnDistance;
  u.search = (data, _graph, init, queries) => {
    if (!pending) throw new Error('umap transform outside neighbourPlacer.place');
    for (let i = 0; i < queries.length; i++) {
      for (let j = 0; j < pending.counts[i]; j++) {
        const p = Number(pending.keys[i * pending.wanted + j]);
        // umap-js's own distance, so the result is what its search would give had it found these.
        heapPush(init, i, u.distanceFn(data[p], queries[i]), p, 1);
      }
    }
    return init;
  };

  return {
    place(vectors, transform) {
      const m = vectors.length / dim;
      // One query comes back as Matches, several as BatchMatches.
      const res = index.search(vectors, k, searchThreads(index, threads)) as unknown as
        | BatchMatches
        | Matches;
      const counts = res instanceof BatchMatches ? Array.from(res.counts, Number) : [res.keys.length];
      if (counts.some((c) => c < k))
        throw new Error(`placing ${m} points: usearch found fewer than ${k} fitted neighbours`);
      pending = { keys: res.keys, counts, wanted: k };
      const fitEpochs = u.nEpochs;
      u.nEpochs = 3 * epochs;
      try {
        const rows = Array.from(
          { length: m },
          (_, i) => vectors.subarray(i * dim, (i + 1) * dim) as unknown as number[],
        );
        return transform(rows);
      } finally {
        pending = null;
        u.nEpochs = fitEpochs;
      }
    },
  };
}
