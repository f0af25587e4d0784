import { cosineDistance } from './knn.ts';

/**
 * Pick `n` of the most uncertain candidates that are spread out in embedding space: greedy k-center
 * over the first `pool` candidates (default 5n). Start from the most uncertain, then repeatedly take the
 * candidate farthest (cosine) from everything picked so far; ties go to the more uncertain one.
 * `candidates` must be sorted most uncertain first; `vectors[i]` belongs to `candidates[i]`.
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
  const want = Math.min(n, m);
  if (want <= 0) return [];
  const picked: number[] = [0];
  const taken = new Uint8Array(m);
  taken[0] = 1;
  const nearest = new Float64Array(m);
  for (let i = 0; i < m; i++) nearest[i] = cosineDistance(vectors[i], vectors[0]);
  while (picked.length < want) {
    let best = -1;
    for (let i = 0; i < m; i++) {
      if (taken[i]) continue;
      if (best < 0 || nearest[i] > nearest[best]) best = i;
    }
    picked.push(best);
    taken[best] = 1;
    for (let i = 0; i < m; i++) {
      if (taken[i]) continue;
      const d = cosineDistance(vectors[i], vectors[best]);
      if (d < nearest[i]) nearest[i] = d;
    }
  }
  return picked.map((i) => candidates[i]);
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
