import { UMAP } from 'umap-js';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/random.ts';
import { fastFuzzyGraph, fuzzyUnion } from '../../src/projection/umap-graph.ts';
import { umapInternals } from '../../src/projection/umap-internals.ts';

/** A kNN with self first, some shared and some one-sided neighbours, and a repeated one. */
function knnOf(n: number, k: number, seed: number) {
  const random = createRandom(seed);
  const indices: number[][] = [];
  const distances: number[][] = [];
  for (let i = 0; i < n; i++) {
    const idx = [i];
    const dist = [0];
    for (let j = 1; j < k; j++) {
      idx.push(j === k - 1 && i % 5 === 0 ? idx[1] : (i + 1 + Math.floor(random() * (n - 1))) % n);
      dist.push(dist[j - 1] + random() * 0.2);
    }
    indices.push(idx);
    distances.push(dist);
  }
  return { indices, distances };
}

describe('fuzzyUnion', () => {
  it('combines a graph with its transpose entry by entry, a repeated entry keeping its last value', () => {
    const g = fuzzyUnion([0, 1, 0, 2], [1, 0, 2, 0], [0.5, 0.25, 0.1, 0.4], 3);
    expect(Array.from(g.rows)).toEqual([0, 0, 1, 2]);
    expect(Array.from(g.cols)).toEqual([1, 2, 0, 0]);
    expect(Array.from(g.values)).toEqual([
      0.5 + 0.25 - 0.125,
      0.1 + 0.4 - 0.04000000000000001,
      0.625,
      0.5 - 0.04000000000000001,
    ]);
    expect(Array.from(fuzzyUnion([0, 0], [1, 1], [0.9, 0.3], 2).values)).toEqual([0.3, 0.3]);
    expect(Array.from(fuzzyUnion([0, 1], [1, 0], [0.5, 0.5], 2, 0).values)).toEqual([0.25, 0.25]);
  });
});

describe('fastFuzzyGraph', () => {
  it("gives umap-js's own initial embedding and edges, bit for bit", () => {
    const n = 300;
    const { indices, distances } = knnOf(n, 8, 3);
    const X = Array.from({ length: n }, (_, i) => [i, i % 7]);
    const init = (fast: boolean) => {
      const umap = new UMAP({ nNeighbors: 8, nEpochs: 60, random: createRandom(9) });
      umap.setPrecomputedKNN(indices, distances);
      if (fast) fastFuzzyGraph(umap);
      umap.initializeFit(X);
      const u = umapInternals(umap);
      const st = u.optimizationState;
      return {
        embedding: u.embedding,
        head: st.head,
        tail: st.tail,
        epochsPerSample: st.epochsPerSample,
        nVertices: st.nVertices,
        next: u.random(),
      };
    };
    const slow = init(false);
    const fast = init(true);
    expect(fast.head.length).toBeGreaterThan(n * 7);
    expect(fast).toEqual(slow);
  });
});
