import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/random.ts';
import { insertionOrder, insertionOrderSteps } from '../../src/vectors/insertion-order.ts';
import { createStaging } from '../../src/vectors/staging.ts';
import { nearestCentroids } from '../helpers/cosine.ts';

const dim = 8;

/** Brute-force nearest centroid by cosine: the reference for the worker's exact search. */
const nearest = (centroids: Float32Array, vectors: Float32Array) => nearestCentroids(centroids, vectors, dim);

/** `perClass` rows around each of `dim` axes, class after class: a file sorted by class. */
function sortedByClass(perClass: number, seed = 3) {
  const random = createRandom(seed);
  const staging = createStaging(dim);
  const classOf: number[] = [];
  for (let c = 0; c < dim; c++) {
    const vectors = new Float32Array(perClass * dim);
    for (let i = 0; i < perClass; i++) {
      for (let j = 0; j < dim; j++) vectors[i * dim + j] = (j === c ? 1 : 0) + 0.1 * (random() - 0.5);
      classOf.push(c);
    }
    staging.push(
      Float64Array.from({ length: perClass }, (_, i) => 1000 * c + i),
      vectors,
    );
  }
  return { staging, classOf };
}

describe('insertionOrder', () => {
  it('keeps the arrival order of a small build', () => {
    const { staging } = sortedByClass(10);
    const { order, reordered } = insertionOrder(staging, { random: createRandom(1), nearest });
    expect(reordered).toBe(false);
    expect(Array.from(order)).toEqual(Array.from({ length: 80 }, (_, i) => i));
  });

  it('puts a random head of every class first, then the rest a class at a time, the same each time', () => {
    const { staging, classOf } = sortedByClass(250);
    const options = { from: 1000, head: 0.2, fanout: 8, sample: 1000 };
    const { order, reordered } = insertionOrder(staging, { random: createRandom(1), nearest }, options);
    expect(reordered).toBe(true);
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    // The head (400 rows) mixes the classes about evenly where the file had none but the first two.
    const headCounts = new Array(dim).fill(0);
    for (const i of order.subarray(0, 400)) headCounts[classOf[i]]++;
    for (const count of headCounts) expect(count).toBeGreaterThan(25);
    // The rest: each class in one run, its rows in no particular (random) order.
    const runs = Array.from(order.subarray(400), (i) => classOf[i]).filter(
      (c, i, all) => i === 0 || c !== all[i - 1],
    );
    expect(new Set(runs).size).toBe(dim);
    expect(runs).toHaveLength(dim);
    const firstRun = Array.from(order.subarray(400, 420));
    expect(firstRun).not.toEqual([...firstRun].sort((a, b) => a - b));
    // Seeded: the same rows, the same order (the same index).
    expect(insertionOrder(staging, { random: createRandom(1), nearest }, options).order).toEqual(order);
  });
});

it('takes its steps a batch of rows at a time, to the order insertionOrder answers', () => {
  const { staging } = sortedByClass(250);
  const options = { from: 1000, head: 0.2, fanout: 8, sample: 1000, batch: 500 };
  const steps = insertionOrderSteps(staging, { random: createRandom(1), nearest }, options);
  const placed: number[] = [];
  let step = steps.next();
  for (; !step.done; step = steps.next()) placed.push(step.value);
  // 2,000 rows: a head of 400, then the other 1,600 placed 500 at a time.
  expect(placed).toEqual([500, 1000, 1500, 1600]);
  expect(step.value).toEqual(insertionOrder(staging, { random: createRandom(1), nearest }, options));
});

it('refuses a nearest centroid outside the cells rather than leave a row out of the index', () => {
  const { staging } = sortedByClass(250);
  // Right while the centroids are fitted on the 1,000-row sample, wrong for the 1,600 other rows.
  const broken = (centroids: Float32Array, vectors: Float32Array) =>
    nearest(centroids, vectors).map((c) => (vectors.length / dim > 1000 ? 99 : c));
  expect(() =>
    insertionOrder(
      staging,
      { random: createRandom(1), nearest: broken },
      { from: 1000, fanout: 8, sample: 1000 },
    ),
  ).toThrow(/nearest centroid 99 out of range/);
});
