import type { UMAP } from 'umap-js';
import { umapInternals } from './umap-internals.ts';

// umap-js 1.4 builds the fuzzy simplicial set of a fit as a chain of SparseMatrix objects — a JS
// Map keyed by "row:col" strings, one { value, row, col } object per entry — through transpose,
// pairwise multiply, add, subtract and two scalar multiplies, each a new Map, each walked through
// fresh arrays and a Set of visited keys. A 20k-point fit with 15 neighbours allocates gigabytes on
// the way and peaked at 1.1 GB of the worker's memory for a graph of 0.5M edges.
//
// fastFuzzyGraph computes the same graph on sorted typed arrays: the membership strengths from
// umap-js's own smoothing and membership functions, the fuzzy union entry by entry with the same
// arithmetic in the same order ((s + t − s·t)·mix + s·t·(1 − mix)), and the initial embedding and
// edge lists as initializeSimplicialSetEmbedding makes them (random draws in the same order, edges
// in (row, col) order, as its getAll() sorts them), so coordinates stay bit-identical.

/** The fuzzy graph of a fit, entries ascending by (row, col). */
export interface FuzzyGraph {
  nRows: number;
  nCols: number;
  rows: Int32Array;
  cols: Int32Array;
  values: Float64Array;
}

function sortedUnique(keys: Float64Array): Float64Array {
  keys.sort();
  let m = 0;
  for (let i = 0; i < keys.length; i++) if (i === 0 || keys[i] !== keys[m - 1]) keys[m++] = keys[i];
  return keys.subarray(0, m);
}

function find(keys: Float64Array, key: number): number {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid];
    if (k === key) return mid;
    if (k < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * The fuzzy union of a directed membership graph (entries `rows[e]`, `cols[e]`, `vals[e]` of an
 * n×n matrix; a repeated entry keeps its last value, as a Map would) with its transpose, as
 * umap-js's fuzzySimplicialSet combines them.
 *
 * @example
 * fuzzyUnion([0, 1], [1, 0], [1, 0.5], 2, 1); // entries (0,1) and (1,0), both 1 + 0.5 − 0.5
 */
export function fuzzyUnion(
  rows: ArrayLike<number>,
  cols: ArrayLike<number>,
  vals: ArrayLike<number>,
  n: number,
  mix = 1.0,
): FuzzyGraph {
  const e = rows.length;
  // Each entry's key, and its position to keep the last of repeated keys.
  const order = new Uint32Array(e);
  const keyOf = new Float64Array(e);
  for (let i = 0; i < e; i++) {
    order[i] = i;
    keyOf[i] = rows[i] * n + cols[i];
  }
  order.sort((a, b) => keyOf[a] - keyOf[b] || a - b);
  const sKeys = new Float64Array(e);
  const sVals = new Float64Array(e);
  let m = 0;
  for (let i = 0; i < e; i++) {
    const key = keyOf[order[i]];
    if (m > 0 && sKeys[m - 1] === key) sVals[m - 1] = vals[order[i]];
    else {
      sKeys[m] = key;
      sVals[m++] = vals[order[i]];
    }
  }
  const keys = new Float64Array(2 * m);
  for (let i = 0; i < m; i++) {
    const r = Math.floor(sKeys[i] / n);
    const c = sKeys[i] - r * n;
    keys[i] = sKeys[i];
    keys[m + i] = c * n + r;
  }
  const union = sortedUnique(keys);
  const s = sKeys.subarray(0, m);
  const out: FuzzyGraph = {
    nRows: n,
    nCols: n,
    rows: new Int32Array(union.length),
    cols: new Int32Array(union.length),
    values: new Float64Array(union.length),
  };
  for (let i = 0; i < union.length; i++) {
    const r = Math.floor(union[i] / n);
    const c = union[i] - r * n;
    const at = find(s, union[i]);
    const back = find(s, c * n + r);
    const x = at < 0 ? 0 : sVals[at];
    const y = back < 0 ? 0 : sVals[back];
    const prod = x * y;
    out.rows[i] = r;
    out.cols[i] = c;
    out.values[i] = (x + y - prod) * mix + prod * (1.0 - mix);
  }
  return out;
}

/**
 * Make a umap-js instance build its fit's graph, initial embedding and edge lists on typed arrays
 * (fit results unchanged, a fraction of the memory).
 *
 * @example
 * const umap = new UMAP({ nEpochs: 200, random });
 * umap.setPrecomputedKNN(indices, distances);
 * fastFuzzyGraph(umap);
 * const embedding = umap.fit(X);
 */
export function fastFuzzyGraph(umap: UMAP): void {
  const u = umapInternals(umap);
  u.fuzzySimplicialSet = (X, nNeighbors, setOpMixRatio = 1.0) => {
    const knnIndices = u.knnIndices ?? [];
    const knnDistances = u.knnDistances ?? [];
    const { sigmas, rhos } = u.smoothKNNDistance(knnDistances, nNeighbors, u.localConnectivity);
    const { rows, cols, vals } = u.computeMembershipStrengths(knnIndices, knnDistances, sigmas, rhos);
    return fuzzyUnion(rows, cols, vals, X.length, setOpMixRatio);
  };
  u.initializeSimplicialSetEmbedding = () => {
    const graph = u.graph as FuzzyGraph;
    const nEpochs = u.getNEpochs();
    let graphMax = 0;
    for (const v of graph.values) if (graphMax < v) graphMax = v;
    const embedding: number[][] = [];
    for (let i = 0; i < graph.nRows; i++) {
      const p: number[] = [];
      for (let d = 0; d < u.nComponents; d++) p.push(u.random() * 20 + -10);
      embedding.push(p);
    }
    u.embedding = embedding;
    const weights: number[] = [];
    const head: number[] = [];
    const tail: number[] = [];
    for (let i = 0; i < graph.values.length; i++) {
      const value = graph.values[i] < graphMax / nEpochs ? 0 : graph.values[i];
      if (value) {
        weights.push(value);
        tail.push(graph.rows[i]);
        head.push(graph.cols[i]);
      }
    }
    return { head, tail, epochsPerSample: u.makeEpochsPerSample(weights, nEpochs) };
  };
}
