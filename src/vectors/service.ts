import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import type { Db } from '../store/database.ts';
import type { Logger } from '../deps.ts';
import {
  type EmbeddingChunk,
  type EmbeddingFingerprint,
  embeddedRowIds,
  embeddingFingerprint,
  readEmbeddingChunks,
} from '../store/vectors.ts';
import { saveSharedIndex, sharedIndexHeader, sharedIndexParts } from '../store/vector-indexes.ts';
import { workerClient } from './rpc.ts';
import { spawnTsWorker } from './ts-worker.ts';

/** Similarity search on a run without embeddings: the caller's request, not our failure. */
export class NoEmbeddingsError extends Error {
  override name = 'NoEmbeddingsError';
}

/**
 * What to tell someone who asked for neighbours in a run without embeddings: the command that
 * fixes it, with the run's name (every surface says the same).
 *
 * @example
 * noEmbeddingsAdvice('digits-logreg'); // 'run digits-logreg has no embeddings: add them with `loupe ingest embeddings --run digits-logreg --path emb.npy`'
 */
export function noEmbeddingsAdvice(runName: string): string {
  const arg = /^[\w.-]+$/.test(runName) ? runName : `'${runName.replace(/'/g, `'\\''`)}'`;
  return `run ${runName} has no embeddings: add them with \`loupe ingest embeddings --run ${arg} --path emb.npy\``;
}

export type Quantization = 'f32' | 'f16';

/** Bumped when the saved index or sidecar format changes: older files are rebuilt. */
const FORMAT_VERSION = 1;

export interface IndexInfo {
  runId: number;
  count: number;
  dim: number;
  quantization: Quantization;
  /** True when this call built the index from the embeddings table, false when it was loaded or already open. */
  built: boolean;
  /** Where it is saved, or null when the service keeps indexes in memory only. */
  path: string | null;
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
  ensureIndex(db: Db, runId: number, opts?: { recheck?: boolean }): Promise<IndexInfo>;
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
  /** The self-excluded kNN graph among the given vectors only (positions 0..n-1). */
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
  close(): Promise<void>;
}

