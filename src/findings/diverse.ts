import { cosineDistance } from './knn.ts';

/** Flat `count × dim` vectors, as the store reads them and as they cross to a worker thread. */
export interface FlatVectors {
  data: Float32Array | Float64Array;
  dim: number;
}

/**
 * Positions of `n` of the first `pool` (default 5n) vectors spread out in embedding space: greedy
 * k-center. Start from position 0 (the most uncertain), then repeatedly take the position farthest
 * (cosine) from everything picked so far; ties go to the lower position. One array of each
 * candidate's distance to its nearest pick is updated per pick, so the cost is O(pool · n · dim):
 * with the pool at 5n, quadratic in n — hence a worker thread for large batches.
 *
 * The distances are computed exactly as `cosineDistance` does (same sums in the same order), only
 * with each vector's squared norm computed once, so the picks equal the pairwise definition's.
 *
 * @example
 * const order = diverseOrder({ data: flat, dim: 64 }, 3000); // Int32Array of positions, in pick order
 */
export function diverseOrder({ data, dim }: FlatVectors, n: number, { pool = 5 * n } = {}): Int32Array {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`diverseOrder: dim must be ≥ 1, got ${dim}`);
  if (data.length % dim !== 0)
    throw new Error(`diverseOrder: ${data.length} values is not a multiple of dim ${dim}`);
  const m = Math.min(data.length / dim, Math.max(pool, n));
  const want = Math.min(n, m);
  if (want <= 0) return new Int32Array(0);
  // Float32 input stays Float32 (half the memory traffic of the scan); anything else becomes
  // Float64. Either way each value is read exactly and the sums run in doubles, as in cosineDistance.
  const v =
    data instanceof Float32Array ? data.subarray(0, m * dim) : Float64Array.from(data.subarray(0, m * dim));
  const sq = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let d = i * dim, end = d + dim; d < end; d++) s += v[d] * v[d];
    sq[i] = s;
  }
  const picked = new Int32Array(want);
  const taken = new Uint8Array(m);
  const nearest = new Float64Array(m);
  let best = 0;
  // Each pass adds the last pick: it updates every candidate's distance to its nearest pick and
  // finds the next farthest. The first pass (pick 0) fills `nearest`.
  for (let count = 0; count < want; count++) {
    const last = best;
    picked[count] = last;
    taken[last] = 1;
    if (count + 1 === want) break;
    best = -1;
    const sl = sq[last];
    const b0 = last * dim;
    for (let i = 0; i < m; i++) {
      if (taken[i]) continue;
      let d = 1;
      const si = sq[i];
      if (si !== 0 && sl !== 0) {
        // Unrolled, but summed strictly left to right like cosineDistance.
        let dot = 0;
        let a = i * dim;
        let b = b0;
        const end = a + dim;
        for (; a + 3 < end; a += 4, b += 4) {
          dot += v[a] * v[b];
          dot += v[a + 1] * v[b + 1];
          dot += v[a + 2] * v[b + 2];
          dot += v[a + 3] * v[b + 3];
        }
        for (; a < end; a++, b++) dot += v[a] * v[b];
        d = 1 - dot / Math.sqrt(si * sl);
      }
      if (count === 0 || d < nearest[i]) nearest[i] = d;
      if (best < 0 || nearest[i] > nearest[best]) best = i;
    }
  }
  return picked;
}

/**
 * Pick `n` of the most uncertain candidates that are spread out in embedding space (see
 * `diverseOrder`). `candidates` must be sorted most uncertain first; `vectors[i]` belongs to
 * `candidates[i]`.
 *
 * @example
 * const picks = selectDiverse(rowIds, vectors, 50); // 50 row ids, in pick order
 */
export function selectDiverse<T>(
  candidates: readonly T[],
  vectors: ArrayLike<ArrayLike<number>>,
  n: number,
  { pool = 5 * n }: { pool?: number } = {},
): T[] {
  if (vectors.length < candidates.length)
    throw new Error(`selectDiverse: ${candidates.length} candidates but ${vectors.length} vectors`);
  const m = Math.min(candidates.length, Math.max(pool, n));
  if (m === 0 || n <= 0) return [];
  return Array.from(diverseOrder(flatten(vectors, m), n, { pool: m }), (i) => candidates[i]);
}

/** The first `m` vectors in one flat array (all must have the first one's length). */
export function flatten(vectors: ArrayLike<ArrayLike<number>>, m = vectors.length): FlatVectors {
  const dim = vectors[0]?.length ?? 0;
  const data = new Float64Array(m * dim);
  for (let i = 0; i < m; i++) {
    const row = vectors[i];
    if (row.length !== dim)
      throw new Error(`vector ${i} has ${row.length} values, expected ${dim} like the first`);
    for (let d = 0; d < dim; d++) data[i * dim + d] = row[d];
  }
  return { data, dim };
}

/**
 * Coverage of a candidate pool by a set of picks: the mean cosine distance from each candidate to its
 * nearest pick (lower = better covered).
 */
export function coverageDistance(vectors: ArrayLike<ArrayLike<number>>, picks: readonly number[]): number {
  if (vectors.length === 0 || picks.length === 0) return Number.NaN;
  let total = 0;
  for (let i = 0; i < vectors.length; i++) {
    let best = Number.POSITIVE_INFINITY;
    for (const p of picks) best = Math.min(best, cosineDistance(vectors[i], vectors[p]));
    total += best;
  }
  return total / vectors.length;
}
