import type { Deps } from '../deps.ts';
import { type ProjectionOptions, computeProjection } from '../projection/compute.ts';
import { embeddingFingerprint } from '../store/vectors.ts';
import { withVectorService } from './with-service.ts';

export interface RunJobsResult {
  runId: number;
  ok: boolean;
  /** False when the run has no embeddings: nothing to index or project. */
  embeddings: boolean;
  index?: { count: number; dim: number; built: boolean };
  projection?: { rows: number; fitted: number };
  error?: string;
  seconds: number;
}

export interface RunJobsOptions {
  projection?: ProjectionOptions | false;
}

/**
 * The "after ingest" work of one run, in the foreground: (re)build the vector index when the
 * embeddings changed (the kNN pass and the build run in the vector worker), then the UMAP
 * projection (in its own worker). Errors are returned, not thrown, and logged.
 *
 * @example
 * const result = await runRunJobs(deps, runId); // { ok: true, index: { built: true, … }, … }
 */
export async function runRunJobs(
  deps: Deps,
  runId: number,
  { projection = {} }: RunJobsOptions = {},
): Promise<RunJobsResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const fp = await embeddingFingerprint(deps.db, runId);
    if (fp.count === 0) {
      deps.logger.info('run jobs: no embeddings, nothing to index or project', { runId });
      return { runId, ok: true, embeddings: false, seconds: seconds() };
    }
    return await withVectorService(deps, async (vectors) => {
      const depsWith = { ...deps, vectors };
      deps.logger.info('run jobs: vector index', { runId, rows: fp.count, dim: fp.dim });
      const info = await vectors.ensureIndex(deps.db, runId, { recheck: true });
      const result: RunJobsResult = {
        runId,
        ok: true,
        embeddings: true,
        index: { count: info.count, dim: info.dim, built: info.built },
        seconds: 0,
      };
      if (projection !== false) {
        deps.logger.info('run jobs: projection', { runId });
        const p = await computeProjection(depsWith, runId, projection);
        result.projection = { rows: p.rowIds.length, fitted: p.fitted.filter(Boolean).length };
      }
      result.seconds = seconds();
      deps.logger.info('run jobs: done', { runId, seconds: result.seconds });
      return result;
    });
  } catch (err) {
    const error = (err as Error).message;
    deps.logger.error('run jobs failed', { runId, error });
    return { runId, ok: false, embeddings: true, error, seconds: seconds() };
  }
}

/**
 * Start a run's after-ingest jobs (vector index, kNN, UMAP projection) in the background and
 * return at once; the heavy work runs in worker threads so the server stays responsive.
 * Called by the importer / `analyzeRun` once a run's rows and embeddings are stored. Progress
 * goes to `deps.logger`; `done` resolves (never rejects) with the outcome. Keep `deps.database`
 * open until `done` settles.
 *
 * @example
 * const { done } = scheduleRunJobs(deps, runId);
 * // … later, or in tests:
 * const result = await done;
 */
export function scheduleRunJobs(
  deps: Deps,
  runId: number,
  opts: RunJobsOptions = {},
): { runId: number; done: Promise<RunJobsResult> } {
  deps.logger.info('run jobs scheduled', { runId });
  // Deferred so the caller's request or import finishes before any work starts.
  const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
    runRunJobs(deps, runId, opts),
  );
  return { runId, done };
}
