import { UMAP } from 'umap-js';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/random.ts';
import { fastOptimizeLayout } from '../../src/projection/umap-optimize.ts';
import { smoothKnnDistance } from '../../src/projection/umap-smooth.ts';
import { fitUmap } from '../../src/projection/umap.ts';
import { cosineDistance } from '../helpers/cosine.ts';
import { clusters } from '../vectors/seed.ts';

/** Exact cosine kNN (self excluded), flat, as the vector worker hands it to fitUmap. */
function bruteKnn(vectors: Float32Array, dim: number, k: number) {
  const n = vectors.length / dim;
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const near = Array.from({ length: n }, (_, j) => ({ j, d: cosineDistance(vectors, i, vectors, j, dim) }))
      .filter((x) => x.j !== i)
      .sort((a, b) => a.d - b.d)
      .slice(0, k);
    near.forEach((x, r) => {
      indices[i * k + r] = x.j;
      distances[i * k + r] = x.d;
    });
  }
  return { indices, distances };
}

describe('smoothKnnDistance', () => {
  it("gives umap-js's sigmas and rhos, rows with rho 0 included", () => {
    const random = createRandom(5);
    const distances = Array.from({ length: 40 }, (_, i) =>
      Array.from({ length: 8 }, (_, j) => (i % 7 === 0 && j < 3 ? 0 : random() * 2)).sort((a, b) => a - b),
    );
    const reference = (UMAP.prototype as unknown as { smoothKNNDistance: typeof smoothKnnDistance })
      .smoothKNNDistance;
    // localConnectivity 0 is what transform passes (every rho is 0: the quadratic case); 1 is fit's.
    for (const local of [0, 1, 1.5])
      expect(smoothKnnDistance(distances, 8, local)).toEqual(reference.call({}, distances, 8, local));
  });
});

describe('fastOptimizeLayout', () => {
  it("gives umap-js's own fit and transform bit for bit", () => {
    const data = clusters(
      [
        [3, 0, 0, 0, 0],
        [0, 3, 0, 0, 0],
        [0, 0, 0, 3, 3],
      ],
      40,
      1.2,
      8,
    );
    const more = clusters(
      [
        [3, 0, 0, 0, 0],
        [0, 0, 0, 3, 3],
      ],
      12,
      1.2,
      9,
    );
    const run = (fast: boolean) => {
      const umap = new UMAP({ nComponents: 2, nNeighbors: 8, nEpochs: 60, random: createRandom(21) });
      if (fast) fastOptimizeLayout(umap);
      const fitted = umap.fit(data.map((r) => r.slice()));
      return { fitted, placed: umap.transform(more.map((r) => r.slice())) };
    };
    const slow = run(false);
    const fast = run(true);
    expect(fast.fitted).toEqual(slow.fitted);
    expect(fast.placed).toEqual(slow.placed);
  });
});

describe('fitUmap placement', () => {
  const dim = 6;
  const centers = [
    [5, 0, 0, 0, 0, 0],
    [0, 5, 0, 0, 0, 0],
    [0, 0, 5, 0, 0, 0],
  ];
  const fitted = Float32Array.from(clusters(centers, 50, 1, 3).flat());
  const fresh = Float32Array.from(clusters(centers, 30, 1, 4).flat());
  const k = 9;
  const knn = bruteKnn(fitted, dim, k);
  const fitLayout = () =>
    fitUmap({
      vectors: fitted,
      dim,
      knnIndices: knn.indices,
      knnDistances: knn.distances,
      k,
      nNeighbors: 10,
      nEpochs: 100,
      seed: 11,
    });

  it('places new points inside their own cluster, the same way every time', () => {
    const layout = fitLayout();
    const placed = layout.transform(fresh);
    expect(placed).toHaveLength(90 * 2);
    expect(fitLayout().transform(fresh)).toEqual(placed);
    const centroid = (c: number) => {
      let x = 0;
      let y = 0;
      for (let i = c * 50; i < (c + 1) * 50; i++) {
        x += layout.embedding[i * 2] / 50;
        y += layout.embedding[i * 2 + 1] / 50;
      }
      return [x, y];
    };
    const cents = [0, 1, 2].map(centroid);
    for (let i = 0; i < 90; i++) {
      const p = [placed[i * 2], placed[i * 2 + 1]];
      const d = cents.map((c) => Math.hypot(p[0] - c[0], p[1] - c[1]));
      const own = Math.floor(i / 30);
      expect(d.indexOf(Math.min(...d))).toBe(own);
    }
  });

  it("lands each point where umap-js's own transform does, and leaves the fitted map alone", () => {
    const layout = fitLayout();
    const before = layout.embedding.slice();
    const ours = layout.transform(fresh);
    expect(layout.embedding).toEqual(before);
    // umap-js alone, same fit: its own neighbour search, its own 100/3 epochs... which must be a
    // whole number, so this reference fit runs 99.
    const umap = new UMAP({ nComponents: 2, nNeighbors: 10, nEpochs: 99, random: createRandom(11) });
    const rows = (v: Float32Array) =>
      Array.from({ length: v.length / dim }, (_, i) => Array.from(v.subarray(i * dim, (i + 1) * dim)));
    const idx: number[][] = [];
    const dst: number[][] = [];
    for (let i = 0; i < 150; i++) {
      idx.push([i, ...knn.indices.subarray(i * k, (i + 1) * k)]);
      dst.push([0, ...knn.distances.subarray(i * k, (i + 1) * k)]);
    }
    umap.setPrecomputedKNN(idx, dst);
    const refMap = umap.fit(rows(fitted));
    const ref = umap.transform(rows(fresh));
    const cluster = (map: ArrayLike<number>, x: number, y: number) => {
      const d = [0, 1, 2].map((c) => {
        let cx = 0;
        let cy = 0;
        for (let i = c * 50; i < (c + 1) * 50; i++) {
          cx += map[i * 2] / 50;
          cy += map[i * 2 + 1] / 50;
        }
        return Math.hypot(x - cx, y - cy);
      });
      return d.indexOf(Math.min(...d));
    };
    const flatRef = refMap.flat();
    for (let i = 0; i < 90; i++)
      expect(cluster(before, ours[i * 2], ours[i * 2 + 1])).toBe(cluster(flatRef, ref[i][0], ref[i][1]));
  });
});
