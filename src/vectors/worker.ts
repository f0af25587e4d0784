// The usearch worker thread: every usearch call blocks, so indexes live here, never on the
// thread that serves requests. One Index per run; keys are data row ids.
import { workerData } from 'node:worker_threads';
import { BatchMatches, Index, MetricKind, ScalarKind, exactSearch } from 'usearch';
import { createRandom } from '../random.ts';
import { addRows, searchThreads } from './add-threads.ts';
import { collectGarbage } from './collect-garbage.ts';
import { ORDERED_FROM, insertionOrder } from './insertion-order.ts';
import { type Handler, serveRequests } from './rpc.ts';
import type { Quantization } from './service.ts';
import { type Staging, createStaging } from './staging.ts';

interface IndexParams {
  dim: number;
  quantization: Quantization;
  connectivity: number;
  expansionAdd: number;
  /** The insertion breadth of a build whose rows were reordered (see insertionOrder). */
  orderedExpansionAdd: number;
  expansionSearch: number;
}

const SCALAR: Record<Quantization, ScalarKind> = {
  f32: ScalarKind.F32,
  f16: ScalarKind.F16,
  bf16: ScalarKind.BF16,
};

const threads: number = workerData.threads ?? 2;
const indexes = new Map<number, Index>();
const positions = new Map<number, Map<number, number>>();
/** Builds under way: their rows staged, then (once ordered) inserted from `next` on. */
const builds = new Map<
  number,
  { params: IndexParams; staging: Staging; order?: Uint32Array; next: number }
>();

function newIndex(p: IndexParams): Index {
  return new Index({
    dimensions: p.dim,
    metric: MetricKind.Cos,
    quantization: SCALAR[p.quantization],
    connectivity: p.connectivity,
    expansion_add: p.expansionAdd,
    expansion_search: p.expansionSearch,
    multi: false,
  });
}

/** Nearest centroid of each vector, by usearch's exact search (cosine). */
const nearestOf =
  (dim: number) =>
  (centroids: Float32Array, vectors: Float32Array): Int32Array => {
    const hits = exactSearch(centroids, vectors, dim, 1, MetricKind.Cos, threads) as unknown as
      | BatchMatches
      | { keys: BigUint64Array };
    return Int32Array.from(hits.keys, (k) => Number(k));
  };

function buildOf(run: number) {
  const build = builds.get(run);
  if (!build) throw new Error(`no build under way for run ${run}`);
  return build;
}

function indexOf(run: number): Index {
  const index = indexes.get(run);
  if (!index) throw new Error(`no index open for run ${run}`);
  return index;
}

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
  /** Begin a build: a staging for its rows (the index is made once they are ordered). */
  create: (p: IndexParams & { run: number }) => {
    indexes.delete(p.run);
    builds.set(p.run, {
      params: p,
      staging: createStaging(p.dim, { bf16: p.quantization === 'bf16' }),
      next: 0,
    });
    return undefined;
  },
  stage: (p: { run: number; keys: Float64Array; vectors: Float32Array }) => {
    buildOf(p.run).staging.push(p.keys, p.vectors);
    return undefined;
  },
  /** Every row is staged: choose their insertion order (seeded, so the same rows make the same index). */
  order: (p: { run: number }) => {
    const build = buildOf(p.run);
    build.order = insertionOrder(build.staging, {
      random: createRandom(1),
      nearest: nearestOf(build.staging.dim),
    });
    const { params } = build;
    const ordered = build.order.length >= ORDERED_FROM;
    indexes.set(p.run, newIndex(ordered ? { ...params, expansionAdd: params.orderedExpansionAdd } : params));
    return { result: { count: build.order.length } };
  },
  /** Insert the next `rows` staged rows in their order (a call at a time, so searches interleave). */
  insert: (p: { run: number; rows: number }) => {
    const build = buildOf(p.run);
    if (!build.order) throw new Error(`build of run ${p.run} not ordered`);
    const ids = build.order.subarray(build.next, build.next + p.rows);
    if (ids.length > 0)
      addRows(indexOf(p.run), build.staging.keysOf(ids), build.staging.gather(ids), threads);
    build.next += ids.length;
    const left = build.order.length - build.next;
    if (left === 0) {
      builds.delete(p.run);
      // Once this call returned: its frame still holds the staging.
      setImmediate(collectGarbage);
    }
    return { result: { size: indexOf(p.run).size(), left } };
  },
  /** Make a finished staging index the live one (searches never see a half-built index). */
  promote: (p: { from: number; to: number }) => {
    indexes.set(p.to, indexOf(p.from));
    indexes.delete(p.from);
    return undefined;
  },
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
    if (builds.delete(p.run)) setImmediate(collectGarbage);
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
