import { type Nearest, fitCentroids } from './spherical-kmeans.ts';
import type { Staging } from './staging.ts';

/** Below this many rows an index is filled in the order its rows came: see insertionOrder. */
export const ORDERED_FROM = 10_000;

export interface InsertionOrderDeps {
  /** Seeded: the same rows give the same order, so the same index. */
  random: () => number;
  nearest: Nearest;
}

export interface InsertionOrderOptions {
  /** Rows below which the arrival order is kept. */
  from?: number;
  /** Share of the rows inserted first, in random order. */
  head?: number;
  /** Centroids per level: the other rows are grouped by the nearest of `fanout` centroids, then of `fanout` within it. */
  fanout?: number;
  /** Rows the centroids are fitted on. */
  sample?: number;
  iterations?: number;
  /**
   * Rows assigned to their centroid per call of `nearest`. Small, so that their buffers are reused
   * within the heap: batches of 50k left 55 MB more in the worker after a 300k × 128 build.
   */
  batch?: number;
}

/**
 * The order in which a large build inserts its staged rows into the HNSW graph: a random fifth
 * first, then the rest grouped by nearest centroid, on two levels (spherical k-means on a sample:
 * 16 centroids, then 16 within each).
 *
 * Why: rows come in row id order, which is the user's file order, and files are often sorted by
 * class (an image folder per class). Inserted so, whole regions of the graph are built before the
 * next exists and lose their long links: on 300k × 128 Gaussian clusters, recall@10 fell from 0.94
 * to 0.55–0.59. A random head lays those links; the grouped rest then inserts each row next to the
 * ones just inserted (and a cell next to its neighbours: the second level nests in the first),
 * whose vectors and lists are still in the CPU's caches. On 1M × 128 the build took 50 s instead
 * of 159 s, at the same recall with a wider insertion breadth (see the service's
 * `orderedExpansionAdd`).
 *
 * @example
 * const { order, reordered } = insertionOrder(staging, { random: createRandom(1), nearest });
 * for (let i = 0; i < order.length; i += 10_000) index.add(staging.keysOf(order.subarray(i, i + 10_000)), …);
 */
export function insertionOrder(
  rows: Staging,
  deps: InsertionOrderDeps,
  options: InsertionOrderOptions = {},
): { order: Uint32Array; reordered: boolean } {
  const steps = insertionOrderSteps(rows, deps, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * insertionOrder a batch of rows at a time: each `next()` places `batch` more rows in their cells
 * (and yields how many are placed), the last one answers the order. The vector worker takes one
 * step per call, so searches of other runs are answered between them (at 1M × 128 the whole order
 * took 1.9–2.7 s of one call; now the first step, which fits the centroids, takes 0.26 s and each
 * later one about 20 ms).
 *
 * @example
 * const steps = insertionOrderSteps(staging, { random: createRandom(1), nearest });
 * let step = steps.next();
 * while (!step.done) step = steps.next(); // step.value: { order, reordered }
 */
export function* insertionOrderSteps(
  rows: Staging,
  { random, nearest }: InsertionOrderDeps,
  {
    from = ORDERED_FROM,
    head = 0.2,
    fanout = 16,
    sample: sampleSize = 16_384,
    iterations = 5,
    batch = 10_000,
  }: InsertionOrderOptions = {},
): Generator<number, { order: Uint32Array; reordered: boolean }, void> {
  const n = rows.count;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (n < from) return { order, reordered: false };
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const h = Math.ceil(n * head);
  // Two levels of centroids: each row is compared with 2 × fanout of them, not fanout².
  const sample = rows.gather(order.subarray(0, Math.min(sampleSize, n)));
  const coarse = fitCentroids(sample, rows.dim, Math.min(fanout, h), iterations, nearest);
  const fine = subsets(sample, rows.dim, groupBy(nearest(coarse, sample), coarse.length / rows.dim)).map(
    (members) =>
      fitCentroids(members, rows.dim, Math.min(fanout, members.length / rows.dim), iterations, nearest),
  );
  const rest = order.subarray(h);
  const k = (coarse.length / rows.dim) * fanout;
  const cell = new Int32Array(rest.length);
  for (let i = 0; i < rest.length; i += batch) {
    const vectors = rows.gather(rest.subarray(i, i + batch));
    const positions = groupBy(nearest(coarse, vectors), fine.length);
    subsets(vectors, rows.dim, positions).forEach((members, c) => {
      if (positions[c].length === 0) return;
      const within = fine[c].length > 0 ? nearest(fine[c], members) : new Int32Array(positions[c].length);
      for (let m = 0; m < within.length; m++) {
        // A row outside every cell would be left out of the order, so out of the index.
        if (!(within[m] >= 0 && within[m] < fanout))
          throw new Error(`nearest centroid ${within[m]} out of range`);
        cell[i + positions[c][m]] = c * fanout + within[m];
      }
    });
    yield Math.min(i + batch, rest.length);
  }
  // Counting sort by cell: stable, so a cell's rows keep their random order.
  const starts = new Uint32Array(k + 1);
  for (const c of cell) starts[c + 1]++;
  for (let c = 0; c < k; c++) starts[c + 1] += starts[c];
  const grouped = new Uint32Array(rest.length);
  for (let i = 0; i < rest.length; i++) grouped[starts[cell[i]]++] = rest[i];
  rest.set(grouped);
  return { order, reordered: true };
}

/** Positions of each group's members, in order. */
function groupBy(groupOf: Int32Array, groups: number): number[][] {
  const out: number[][] = Array.from({ length: groups }, () => []);
  for (let i = 0; i < groupOf.length; i++) {
    if (!(groupOf[i] >= 0 && groupOf[i] < groups))
      throw new Error(`nearest centroid ${groupOf[i]} out of range`);
    out[groupOf[i]].push(i);
  }
  return out;
}

/** The rows of `vectors` in each group, one flat array a group. */
function subsets(vectors: Float32Array, dim: number, groups: number[][]): Float32Array[] {
  return groups.map((members) => {
    const out = new Float32Array(members.length * dim);
    for (const [m, i] of members.entries()) out.set(vectors.subarray(i * dim, (i + 1) * dim), m * dim);
    return out;
  });
}
