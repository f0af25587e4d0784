import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../deps.ts';
import type { Db } from '../store/database.ts';
import { embeddingsVersion } from '../store/embeddings-version.ts';
import {
  type EmbeddingChunk,
  type EmbeddingFingerprint,
  embeddingFingerprint,
  readEmbeddingChunks,
} from '../store/vectors.ts';
import { sameFingerprint } from './index-files.ts';
import type { IndexWorker } from './index-worker.ts';
import { createSavedIndexes } from './saved-index.ts';
import type { EnsureIndexOptions, IndexInfo, Quantization } from './service.ts';

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

/** Rough f32 HNSW footprint: the vectors plus the level-0 neighbour lists (2 × connectivity × 4 bytes). */
export function estimateIndexBytes(count: number, dim: number, connectivity: number): number {
  return count * (dim * 4 + 2 * connectivity * 4 + 16);
}

export interface IndexCacheOptions {
  worker: IndexWorker;
  /** Indexes are saved in `<dataDir>/indexes`; null keeps them in memory only. */
  dataDir: string | null;
  logger: Logger;
  quantization: Quantization | 'auto';
  compactAboveBytes: number;
  connectivity: number;
  pageSize: number;
  shareIndexes: boolean;
}

export interface IndexCache {
  /** Open the run's index: loaded from disk when its sidecar matches the embeddings, else rebuilt. */
  ensureIndex(db: Db, runId: number, opts?: EnsureIndexOptions): Promise<IndexInfo>;
  /** The run's open index, if any. */
  opened(runId: number): IndexInfo | undefined;
  /** Build a run's index from chunks in the worker, without saving (benchmarks, tests). */
  buildFrom(
    runId: number,
    chunks: AsyncIterable<EmbeddingChunk> | Iterable<EmbeddingChunk>,
    opts: { dim: number; count: number; quantization?: Quantization },
  ): Promise<void>;
  /** Forget every open index (the worker holding them is closed by its owner). */
  clear(): void;
}

/**
 * Which index of each run is open in the worker, and how it got there: already open, loaded from
 * this disk, copied from the database (another instance built it), or built from the embeddings
 * table and saved. One open or build per run at a time.
 *
 * @example
 * const cache = createIndexCache({ worker, dataDir, logger, quantization: 'auto', … });
 * const info = await cache.ensureIndex(db, runId);
 */
export function createIndexCache({
  worker,
  dataDir,
  logger,
  quantization,
  compactAboveBytes,
  connectivity,
  pageSize,
  shareIndexes,
}: IndexCacheOptions): IndexCache {
  const open = new Map<number, IndexInfo>();
  const inFlight = new Map<number, Promise<IndexInfo>>();
  const indexDir = dataDir ? join(dataDir, 'indexes') : null;
  const saved = createSavedIndexes({ worker, logger, connectivity, shareIndexes });
  const remember = (info: IndexInfo) => {
    open.set(info.runId, info);
    return info;
  };
  const holds = (info: IndexInfo, fp: EmbeddingFingerprint) =>
    info.fingerprint !== null && sameFingerprint(info.fingerprint, fp);

  const chooseQuantization = (count: number, dim: number): Quantization =>
    quantization !== 'auto'
      ? quantization
      : estimateIndexBytes(count, dim, connectivity) > compactAboveBytes
        ? 'bf16'
        : 'f32';

  /** The run's embeddings version (see embeddingsVersion) each open index was last checked at. */
  const checkedAt = new Map<number, number>();

  /** An open index a plain call may take: unless another import wrote the run's embeddings since. */
  async function stillCurrent(db: Db, runId: number): Promise<boolean> {
    const at = checkedAt.get(runId);
    return at === undefined || at === (await embeddingsVersion(db, runId));
  }

  async function openOrBuild(
    db: Db,
    runId: number,
    { recheck = false, expect }: EnsureIndexOptions,
  ): Promise<IndexInfo> {
    const current = open.get(runId);
    // A call that names the embeddings it needs takes an index holding them; a plain one (a
    // find-similar, a small run's analysis) checks that no process wrote them since, in one lookup.
    if (current && !recheck && (expect ? holds(current, expect) : await stillCurrent(db, runId)))
      return { ...current, built: false };
    // Read before the fingerprint: an import committing in between makes the next call check again.
    const version = await embeddingsVersion(db, runId);
    const checked = (info: IndexInfo) => {
      checkedAt.set(runId, version);
      return info;
    };
    const fp = await embeddingFingerprint(db, runId);
    if (fp.count === 0)
      throw new NoEmbeddingsError(`run ${runId} has no embeddings: import them to search by similarity`);
    if (current && holds(current, fp)) return checked({ ...current, built: false });
    const path = indexDir ? join(indexDir, `run-${runId}.usearch`) : null;
    const sidecarPath = indexDir ? join(indexDir, `run-${runId}.json`) : null;

    if (path && sidecarPath && existsSync(path)) {
      const loaded = await saved.load(runId, fp, path, sidecarPath);
      if (loaded) return checked(remember(loaded));
    }
    if (shareIndexes && path && sidecarPath) {
      const copied = await saved.copyShared(db, runId, fp, path, sidecarPath);
      if (copied) return checked(remember(copied));
    }

    const q = chooseQuantization(fp.count, fp.dim);
    const started = Date.now();
    const chunks = readEmbeddingChunks(db, runId, { dim: fp.dim, pageSize });
    const size = await worker.build(runId, chunks, fp.dim, q);
    // Embeddings changed while we read them: keep the index for now, but never save it as current.
    const consistent = size === fp.count;
    const info: IndexInfo = {
      runId,
      count: size,
      dim: fp.dim,
      quantization: q,
      built: true,
      path,
      fingerprint: consistent ? fp : null,
    };
    if (path && sidecarPath && consistent) await saved.save(db, runId, fp, q, path, sidecarPath);
    open.set(runId, info);
    checkedAt.set(runId, version);
    logger.info('vector index built', {
      runId,
      count: size,
      dim: fp.dim,
      quantization: q,
      seconds: (Date.now() - started) / 1000,
    });
    return info;
  }

  return {
    ensureIndex(db, runId, opts = {}) {
      const running = inFlight.get(runId);
      // A plain call shares the open or build under way. One that asks for a check (`recheck`,
      // `expect`) makes it after that one ends, on what it left: the one under way may have
      // returned an index opened before the embeddings changed.
      if (running && !opts.recheck && !opts.expect) return running;
      const p: Promise<IndexInfo> = (running ?? Promise.resolve())
        .catch(() => {})
        .then(() => openOrBuild(db, runId, opts))
        .finally(() => {
          if (inFlight.get(runId) === p) inFlight.delete(runId);
        });
      inFlight.set(runId, p);
      return p;
    },

    opened: (runId) => open.get(runId),

    async buildFrom(runId, chunks, { dim, count, quantization: q }) {
      const size = await worker.build(runId, chunks, dim, q ?? chooseQuantization(count, dim));
      checkedAt.delete(runId);
      open.set(runId, {
        runId,
        count: size,
        dim,
        quantization: q ?? chooseQuantization(count, dim),
        built: true,
        path: null,
        fingerprint: null,
      });
    },

    clear: () => {
      open.clear();
      checkedAt.clear();
    },
  };
}
