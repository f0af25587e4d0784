import type { EmbeddingChunk } from '../store/vectors.ts';
import { workerClient } from './rpc.ts';
import type { Quantization, SearchHits } from './service.ts';
import { spawnTsWorker } from './ts-worker.ts';

/**
 * Rows a build inserts per call to the worker. A search of another run waits for the call under
 * way: measured at 300k × 128 (the vectors bench), 5,000 a call made those searches wait p50
 * 159–227 ms, p99 567–695 ms; 1,250 a call p50 24–28 ms, p99 76–128 ms, at the same build time and
 * recall. At 1M a call of 5,000 took about a second.
 */
const INSERT_BATCH = 1_250;

/** The HNSW parameters every index of a service is created with. */
export interface HnswParams {
  connectivity: number;
  expansionAdd: number;
  /** The insertion breadth of a build of ORDERED_FROM rows or more, whose rows are reordered. */
  orderedExpansionAdd: number;
  expansionSearch: number;
}

/** One kNN answer: per query row, k positions into the pass's row ids and their distances. */
export interface KnnRows {
  indices: Int32Array;
  distances: Float32Array;
}

/**
 * The usearch worker thread as typed calls (every usearch call blocks, so indexes live there).
 * Index slots are keyed by run id; a build fills the slot `-runId` and promotes it when complete.
 */
export interface IndexWorker {
  /**
   * Build a run's index from chunks; returns its size. Searches keep the old index meanwhile. The
   * rows are staged in the worker, then inserted in the order insertionOrder chooses.
   */
  build(
    runId: number,
    chunks: AsyncIterable<EmbeddingChunk> | Iterable<EmbeddingChunk>,
    dim: number,
    q: Quantization,
  ): Promise<number>;
  /** Load a saved index file into the run's slot; returns its size. */
  load(runId: number, path: string, dim: number, q: Quantization): Promise<number>;
  save(runId: number, path: string): Promise<void>;
  search(runId: number, queries: Float32Array, k: number, breadth: number): Promise<SearchHits>;
  /** Start a kNN pass over the run's rows `rowIds`: results come as positions into them. */
  knnBegin(runId: number, rowIds: Float64Array): Promise<void>;
  /** Self-excluded neighbours of one chunk of the pass (its buffers are transferred). */
  knnChunk(runId: number, chunk: EmbeddingChunk, k: number): Promise<KnnRows>;
  knnEnd(runId: number): Promise<void>;
  /** Self-excluded neighbours of one chunk as row ids, with no pass begun (a chunk job's part). */
  knnRows(
    runId: number,
    chunk: EmbeddingChunk,
    k: number,
  ): Promise<{ indices: Float64Array; distances: Float32Array }>;
  /**
   * The self-excluded kNN graph among the given vectors only, in a throwaway f32 index. The
   * vectors' buffer is transferred: the caller no longer has them.
   */
  knnOf(vectors: Float32Array, dim: number, k: number): Promise<KnnRows>;
  /** End the thread and every index in it now; the next call starts an empty one. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Spawn the usearch worker thread and speak its protocol (src/vectors/worker.ts).
 *
 * @example
 * const worker = createIndexWorker({ threads: 2, connectivity: 16, expansionAdd: 64, orderedExpansionAdd: 80, expansionSearch: 64 });
 * const size = await worker.build(runId, chunks, 128, 'f32');
 */
export function createIndexWorker({
  threads,
  connectivity,
  expansionAdd,
  orderedExpansionAdd,
  expansionSearch,
}: HnswParams & { threads: number }): IndexWorker {
  const client = workerClient(() => spawnTsWorker(new URL('./worker.ts', import.meta.url), { threads }));
  const params = (dim: number, q: Quantization) => ({
    dim,
    quantization: q,
    connectivity,
    expansionAdd,
    orderedExpansionAdd,
    expansionSearch,
  });

  return {
    async build(runId, chunks, dim, q) {
      // Built under a staging slot and promoted when complete, so searches keep the old index meanwhile.
      const slot = -runId;
      await client.call('create', { run: slot, ...params(dim, q) });
      try {
        // One page in flight: the next is read from the database while the worker stages this one.
        let staged: Promise<unknown> = Promise.resolve();
        for await (const chunk of chunks) {
          await staged;
          staged = client.call('stage', { run: slot, keys: chunk.rowIds, vectors: chunk.vectors }, [
            chunk.rowIds.buffer,
            chunk.vectors.buffer,
          ]);
          // Handled here so a failing read of the next page cannot leave it an unhandled rejection.
          staged.catch(() => {});
        }
        await staged;
        // Ordered, then inserted, a batch a call, so that searches of other runs are answered in between.
        let ordered: { done: boolean };
        do ordered = await client.call('order', { run: slot });
        while (!ordered.done);
        let step: { size: number; left: number };
        do step = await client.call('insert', { run: slot, rows: INSERT_BATCH });
        while (step.left > 0);
        const { size } = step;
        await client.call('promote', { from: slot, to: runId });
        return size;
      } catch (err) {
        await client.call('drop', { run: slot }).catch(() => {});
        throw err;
      }
    },

    async load(runId, path, dim, q) {
      const { size } = await client.call<{ size: number }>('load', { run: runId, path, ...params(dim, q) });
      return size;
    },

    async save(runId, path) {
      await client.call('save', { run: runId, path });
    },

    search(runId, queries, k, breadth) {
      return client.call<SearchHits>('search', { run: runId, queries, k, breadth });
    },

    async knnBegin(runId, rowIds) {
      await client.call('knnBegin', { run: runId, rowIds });
    },

    knnChunk(runId, chunk, k) {
      return client.call<KnnRows>('knn', { run: runId, keys: chunk.rowIds, vectors: chunk.vectors, k }, [
        chunk.rowIds.buffer,
        chunk.vectors.buffer,
      ]);
    },

    async knnEnd(runId) {
      await client.call('knnEnd', { run: runId });
    },

    knnRows(runId, chunk, k) {
      return client.call<{ indices: Float64Array; distances: Float32Array }>(
        'knnRows',
        { run: runId, keys: chunk.rowIds, vectors: chunk.vectors, k },
        [chunk.rowIds.buffer, chunk.vectors.buffer],
      );
    },

    knnOf(vectors, dim, k) {
      return client.call('knnOf', { vectors, k, ...params(dim, 'f32') }, [vectors.buffer]);
    },

    stop: () => client.stop(),
    close: () => client.close(),
  };
}