export interface VectorServiceOptions {
  /** Indexes are saved in `<dataDir>/indexes`; null keeps them in memory only. */
  dataDir: string | null;
  logger: Logger;
  /** usearch threads for add and batch search (0 = all cores). */
  threads?: number;
  /** 'auto' = f32, or f16 when an f32 index would pass `f16AboveBytes`. */
  quantization?: Quantization | 'auto';
  f16AboveBytes?: number;
  connectivity?: number;
  expansionAdd?: number;
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

/** Bytes per stored part of a shared index file. */
const SHARED_PART_BYTES = 8 << 20;

interface Sidecar {
  version: number;
  runId: number;
  fingerprint: EmbeddingFingerprint;
  quantization: Quantization;
  connectivity: number;
  /** The index file this sidecar describes: two processes saving at once cannot pair one's index with the other's sidecar. */
  file: { ino: number; size: number };
  builtAt: string;
}

interface OpenIndex {
  info: IndexInfo;
  fingerprint: EmbeddingFingerprint | null;
}

const sameFingerprint = (a: EmbeddingFingerprint, b: EmbeddingFingerprint) =>
  a.count === b.count &&
  a.dim === b.dim &&
  a.maxRowId === b.maxRowId &&
  a.sumRowId === b.sumRowId &&
  a.hash === b.hash;

/** Rough f32 HNSW footprint: the vectors plus the level-0 neighbour lists (2 × connectivity × 4 bytes). */
export function estimateIndexBytes(count: number, dim: number, connectivity: number): number {
  return count * (dim * 4 + 2 * connectivity * 4 + 16);
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
  f16AboveBytes = 1 << 30,
  connectivity = 16,
  expansionAdd = 64,
  expansionSearch = 64,
  searchBreadth = 512,
  pageSize = 5000,
  shareIndexes = false,
}: VectorServiceOptions): VectorService {
  const client = workerClient(spawnTsWorker(new URL('./worker.ts', import.meta.url), { threads }));
  const open = new Map<number, OpenIndex>();
  const inFlight = new Map<number, Promise<IndexInfo>>();
  const indexDir = dataDir ? join(dataDir, 'indexes') : null;
  const params = (dim: number, q: Quantization) => ({
    dim,
    quantization: q,
    connectivity,
    expansionAdd,
    expansionSearch,
  });

  const chooseQuantization = (count: number, dim: number): Quantization =>
    quantization !== 'auto'
      ? quantization
      : estimateIndexBytes(count, dim, connectivity) > f16AboveBytes
        ? 'f16'
        : 'f32';

  async function build(
    runId: number,
    chunks: AsyncIterable<EmbeddingChunk> | Iterable<EmbeddingChunk>,
    dim: number,
    q: Quantization,
  ): Promise<number> {
    // Built under a staging slot and promoted when complete, so searches keep the old index meanwhile.
    const staging = -runId;
    await client.call('create', { run: staging, ...params(dim, q) });
    try {
      // One chunk in flight: the next page is read from the database while the worker adds this one.
      let adding: Promise<{ size: number }> = Promise.resolve({ size: 0 });
      for await (const chunk of chunks) {
        await adding;
        adding = client.call<{ size: number }>(
          'add',
          { run: staging, keys: chunk.rowIds, vectors: chunk.vectors },
          [chunk.rowIds.buffer, chunk.vectors.buffer],
        );
        // Handled here so a failing read of the next page cannot leave it an unhandled rejection.
        adding.catch(() => {});
      }
      const { size } = await adding;
      await client.call('promote', { from: staging, to: runId });
      return size;
    } catch (err) {
      await client.call('drop', { run: staging }).catch(() => {});
      throw err;
    }
  }

  async function readSidecar(path: string): Promise<Sidecar | null> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as Sidecar;
    } catch {
      return null;
    }
  }

  /** The index saved on this disk, when its sidecar says it matches the embeddings. */
  async function loadSaved(
    runId: number,
    fp: EmbeddingFingerprint,
    path: string,
    sidecarPath: string,
  ): Promise<IndexInfo | null> {
    const side = await readSidecar(sidecarPath);
    const file = await stat(path);
    if (
      side?.version === FORMAT_VERSION &&
      sameFingerprint(side.fingerprint, fp) &&
      side.file?.ino === file.ino &&
      side.file?.size === file.size
    ) {
      try {
        const { size } = await client.call<{ size: number }>('load', {
          run: runId,
          path,
          ...params(fp.dim, side.quantization),
        });
        if (size === fp.count) {
          const info: IndexInfo = {
            runId,
            count: size,
            dim: fp.dim,
            quantization: side.quantization,
            built: false,
            path,
          };
          open.set(runId, { info, fingerprint: fp });
          logger.info('vector index loaded', { runId, count: size, path });
          return info;
        }
        logger.warn('vector index size differs from its sidecar; rebuilding', {
          runId,
          size,
          expected: fp.count,
        });
      } catch (err) {
        logger.warn('vector index unreadable; rebuilding', { runId, path, error: (err as Error).message });
      }
    } else {
      logger.info('vector index stale; rebuilding', { runId, path });
    }
    return null;
  }

  /** Copy the index another instance stored in the database to this disk, then load it. */
  async function copyShared(
    db: Db,
    runId: number,
    fp: EmbeddingFingerprint,
    path: string,
    sidecarPath: string,
  ): Promise<IndexInfo | null> {
    const header = await sharedIndexHeader(db, runId);
    const meta = header?.meta as
      | { version?: number; fingerprint?: EmbeddingFingerprint; quantization?: Quantization }
      | undefined;
    if (
      !header ||
      !meta?.fingerprint ||
      meta.version !== FORMAT_VERSION ||
      !sameFingerprint(meta.fingerprint, fp)
    )
      return null;
    await mkdir(indexDir!, { recursive: true });
    const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await pipeline(sharedIndexParts(db, runId, header.parts), createWriteStream(tmp));
      await rename(tmp, path);
      await writeSidecar(runId, fp, meta.quantization ?? 'f32', path, sidecarPath);
    } catch (err) {
      await rm(tmp, { force: true });
      logger.warn('shared vector index not copied; building', { runId, error: (err as Error).message });
      return null;
    }
    logger.info('vector index copied from the database', { runId, bytes: header.bytes });
    return loadSaved(runId, fp, path, sidecarPath);
  }

  async function writeSidecar(
    runId: number,
    fp: EmbeddingFingerprint,
    q: Quantization,
    path: string,
    sidecarPath: string,
  ): Promise<void> {
    const file = await stat(path);
    const side: Sidecar = {
      version: FORMAT_VERSION,
      runId,
      fingerprint: fp,
      quantization: q,
      connectivity,
      file: { ino: file.ino, size: file.size },
      builtAt: new Date().toISOString(),
    };
    const sideTmp = `${sidecarPath}.tmp-${process.pid}`;
    await writeFile(sideTmp, JSON.stringify(side, null, 2));
    await rename(sideTmp, sidecarPath);
  }

  async function* fileParts(path: string): AsyncGenerator<Buffer> {
    for await (const chunk of createReadStream(path, { highWaterMark: SHARED_PART_BYTES }))
      yield chunk as Buffer;
  }

  async function openOrBuild(db: Db, runId: number, recheck: boolean): Promise<IndexInfo> {
    const current = open.get(runId);
    if (current && !recheck) return { ...current.info, built: false };
    const fp = await embeddingFingerprint(db, runId);
    if (fp.count === 0)
      throw new NoEmbeddingsError(`run ${runId} has no embeddings: import them to search by similarity`);
    if (current?.fingerprint && sameFingerprint(current.fingerprint, fp))
      return { ...current.info, built: false };
    const path = indexDir ? join(indexDir, `run-${runId}.usearch`) : null;
    const sidecarPath = indexDir ? join(indexDir, `run-${runId}.json`) : null;

    if (path && sidecarPath && existsSync(path)) {
      const loaded = await loadSaved(runId, fp, path, sidecarPath);
      if (loaded) return loaded;
    }
    if (shareIndexes && path && sidecarPath) {
      const copied = await copyShared(db, runId, fp, path, sidecarPath);
      if (copied) return copied;
    }

    const q = chooseQuantization(fp.count, fp.dim);
    const started = Date.now();
    const size = await build(runId, readEmbeddingChunks(db, runId, { dim: fp.dim, pageSize }), fp.dim, q);
    const info: IndexInfo = { runId, count: size, dim: fp.dim, quantization: q, built: true, path };
    // Embeddings changed while we read them: keep the index for now, but never save it as current.
    const consistent = size === fp.count;
    if (path && sidecarPath && consistent) {
      await mkdir(indexDir!, { recursive: true });
      const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      try {
        await client.call('save', { run: runId, path: tmp });
        await rename(tmp, path);
        await writeSidecar(runId, fp, q, path, sidecarPath);
        if (shareIndexes) {
          const stored = await saveSharedIndex(
            db,
            runId,
            { version: FORMAT_VERSION, fingerprint: fp, quantization: q, connectivity },
            fileParts(path),
          );
          logger.info('vector index stored for every instance', { runId, ...stored });
        }
      } catch (err) {
        await rm(tmp, { force: true });
        logger.warn('vector index not saved', { runId, path, error: (err as Error).message });
      }
    }
    open.set(runId, { info, fingerprint: consistent ? fp : null });
    logger.info('vector index built', {
      runId,
      count: size,
      dim: fp.dim,
      quantization: q,
      seconds: (Date.now() - started) / 1000,
    });
    return info;
  }

  const service: VectorService = {
    ensureIndex(db, runId, { recheck = false } = {}) {
      const running = inFlight.get(runId);
      if (running) return running;
      const p = openOrBuild(db, runId, recheck).finally(() => inFlight.delete(runId));
      inFlight.set(runId, p);
      return p;
    },

    async search(runId, queries, k, { breadth = searchBreadth } = {}) {
      if (!open.has(runId)) throw new Error(`no vector index open for run ${runId}: call ensureIndex first`);
      return client.call<SearchHits>('search', { run: runId, queries, k, breadth });
    },

    async knn(db, runId, k) {
      const info = await service.ensureIndex(db, runId);
      const rowIds = await embeddedRowIds(db, runId);
      return service.knnFrom(runId, rowIds, readEmbeddingChunks(db, runId, { dim: info.dim, pageSize }), k);
    },

    async knnFrom(runId, rowIds, chunks, k) {
      if (!Number.isInteger(k) || k < 1) throw new Error(`knn: k must be a positive integer, got ${k}`);
      if (!open.has(runId)) throw new Error(`no vector index open for run ${runId}: call ensureIndex first`);
      const n = rowIds.length;
      const indices = new Int32Array(n * k);
      const distances = new Float32Array(n * k);
      const changed = () => new Error(`run ${runId}: embeddings changed during the kNN pass; run it again`);
      await client.call('knnBegin', { run: runId, rowIds: rowIds.slice() });
      try {
        let offset = 0;
        // One chunk in flight, as in build: reading overlaps searching.
        let pending: Promise<void> = Promise.resolve();
        for await (const chunk of chunks) {
          const at = offset;
          if (at + chunk.rowIds.length > n || chunk.rowIds[0] !== rowIds[at]) throw changed();
          offset += chunk.rowIds.length;
          await pending;
          pending = client
            .call<{ indices: Int32Array; distances: Float32Array }>(
              'knn',
              { run: runId, keys: chunk.rowIds, vectors: chunk.vectors, k },
              [chunk.rowIds.buffer, chunk.vectors.buffer],
            )
            .then((r) => {
              indices.set(r.indices, at * k);
              distances.set(r.distances, at * k);
            });
          pending.catch(() => {});
        }
        await pending;
        if (offset !== n) throw changed();
      } finally {
        await client.call('knnEnd', { run: runId }).catch(() => {});
      }
      return { rowIds, k, indices, distances };
    },

    knnOf(vectors, dim, k) {
      return client.call('knnOf', { vectors, k, ...params(dim, 'f32') });
    },

    async buildFrom(runId, chunks, { dim, count, quantization: q }) {
      const size = await build(runId, chunks, dim, q ?? chooseQuantization(count, dim));
      open.set(runId, {
        info: {
          runId,
          count: size,
          dim,
          quantization: q ?? chooseQuantization(count, dim),
          built: true,
          path: null,
        },
        fingerprint: null,
      });
    },

    async close() {
      open.clear();
      await client.close();
    },
  };
  return service;
}
