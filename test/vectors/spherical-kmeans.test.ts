import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/random.ts';
import { fitCentroids } from '../../src/vectors/spherical-kmeans.ts';
import { nearestCentroids } from '../helpers/cosine.ts';

const dim = 4;
const nearest = (centroids: Float32Array, vectors: Float32Array) => nearestCentroids(centroids, vectors, dim);

/**
 * 50 rows around each axis, of lengths 1 to 10 (cosine ignores length), shuffled, but with one row
 * of each axis first: k-means is seeded by the first rows, and two seeds in one cluster would
 * leave a centroid between two clusters.
 */
function axisClusters(seed = 5): Float32Array {
  const random = createRandom(seed);
  const rows: number[][] = [];
  for (let c = 0; c < dim; c++)
    for (let i = 0; i < 50; i++) {
      const length = 1 + 9 * random();
      rows.push(Array.from({ length: dim }, (_, j) => length * ((j === c ? 1 : 0) + 0.2 * (random() - 0.5))));
    }
  const seeds = Array.from({ length: dim }, (_, c) => rows[c * 50]);
  const rest = random.shuffle(rows.filter((row) => !seeds.includes(row)));
  return Float32Array.from([...seeds, ...rest].flat());
}

describe('fitCentroids', () => {
  it('finds one unit centroid per cluster, whatever the rows’ lengths', () => {
    const centroids = fitCentroids(axisClusters(), dim, dim, 5, nearest);
    const axes = Array.from({ length: dim }, (_, c) => {
      const row = Array.from(centroids.subarray(c * dim, (c + 1) * dim));
      expect(Math.hypot(...row)).toBeCloseTo(1, 6);
      expect(Math.max(...row)).toBeGreaterThan(0.99);
      return row.indexOf(Math.max(...row));
    });
    expect([...axes].sort()).toEqual([0, 1, 2, 3]);
  });

  it('is seeded by the sample’s first rows: the same sample, the same centroids', () => {
    const sample = axisClusters();
    expect(fitCentroids(sample, dim, 3, 4, nearest)).toEqual(fitCentroids(sample, dim, 3, 4, nearest));
    expect(fitCentroids(sample, dim, 0, 4, nearest)).toHaveLength(0);
  });

  it('refuses a nearest centroid outside the k it fits', () => {
    const broken = (centroids: Float32Array, vectors: Float32Array) =>
      nearest(centroids, vectors).map(() => 7);
    expect(() => fitCentroids(axisClusters(), dim, dim, 1, broken)).toThrow(
      /nearest centroid 7 out of range/,
    );
  });
});
