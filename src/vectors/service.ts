import type { Logger } from '../deps.ts';
import type { Db } from '../store/database.ts';
import type { KnnPart } from '../store/knn-parts.ts';
import type { EmbeddingChunk, EmbeddingFingerprint } from '../store/vectors.ts';
import { createIndexCache } from './index-cache.ts';
import { createIndexWorker } from './index-worker.ts';
import { createSearch } from './search.ts';

/**
 * How an index stores its vectors: f32, or two bytes per number (half the memory). New large
 * indexes take bf16; f16 is what earlier versions built, and their saved indexes still load as it.
 */
export type Quantization = 'f32' | 'f16' | 'bf16';

export interface IndexInfo {
  runId: number;
  count: number;
  dim: number;
  quantization: Quantization;
  /** True when this call built the index from the embeddings table, false when it was loaded or already open. */
  built: boolean;
  /** Where it is saved, or null when the service keeps indexes in memory only. */
  path: string | null;
  /** The embeddings it holds, or null when they changed while it was built (it is never saved then). */
  fingerprint: EmbeddingFingerprint | null;
}

/**
 * How `ensureIndex` checks an index already open in this process. `recheck`: against the
 * embeddings table (one scan of the run's embeddings). `expect`: the embeddings the caller needs
 * (a kNN pass's, for its chunks), so an index this process opened before a re-import is not
 * searched in their place; one that holds them is taken without the scan.
 */
export interface EnsureIndexOptions {
  recheck?: boolean;
  expect?: EmbeddingFingerprint;
}

/** Neighbours as rows of k positions into `rowIds`; -1 (and distance Infinity) pads missing ones. */
export interface KnnGraph {
  rowIds: Float64Array;
  k: number;
  indices: Int32Array;
  distances: Float32Array;
}

export interface SearchHits {
  /** n×k row ids, -1 where fewer than k were found. */
  keys: Float64Array;
  distances: Float32Array;
  counts: Uint32Array;
  k: number;
}

export interface VectorService {
  /** Open the run's index: loaded from disk when its sidecar matches the embeddings, else rebuilt. */
  ensureIndex(db: Db, runId: number, opts?: EnsureIndexOptions): Promise<IndexInfo>;
  /**
   * kNN search of n flat query vectors in an open index. `breadth` overrides the service's
   * `searchBreadth` for this call (candidates explored per query; never fewer than k).
   */
  search(runId: number, queries: Float32Array, k: number, opts?: { breadth?: number }): Promise<SearchHits>;
  /** The self-excluded kNN graph over every embedded row of the run. */
  knn(db: Db, runId: number, k: number): Promise<KnnGraph>;
  /** The self-excluded kNN graph of rows `rowIds` (ascending) whose vectors come in `chunks`, in order. */
  knnFrom(
    runId: number,
    rowIds: Float64Array,
    chunks: AsyncIterable<EmbeddingChunk> | Iterable<EmbeddingChunk>,
    k: number,
  ): Promise<KnnGraph>;
  /**
   * The self-excluded neighbours (as row ids) of the rows whose vectors come in `chunks`: one part
   * of a kNN pass split into chunk jobs.
   */
  knnRows(
    runId: number,
    chunks: AsyncIterable<EmbeddingChunk> | Iterable<EmbeddingChunk>,
    k: number,
  ): Promise<KnnPart>;
  /**
   * The self-excluded kNN graph among the given vectors only (positions 0..n-1). Their buffer is
   * transferred to the worker: pass a copy to keep them.
   */
  knnOf(
    vectors: Float32Array,
    dim: number,
    k: number,
  ): Promise<{ indices: Int32Array; distances: Float32Array }>;
  /** Build a run's index from chunks in the worker, without saving (benchmarks, tests). */
  buildFrom(
    runId: number,
    chunks: AsyncIterable<EmbeddingChunk> | Iterable<EmbeddingChunk>,
    opts: { dim: number; count: number; quantization?: Quantization },
  ): Promise<void>;
  /**
   * Close every open index and end the worker thread now, so their memory (hundreds of MB at a
   * million rows) is back before the caller's next step; the next call starts a new thread and
   * loads what it needs. For a process whose remaining work needs no index: never a server's.
   */
  releaseIndexes(): Promise<void>;
  close(): Promise<void>;
}

