// The usearch worker thread: every usearch call blocks, so indexes live here, never on the
// thread that serves requests. One Index per run; keys are data row ids.
import { workerData } from 'node:worker_threads';
import { BatchMatches, type Index } from 'usearch';
import { addRows, searchThreads } from './add-threads.ts';
import { type Handler, serveRequests } from './rpc.ts';
import { type IndexParams, newIndex, openIndex } from './usearch-index.ts';
import { buildHandlers } from './worker-builds.ts';

const threads: number = workerData.threads ?? 2;
const indexes = new Map<number, Index>();
const positions = new Map<number, Map<number, number>>();
const builds = buildHandlers({ indexes, threads });

const indexOf = (run: number) => openIndex(indexes, run);

/**
 * usearch answers one query with Matches and several with BatchMatches; make both one shape.
 * usearch explores max(expansion_search, wanted) candidates and has no per-call expansion, so a
 * `breadth` above k asks for that many hits and keeps the best k.
 */
function searchBatch(index: Index, queries: Float32Array, k: number, breadth = 0) {
  const n = queries.length / index.dimensions();
  const kk = Math.max(1, Math.min(k, index.size()));
  const wanted = Math.max(kk, Math.min(breadth, index.size()));
  const keys = new Float64Array(n * kk).fill(-1);
  const distances = new Float32Array(n * kk).fill(Number.POSITIVE_INFINITY);
  const counts = new Uint32Array(n);
  if (n === 0 || index.size() === 0) return { keys, distances, counts, k: kk };
  const res = index.search(queries, wanted, searchThreads(index, threads)) as unknown as
    | BatchMatches
    | { keys: BigUint64Array; distances: Float32Array };
  if (res instanceof BatchMatches) {
    for (let q = 0; q < n; q++) {
      const c = Math.min(kk, Number(res.counts[q]));
      counts[q] = c;
      for (let j = 0; j < c; j++) {
        keys[q * kk + j] = Number(res.keys[q * wanted + j]);
        distances[q * kk + j] = res.distances[q * wanted + j];
      }
    }
  } else {
    counts[0] = Math.min(kk, res.keys.length);
    for (let j = 0; j < counts[0]; j++) {
      keys[j] = Number(res.keys[j]);
      distances[j] = res.distances[j];
    }
  }
  return { keys, distances, counts, k: kk };
}

/** Self-query: search k+1, drop the query itself (or the last hit when it is not found). */
function selfKnn(
  index: Index,
  keys: Float64Array,
  vectors: Float32Array,
  k: number,
  toPosition: (key: number) => number,
  { Out = Int32Array }: { Out?: typeof Int32Array | typeof Float64Array } = {},
) {
  const n = keys.length;
  const hits = searchBatch(index, vectors, k + 1);
  const indices = new Out(n * k).fill(-1);
  const distances = new Float32Array(n * k).fill(Number.POSITIVE_INFINITY);
  for (let q = 0; q < n; q++) {
    let out = 0;
    const self = keys[q];
    const c = hits.counts[q];
    for (let j = 0; j < c && out < k; j++) {
      const key = hits.keys[q * hits.k + j];
      if (key === self) continue;
      indices[q * k + out] = toPosition(key);
      distances[q * k + out] = hits.distances[q * hits.k + j];
      out++;
    }
  }
  return { indices, distances };
}

const handlers: Record<string, Handler> = {
  ...builds.handlers,
  save: (p: { run: number; path: string }) => {
    indexOf(p.run).save(p.path);
    return undefined;
  },
  load: (p: IndexParams & { run: number; path: string }) => {
    const index = newIndex(p);
    index.load(p.path);
    if (index.dimensions() !== p.dim)
      throw new Error(`index ${p.path}: dim ${index.dimensions()}, expected ${p.dim}`);
    indexes.set(p.run, index);
    return { result: { size: index.size() } };
  },
  drop: (p: { run: number }) => {
    indexes.delete(p.run);
    builds.drop(p.run);
    positions.delete(p.run);
    return undefined;
  },
  size: (p: { run: number }) => ({ result: { size: indexes.get(p.run)?.size() ?? 0 } }),
  search: (p: { run: number; queries: Float32Array; k: number; breadth?: number }) => {
    const r = searchBatch(indexOf(p.run), p.queries, p.k, p.breadth);
    return { result: r, transfer: [r.keys.buffer, r.distances.buffer, r.counts.buffer] };
  },
  knnBegin: (p: { run: number; rowIds: Float64Array }) => {
    const map = new Map<number, number>();
    for (let i = 0; i < p.rowIds.length; i++) map.set(p.rowIds[i], i);
    positions.set(p.run, map);
    return undefined;
  },
  knn: (p: { run: number; keys: Float64Array; vectors: Float32Array; k: number }) => {
    const map = positions.get(p.run);
    if (!map) throw new Error(`knnBegin was not called for run ${p.run}`);
    const r = selfKnn(indexOf(p.run), p.keys, p.vectors, p.k, (key) => map.get(key) ?? -1);
    return { result: r, transfer: [r.indices.buffer, r.distances.buffer] };
  },
  /**
   * Self-excluded kNN of some rows, neighbours as row ids (a chunk of a pass that any process may
   * run, so no positions).
   */
  knnRows: (p: { run: number; keys: Float64Array; vectors: Float32Array; k: number }) => {
    const r = selfKnn(indexOf(p.run), p.keys, p.vectors, p.k, (key) => key, { Out: Float64Array });
    return { result: r, transfer: [r.indices.buffer, r.distances.buffer] };
  },
  knnEnd: (p: { run: number }) => {
    positions.delete(p.run);
    return undefined;
  },
  /** kNN among the given vectors alone (a projection's sample), through a throwaway index. */
  knnOf: (p: IndexParams & { vectors: Float32Array; k: number }) => {
    const n = p.vectors.length / p.dim;
    const index = newIndex(p);
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = i;
    addRows(
      index,
      BigUint64Array.from(keys, (k) => BigInt(k)),
      p.vectors,
      threads,
    );
    const r = selfKnn(index, keys, p.vectors, p.k, (key) => key);
    return { result: r, transfer: [r.indices.buffer, r.distances.buffer] };
  },
};

serveRequests(handlers);
