import type { Deps } from '../deps.ts';
import { saveProjection } from '../store/projections.ts';
import { embeddingFingerprint, listEmbeddedRows, readEmbeddingChunks } from '../store/vectors.ts';
import { workerClient } from '../vectors/rpc.ts';
import { spawnTsWorker } from '../vectors/ts-worker.ts';
import { withVectorService } from '../vectors/with-service.ts';
import { createRandom } from '../random.ts';
import { stratifiedSample } from './sample.ts';

export interface ProjectionOptions {
  /** Rows UMAP is fitted on (stratified by label); the rest are placed with transform(). */
  sample?: number;
  seed?: number;
  nNeighbors?: number;
  /** Epochs of the fit. */
  nEpochs?: number;
  /** Epochs placing the rows outside the sample (UMAP's reference transform runs 30 for large inputs). */
  placeEpochs?: number;
  minDist?: number;
  /** Rows per transform() call (placement is linear in the batch; this bounds the memory of one call). */
  batch?: number;
  /** Store the result (default true). */
  save?: boolean;
  /** Told the fraction done (0..1) as the kNN, the fit and the placement advance. */
  onProgress?: (fraction: number) => void;
}

export interface ProjectionResult {
  runId: number;
  rowIds: Float64Array;
  /** n×2 flat. */
  coords: Float32Array;
  fitted: boolean[];
  seconds: { knn: number; fit: number; place: number; save: number };
}

const since = (t: number) => (performance.now() - t) / 1000;
const changedDuring = (runId: number) => new Error(`run ${runId}: embeddings changed during the projection`);

/**
 * The run's 2-D UMAP map: fitted in a worker thread on a stratified sample with the usearch kNN,
 * the other rows placed with transform(), and stored in `projections`. Runs in the background
 * job after ingest (see src/jobs/pipeline.ts), never inside a request.
 *
 * @example
 * await computeProjection(deps, runId, { sample: 20000, seed: 42 });
 * const { points } = await listProjection(deps.db, runId);
 */
export async function computeProjection(
  deps: Deps,
  runId: number,
  {
    sample = 20000,
    seed = 42,
    nNeighbors = 15,
    nEpochs = 201,
    placeEpochs = 30,
    minDist = 0.1,
    batch = 4096,
    save = true,
    onProgress = () => {},
  }: ProjectionOptions = {},
): Promise<ProjectionResult> {
  const { db, logger } = deps;
  const { rowIds: ids, labels } = await listEmbeddedRows(db, runId);
  const n = ids.length;
  if (n <= nNeighbors)
    throw new Error(
      `run ${runId}: ${n} embedded rows; a projection needs more than nNeighbors=${nNeighbors}`,
    );
  const fitPositions = stratifiedSample(labels, Math.max(sample, nNeighbors + 1), createRandom(seed));
  const isFitted = new Uint8Array(n);
  for (const p of fitPositions) isFitted[p] = 1;
  const k = nNeighbors - 1;
  const rest = n - fitPositions.length;

  let t = performance.now();
  const { dim } = await embeddingFingerprint(db, runId);
  const fitCount = fitPositions.length;
  // Read page by page straight into one array: one query for the whole sample grew the embedded
  // database's memory by the sample's size, for good.
  const fitVectors = new Float32Array(fitCount * dim);
  let row = 0;
  let at = 0;
  for await (const chunk of readEmbeddingChunks(db, runId, { dim })) {
    for (let i = 0; i < chunk.rowIds.length; i++, row++) {
      if (chunk.rowIds[i] !== ids[row]) throw changedDuring(runId);
      if (isFitted[row]) fitVectors.set(chunk.vectors.subarray(i * dim, (i + 1) * dim), dim * at++);
    }
  }
  if (at !== fitCount) throw changedDuring(runId);
  // All rows fitted: the run's own kNN graph is the sample's; otherwise neighbours must come from the sample.
  // A throwaway vector worker (unless the process has one) is closed before the fit, with the
  // sample's index in it.
  const knn = await withVectorService(deps, (vectors) =>
    fitCount === n ? vectors.knn(db, runId, k) : vectors.knnOf(fitVectors.slice(), dim, k),
  );
  const tKnn = since(t);
  onProgress(0.15);

  const umap = workerClient(() => spawnTsWorker(new URL('./worker.ts', import.meta.url)));
  try {
    t = performance.now();
    // Transferred: the worker keeps the fitted vectors to place the rest against; this thread has no use for them.
    const { embedding } = await umap.call<{ embedding: Float32Array }>(
      'fit',
      {
        vectors: fitVectors,
        dim,
        knnIndices: knn.indices,
        knnDistances: knn.distances,
        k,
        nNeighbors,
        nEpochs,
        placeEpochs,
        seed,
        minDist,
      },
      [fitVectors.buffer, knn.indices.buffer, knn.distances.buffer],
    );
    const tFit = since(t);
    logger.info('projection fitted', { runId, fitted: fitPositions.length, seconds: tFit });
    onProgress(rest > 0 ? 0.6 : 0.95);

    t = performance.now();
    const coords = new Float32Array(n * 2);
    fitPositions.forEach((p, i) => {
      coords[p * 2] = embedding[i * 2];
      coords[p * 2 + 1] = embedding[i * 2 + 1];
    });
    if (rest > 0) {
      let pos = 0;
      let placed = 0;
      let pendingVecs: Float32Array[] = [];
      let pendingPos: number[] = [];
      let pendingCount = 0;
      const flush = async () => {
        if (pendingCount === 0) return;
        const flat = new Float32Array(pendingCount * dim);
        let off = 0;
        for (const v of pendingVecs) {
          flat.set(v, off);
          off += v.length;
        }
        const at = pendingPos;
        pendingVecs = [];
        pendingPos = [];
        pendingCount = 0;
        const { coords: c } = await umap.call<{ coords: Float32Array }>('transform', { vectors: flat }, [
          flat.buffer,
        ]);
        at.forEach((p, i) => {
          coords[p * 2] = c[i * 2];
          coords[p * 2 + 1] = c[i * 2 + 1];
        });
        placed += at.length;
        logger.info('projection placing', { runId, placed, of: rest });
        onProgress(0.6 + (0.35 * placed) / rest);
      };
      for await (const chunk of readEmbeddingChunks(db, runId, { dim })) {
        for (let i = 0; i < chunk.rowIds.length; i++, pos++) {
          if (chunk.rowIds[i] !== ids[pos]) throw changedDuring(runId);
          if (isFitted[pos]) continue;
          pendingVecs.push(chunk.vectors.subarray(i * dim, (i + 1) * dim));
          pendingPos.push(pos);
          pendingCount++;
          if (pendingCount === batch) await flush();
        }
      }
      await flush();
    }
    const tPlace = since(t);

    t = performance.now();
    const rowIds = Float64Array.from(ids);
    const fitted = Array.from(isFitted, (f) => f === 1);
    if (save) await saveProjection(db, runId, { rowIds, coords, fitted });
    const seconds = { knn: tKnn, fit: tFit, place: tPlace, save: since(t) };
    logger.info('projection computed', { runId, rows: n, fitted: fitPositions.length, seconds });
    return { runId, rowIds, coords, fitted, seconds };
  } finally {
    await umap.close();
  }
}
