/**
 * Cosine distance between row `a` of `x` and row `b` of `y` (flat, `dim` wide): the reference the
 * tests hold usearch's and the projection's neighbours to.
 *
 * @example
 * cosineDistance(vectors, 0, vectors, 1, 128); // 0 for parallel rows, 1 for orthogonal ones
 */
export function cosineDistance(x: Float32Array, a: number, y: Float32Array, b: number, dim: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let j = 0; j < dim; j++) {
    dot += x[a * dim + j] * y[b * dim + j];
    na += x[a * dim + j] ** 2;
    nb += y[b * dim + j] ** 2;
  }
  return 1 - dot / Math.sqrt(na * nb);
}

/** The position of the nearest of `centroids` for each of `vectors` (cosine, brute force). */
export function nearestCentroids(centroids: Float32Array, vectors: Float32Array, dim: number): Int32Array {
  const k = centroids.length / dim;
  const out = new Int32Array(vectors.length / dim);
  for (let i = 0; i < out.length; i++) {
    let best = -1;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const d = cosineDistance(vectors, i, centroids, c, dim);
      if (d < bestDistance) [best, bestDistance] = [c, d];
    }
    out[i] = best;
  }
  return out;
}
