import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../deps.ts';
import type { Db } from '../store/database.ts';
import { saveSharedIndex, sharedIndexHeader, sharedIndexParts } from '../store/vector-indexes.ts';
import type { EmbeddingFingerprint } from '../store/vectors.ts';
import {
  FORMAT_VERSION,
  fileParts,
  readSidecar,
  sameFingerprint,
  tempPath,
  writeSidecar,
} from './index-files.ts';
import type { IndexWorker } from './index-worker.ts';
import type { IndexInfo, Quantization } from './service.ts';

/**
 * Indexes saved beside the data (and, shared, stored in the database for the other instances):
 * load a current file into the worker, copy one another instance stored, save a new build.
 * A file that cannot be used is logged and reported as null, so the caller builds instead.
 *
 * @example
 * const saved = createSavedIndexes({ worker, logger, connectivity: 16, shareIndexes: false });
 * const info = await saved.load(runId, fingerprint, path, sidecarPath);
 */
export function createSavedIndexes({
  worker,
  logger,
  connectivity,
  shareIndexes,
}: {
  worker: IndexWorker;
  logger: Logger;
  connectivity: number;
  shareIndexes: boolean;
}) {
  /** The index saved on this disk, when its sidecar says it matches the embeddings. */
  async function load(
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
        const size = await worker.load(runId, path, fp.dim, side.quantization);
        if (size === fp.count) {
          const info: IndexInfo = {
            runId,
            count: size,
            dim: fp.dim,
            quantization: side.quantization,
            built: false,
            path,
            fingerprint: fp,
          };
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
    await mkdir(dirname(path), { recursive: true });
    const tmp = tempPath(path);
    try {
      await pipeline(sharedIndexParts(db, runId, header.parts), createWriteStream(tmp));
      await rename(tmp, path);
      await writeSidecar(sidecarPath, path, {
        runId,
        fingerprint: fp,
        quantization: meta.quantization ?? 'f32',
        connectivity,
      });
    } catch (err) {
      await rm(tmp, { force: true });
      logger.warn('shared vector index not copied; building', { runId, error: (err as Error).message });
      return null;
    }
    logger.info('vector index copied from the database', { runId, bytes: header.bytes });
    return load(runId, fp, path, sidecarPath);
  }

  /** Save a built index and its sidecar (and, shared, store it for every instance); failures only warn. */
  async function save(
    db: Db,
    runId: number,
    fp: EmbeddingFingerprint,
    q: Quantization,
    path: string,
    sidecarPath: string,
  ) {
    await mkdir(dirname(path), { recursive: true });
    const tmp = tempPath(path);
    try {
      await worker.save(runId, tmp);
      await rename(tmp, path);
      await writeSidecar(sidecarPath, path, { runId, fingerprint: fp, quantization: q, connectivity });
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

  return { load, copyShared, save };
}
