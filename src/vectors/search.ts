import type { Db } from '../store/database.ts';
import { type EmbeddingChunk, embeddedRowIds, readEmbeddingChunks } from '../store/vectors.ts';
import type { KnnPart } from '../store/knn-parts.ts';
import type { IndexCache } from './index-cache.ts';
import type { IndexWorker } from './index-worker.ts';
import type { KnnGraph, VectorService } from './service.ts';

export interface SearchOptions {
  worker: IndexWorker;
  cache: IndexCache;
  /** Candidates explored per `search` query unless the call says otherwise. */
  searchBreadth: number;
  /** Rows per page read from the embeddings table for a kNN pass. */
  pageSize: number;
}

/**
 * Searches of open indexes: kNN queries (find-similar) and the self-excluded kNN graph of a run's
 * rows, streamed chunk by chunk to the worker.
 *
 * @example
 * const { search, knn } = createSearch({ worker, cache, searchBreadth: 512, pageSize: 5000 });
 */
export function createSearch({
  worker,
  cache,
  searchBreadth,
  pageSize,
}: SearchOptions): Pick<VectorService, 'search' | 'knn' | 'knnFrom' | 'knnRows' | 'knnOf'> {
  const requireOpen = (runId: number) => {
    if (!cache.opened(runId))
      throw new Error(`no vector index open for run ${runId}: call ensureIndex first`);
  };

  async function knnFrom(
    runId: number,
    rowIds: Float64Array,
    chunks: AsyncIterable<EmbeddingChunk> | Iterable<EmbeddingChunk>,
    k: number,
  ): Promise<KnnGraph> {
    if (!Number.isInteger(k) || k < 1) throw new Error(`knn: k must be a positive integer, got ${k}`);
    requireOpen(runId);
    const n = rowIds.length;
    const indices = new Int32Array(n * k);
    const distances = new Float32Array(n * k);
    const changed = () => new Error(`run ${runId}: embeddings changed during the kNN pass; run it again`);
    await worker.knnBegin(runId, rowIds.slice());
    try {
      let offset = 0;
      // One chunk in flight, as in a build: reading overlaps searching.
      let pending: Promise<void> = Promise.resolve();
      for await (const chunk of chunks) {
        const at = offset;
        if (at + chunk.rowIds.length > n || chunk.rowIds[0] !== rowIds[at]) throw changed();
        offset += chunk.rowIds.length;
        await pending;
        pending = worker.knnChunk(runId, chunk, k).then((r) => {
          indices.set(r.indices, at * k);
          distances.set(r.distances, at * k);
        });
        pending.catch(() => {});
      }
      await pending;
      if (offset !== n) throw changed();
    } finally {
      await worker.knnEnd(runId).catch(() => {});
    }
    return { rowIds, k, indices, distances };
  }

  return {
    async search(runId, queries, k, { breadth = searchBreadth } = {}) {
      requireOpen(runId);
      return worker.search(runId, queries, k, breadth);
    },

    async knn(db: Db, runId, k) {
      const info = await cache.ensureIndex(db, runId);
      const rowIds = await embeddedRowIds(db, runId);
      return knnFrom(runId, rowIds, readEmbeddingChunks(db, runId, { dim: info.dim, pageSize }), k);
    },

    knnFrom,

    async knnRows(runId, chunks, k) {
      if (!Number.isInteger(k) || k < 1) throw new Error(`knn: k must be a positive integer, got ${k}`);
      requireOpen(runId);
      const found: { rowIds: Float64Array; neighbours: Float64Array; distances: Float32Array }[] = [];
      // One chunk in flight, as in knnFrom: reading overlaps searching.
      let pending: Promise<void> = Promise.resolve();
      for await (const chunk of chunks) {
        await pending;
        const rowIds = chunk.rowIds.slice();
        pending = worker.knnRows(runId, chunk, k).then((r) => {
          found.push({ rowIds, neighbours: r.indices, distances: r.distances });
        });
        pending.catch(() => {});
      }
      await pending;
      const n = found.reduce((s, f) => s + f.rowIds.length, 0);
      const out: KnnPart = {
        rowIds: new Float64Array(n),
        k,
        neighbours: new Float64Array(n * k),
        distances: new Float32Array(n * k),
      };
      let at = 0;
      for (const f of found) {
        out.rowIds.set(f.rowIds, at);
        out.neighbours.set(f.neighbours, at * k);
        out.distances.set(f.distances, at * k);
        at += f.rowIds.length;
      }
      return out;
    },

    knnOf: (vectors, dim, k) => worker.knnOf(vectors, dim, k),
  };
}
