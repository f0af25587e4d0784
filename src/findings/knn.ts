import type { KnnGraph } from './neighbours.ts';

/** Unit-length copies of `n` vectors of `dim` floats; a zero vector stays zero. */
export function normalizeRows(vectors: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(vectors.length);
  for (let i = 0; i < vectors.length / dim; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += vectors[i * dim + d] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dim; d++) out[i * dim + d] = vectors[i * dim + d] * inv;
  }
  return out;
}

/** Cosine distance 1 − cos between two vectors. */
export function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 || nb === 0) return 1;
  return 1 - dot / Math.sqrt(na * nb);
}

/**
 * Exact cosine kNN by brute force (O(N²·dim)): the reference for tests and the fallback for small
 * runs. Each row's own index is excluded; ties keep the lower index.
 *
 * @example
 * const graph = exactKnn(vectors, 16, 10);
 */
export function exactKnn(vectors: Float32Array, dim: number, k: number): KnnGraph {
  const n = vectors.length / dim;
  if (!Number.isInteger(n))
    throw new Error(`exactKnn: ${vectors.length} floats is not a multiple of dim ${dim}`);
  const unit = normalizeRows(vectors, dim);
  const indices = new Int32Array(n * k).fill(-1);
  const distances = new Float32Array(n * k).fill(Number.POSITIVE_INFINITY);
  const kk = Math.min(k, n - 1);
  const bestD = new Float64Array(kk);
  const bestI = new Int32Array(kk);
  for (let i = 0; i < n; i++) {
    bestD.fill(Number.POSITIVE_INFINITY);
    bestI.fill(-1);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += unit[i * dim + d] * unit[j * dim + d];
      const dist = 1 - dot;
      if (kk === 0 || dist >= bestD[kk - 1]) continue;
      let p = kk - 1;
      while (p > 0 && bestD[p - 1] > dist) {
        bestD[p] = bestD[p - 1];
        bestI[p] = bestI[p - 1];
        p--;
      }
      bestD[p] = dist;
      bestI[p] = j;
    }
    for (let t = 0; t < kk; t++) {
      indices[i * k + t] = bestI[t];
      distances[i * k + t] = bestD[t];
    }
  }
  return { k, indices, distances };
}
