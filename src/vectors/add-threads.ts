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
 * The threads each index's per-thread contexts were last reserved for. usearch reserves them only
 * when an add grows the capacity (to the next power of two), for that add's threads; an add or a
 * batch search on more threads without a growth fails ("Reserve capacity ahead of insertions!",
 * "… of searches!"). Measured: batches of 1,250 crossed SERIAL_ADD_BELOW at 8,750 rows, inside
 * a capacity reserved for one thread, and failed.
 */
const reservedFor = new WeakMap<Index, number>();

/** 0 means every core: the widest there is. */
const widest = (threads: number) => (threads === 0 ? Number.POSITIVE_INFINITY : threads);

/**
 * Add rows to a usearch index, on one thread while it stays small (see SERIAL_ADD_BELOW), and
 * never on more threads than it has contexts for.
 *
 * @example
 * addRows(index, keys, vectors, 2);
 * index.search(queries, k, searchThreads(index, 2));
 */
export function addRows(index: Index, keys: BigUint64Array, vectors: Float32Array, threads: number): void {
  const wanted = index.size() + keys.length < SERIAL_ADD_BELOW ? 1 : threads;
  const grows = index.size() + keys.length >= index.capacity();
  const reserved = reservedFor.get(index);
  const used = grows || reserved === undefined || widest(wanted) <= widest(reserved) ? wanted : reserved;
  index.add(keys, vectors, used);
  if (grows || reserved === undefined) reservedFor.set(index, used);
}

/** Threads a batch search of `index` may use: `threads`, or fewer when it has contexts for fewer. */
export function searchThreads(index: Index, threads: number): number {
  const reserved = reservedFor.get(index);
  if (reserved === undefined) return threads;
  return widest(threads) <= widest(reserved) ? threads : reserved;
}