export interface VectorServiceOptions {
  /** Indexes are saved in `<dataDir>/indexes`; null keeps them in memory only. */
  dataDir: string | null;
  logger: Logger;
  /** usearch threads for add and batch search (0 = all cores). */
  threads?: number;
  /** 'auto' = f32, or bf16 when an f32 index would pass `compactAboveBytes`. */
  quantization?: Quantization | 'auto';
  /**
   * Default 256 MiB (about 400k × 128). Measured with cosine, connectivity 16, on clustered 128-d
   * vectors: f16 found the same share of the exact neighbours as f32 (0.852 / 0.848 at 100k,
   * 0.664 / 0.666 at 300k), built 1.2–1.5× faster, searched 1.5–1.7× faster, in half the memory.
   * bf16 (the same memory; a number converts by a shift where f16 needs a conversion) against f16,
   * side by side on 300k × 128 Gaussian clusters (the vectors bench): built 1.27× faster, kNN
   * self-queries 1.45× faster, recall@10 0.963 / 0.960 at breadth 64 and 0.983 / 0.990 at 512; at
   * 1M × 128 in the answers bench the index 280 s instead of 366 s. Small indexes stay f32: their
   * distances are shown to the digit.
   */
  compactAboveBytes?: number;
  connectivity?: number;
  /** HNSW insertion breadth of a build under ORDERED_FROM rows, inserted in the order they came. */
  expansionAdd?: number;
  /**
   * HNSW insertion breadth of a larger build, whose rows go in a random fifth first, then grouped
   * by nearest centroid (see insertionOrder). Measured side by side on 1M × 128 Gaussian clusters
   * (the vectors bench's data) in bf16: in arrival order with 64, the build took 159 s, 20k
   * self-queries 4.4 s, recall@11 0.911; reordered with 80, 2.7 s to order and 50 s to build,
   * 1.7 s, 0.926. Reordered with 64 (and one level of 256 centroids) recall fell to 0.853.
   */
  orderedExpansionAdd?: number;
  /**
   * HNSW search breadth of the kNN graph's self-queries (one per embedded row: speed matters more
   * than the last neighbour, and neighbour votes are weighted anyway).
   */
  expansionSearch?: number;
  /**
   * HNSW search breadth of `search` (find-similar: few queries, the answer a person reads). usearch
   * explores max(expansion, k) candidates, so a wide search asks for `breadth` hits and keeps k.
   * Measured at 1M × 128 f16, connectivity 16: recall@10 0.914 at 64, 0.931 at 128, 0.948 at 256,
   * 0.963 at 512 (p50 0.85 ms, p99 2.2 ms per query; see the bench).
   */
  searchBreadth?: number;
  /** Rows per page read from the embeddings table and sent to the worker. */
  pageSize?: number;
  /**
   * Share built indexes through the database (Postgres, several instances): a build is stored
   * there, and an instance without a current file copies it instead of building its own.
   */
  shareIndexes?: boolean;
}

/**
 * The vector search service: one worker thread holding one usearch index (cosine) per run,
 * keyed by data row id, saved beside the data and rebuilt from the embeddings table when
 * missing or stale. The composition root creates one and puts it on `deps.vectors`.
 *
 * @example
 * const vectors = createVectorService({ dataDir: config.LOUPE_DATA, threads: 2, logger });
 * await vectors.ensureIndex(db, runId);
 * const hits = await vectors.search(runId, queryVectors, 10);
 * await vectors.close();
 */
export function createVectorService({
  dataDir,
  logger,
  threads = 2,
  quantization = 'auto',
  compactAboveBytes = 256 << 20,
  connectivity = 16,
  expansionAdd = 64,
  orderedExpansionAdd = 80,
  expansionSearch = 64,
  searchBreadth = 512,
  pageSize = 5000,
  shareIndexes = false,
}: VectorServiceOptions): VectorService {
  const worker = createIndexWorker({
    threads,
    connectivity,
    expansionAdd,
    orderedExpansionAdd,
    expansionSearch,
  });
  const cache = createIndexCache({
    worker,
    dataDir,
    logger,
    quantization,
    compactAboveBytes,
    connectivity,
    pageSize,
    shareIndexes,
  });
  return {
    ensureIndex: cache.ensureIndex,
    ...createSearch({ worker, cache, searchBreadth, pageSize }),
    buildFrom: cache.buildFrom,
    async releaseIndexes() {
      cache.clear();
      await worker.stop();
    },
    async close() {
      cache.clear();
      await worker.close();
    },
  };
}
