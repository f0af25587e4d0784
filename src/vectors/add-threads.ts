import type { Index } from 'usearch';

/**
 * Below this many rows an index is filled on one thread. usearch 2.26's concurrent inserts leave
 * a few nodes unreachable from the graph's entry point (measured: 2 threads lost 8 of 20k rows,
 * and at least one row in 4–13% of 44-row builds; one thread lost none), which a small run feels
 * as a find-similar that misses rows and a placement that changes between runs. Up to here the
 * second thread saves under half a second.
 */
export const SERIAL_ADD_BELOW = 10_000;

/**
 * The most threads each index was filled with: a batch search may not use more threads than the
 * index reserved when it was filled ("Reserve capacity ahead of searches!").
 */
const filledWith = new WeakMap<Index, number>();

/**
 * Add rows to a usearch index, on one thread while it stays small (see SERIAL_ADD_BELOW).
 *
 * @example
 * addRows(index, keys, vectors, 2);
 * index.search(queries, k, searchThreads(index, 2));
 */
export function addRows(index: Index, keys: BigUint64Array, vectors: Float32Array, threads: number): void {
  const used = index.size() + keys.length < SERIAL_ADD_BELOW ? 1 : threads;
  index.add(keys, vectors, used);
  const before = filledWith.get(index);
  // 0 means every core: the widest reservation there is.
  filledWith.set(index, before === undefined || used === 0 || before === 0 ? used : Math.max(used, before));
}

/** Threads a batch search of `index` may use: `threads`, or fewer when it was filled on fewer. */
export function searchThreads(index: Index, threads: number): number {
  const used = filledWith.get(index);
  if (used === undefined || used === 0) return threads;
  return threads === 0 ? used : Math.min(threads, used);
}
