/** For each of `vectors`, the position of its nearest of `centroids` (cosine), flat f32 both. */
export type Nearest = (centroids: Float32Array, vectors: Float32Array) => Int32Array;

/**
 * Spherical k-means: `k` unit centroids of the (already shuffled) sample, seeded by its first rows.
 *
 * @example
 * const centroids = fitCentroids(shuffledSample, 128, 16, 5, nearest);
 */
export function fitCentroids(
  sample: Float32Array,
  dim: number,
  k: number,
  iterations: number,
  nearest: Nearest,
): Float32Array {
  const m = sample.length / dim;
  const centroids = sample.slice(0, k * dim);
  if (k === 0) return centroids;
  normalizeRows(centroids, dim);
  const sums = new Float64Array(k * dim);
  for (let it = 0; it < iterations; it++) {
    const assigned = nearest(centroids, sample);
    sums.fill(0);
    const counts = new Uint32Array(k);
    for (let i = 0; i < m; i++) {
      const c = assigned[i];
      if (!(c >= 0 && c < k)) throw new Error(`nearest centroid ${c} out of range`);
      counts[c]++;
      // Unit rows, so that a long vector does not pull its centroid: the metric is cosine.
      let norm = 0;
      for (let j = 0; j < dim; j++) norm += sample[i * dim + j] ** 2;
      const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let j = 0; j < dim; j++) sums[c * dim + j] += sample[i * dim + j] * scale;
    }
    // An empty cell keeps its centroid.
    for (let c = 0; c < k; c++)
      if (counts[c] > 0) for (let j = 0; j < dim; j++) centroids[c * dim + j] = sums[c * dim + j];
    normalizeRows(centroids, dim);
  }
  return centroids;
}

function normalizeRows(rows: Float32Array, dim: number): void {
  for (let i = 0; i < rows.length; i += dim) {
    let norm = 0;
    for (let j = i; j < i + dim; j++) norm += rows[j] ** 2;
    if (norm === 0) continue;
    const scale = 1 / Math.sqrt(norm);
    for (let j = i; j < i + dim; j++) rows[j] *= scale;
  }
}
