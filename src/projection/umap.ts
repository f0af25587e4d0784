import { UMAP } from 'umap-js';
import { umapInternals } from './umap-internals.ts';
import { createRandom } from '../random.ts';
import { fastFuzzyGraph } from './umap-graph.ts';
import { fastOptimizeLayout } from './umap-optimize.ts';
import { type Placer, neighbourPlacer } from './umap-place.ts';

export interface UmapFitInput {
  /** n×dim, flat. */
  vectors: Float32Array;
  dim: number;
  /** n×k positions of each point's nearest other points (self excluded), -1 where missing. */
  knnIndices: Int32Array;
  knnDistances: Float32Array;
  k: number;
  /** UMAP's n_neighbors, counting the point itself (umap-js expects self as first neighbour). */
  nNeighbors: number;
  /** Epochs of the fit (placement runs its own number, see umap-place.ts). */
  nEpochs: number;
  /** Epochs spent placing each batch of new points. */
  placeEpochs?: number;
  seed: number;
  minDist?: number;
  /** usearch threads for the placement index. */
  threads?: number;
}

export interface UmapLayout {
  /** The fitted points' coordinates, n×2 flat. */
  embedding: Float32Array;
  /**
   * Place new points (m×dim flat) against the fitted map with umap-js's transform, their
   * neighbours among the fitted points found by usearch (see umap-place.ts); m×2 flat. Linear in m.
   */
  transform(vectors: Float32Array): Float32Array;
}

function cosine(x: number[], y: number[]): number {
  let dot = 0;
  let nx = 0;
  let ny = 0;
  for (let i = 0; i < x.length; i++) {
    dot += x[i] * y[i];
    nx += x[i] * x[i];
    ny += y[i] * y[i];
  }
  if (nx === 0 && ny === 0) return 0;
  if (nx === 0 || ny === 0) return 1;
  return 1 - dot / Math.sqrt(nx * ny);
}

function rows(vectors: Float32Array, dim: number): number[][] {
  const n = vectors.length / dim;
  // umap-js only indexes rows and reads .length, so typed views stand in for number[] without copies.
  return Array.from({ length: n }, (_, i) => vectors.subarray(i * dim, (i + 1) * dim) as unknown as number[]);
}

function flatten(points: number[][]): Float32Array {
  const out = new Float32Array(points.length * 2);
  points.forEach((p, i) => {
    out[i * 2] = p[0];
    out[i * 2 + 1] = p[1];
  });
  return out;
}

/**
 * Fit 2-D UMAP (umap-js) on precomputed cosine kNN with a seeded random source.
 *
 * @example
 * const layout = fitUmap({ vectors, dim, knnIndices, knnDistances, k: 14, nNeighbors: 15, nEpochs: 201, seed: 42 });
 * const placed = layout.transform(moreVectors);
 */
export function fitUmap({
  vectors,
  dim,
  knnIndices,
  knnDistances,
  k,
  nNeighbors,
  nEpochs,
  seed,
  minDist = 0.1,
  threads = 2,
  placeEpochs = 30,
}: UmapFitInput): UmapLayout {
  const n = vectors.length / dim;
  if (n <= nNeighbors) throw new Error(`UMAP needs more than nNeighbors=${nNeighbors} points, got ${n}`);
  const use = nNeighbors - 1;
  if (k < use)
    throw new Error(`UMAP with nNeighbors=${nNeighbors} needs ${use} neighbours per point, got ${k}`);
  const indices: number[][] = [];
  const distances: number[][] = [];
  for (let i = 0; i < n; i++) {
    const idx = [i];
    const dist = [0];
    for (let j = 0; j < use; j++) {
      const p = knnIndices[i * k + j];
      if (p < 0) throw new Error(`kNN row ${i} has fewer than ${use} neighbours`);
      idx.push(p);
      // Cosine distance in f16/f32 can come out a hair below 0.
      dist.push(Math.max(0, knnDistances[i * k + j]));
    }
    indices.push(idx);
    distances.push(dist);
  }
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors,
    nEpochs,
    minDist,
    random: createRandom(seed),
    distanceFn: cosine,
  });
  umap.setPrecomputedKNN(indices, distances);
  fastFuzzyGraph(umap);
  fastOptimizeLayout(umap);
  // The search graph only serves umap-js's own neighbour search in transform, which
  // neighbourPlacer replaces; building it is a tenth of a large fit.
  umapInternals(umap).makeSearchGraph = () => null;
  const X = rows(vectors, dim);
  const embedding = flatten(umap.fit(X));
  // Placement needs the layout and the fitted vectors only: drop the fit's graph, kNN and edge state.
  const u = umapInternals(umap);
  u.graph = undefined;
  u.knnIndices = undefined;
  u.knnDistances = undefined;
  u.optimizationState.head = [];
  u.optimizationState.tail = [];
  u.optimizationState.epochsPerSample = [];
  u.optimizationState.epochOfNextSample = [];
  u.optimizationState.epochOfNextNegativeSample = [];
  u.optimizationState.epochsPerNegativeSample = [];
  let placer: Placer | null = null;
  return {
    embedding,
    transform(more) {
      const m = more.length / dim;
      if (m === 0) return new Float32Array(0);
      // umap-js moves the fitted points too when the batch has exactly as many points as the fit.
      if (m === n) {
        const a = this.transform(more.subarray(0, (m - 1) * dim));
        const b = this.transform(more.subarray((m - 1) * dim));
        const out = new Float32Array(m * 2);
        out.set(a);
        out.set(b, a.length);
        return out;
      }
      placer ??= neighbourPlacer(umap, vectors, dim, { threads, epochs: placeEpochs });
      return flatten(placer.place(more, (r) => umap.transform(r)));
    },
  };
}
