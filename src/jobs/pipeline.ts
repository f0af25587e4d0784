import { analyzeRun } from '../analyze/run.ts';
import type { Config } from '../config.ts';
import type { Deps } from '../deps.ts';
import { type ProjectionOptions, computeProjection } from '../projection/compute.ts';
import { countEmbeddings } from '../store/findings-inputs.ts';
import { type Progress, noProgress } from '../progress.ts';
import type { HandedDetection } from '../analyze/detection-compute.ts';
import type { HandedClassification } from '../findings/classification-ahead.ts';
import { currentAnalysis } from '../store/analysis-state.ts';
import type { NewJob } from '../store/jobs.ts';
import { embeddingFingerprint } from '../store/vectors.ts';
import { withVectorService } from '../vectors/with-service.ts';
import { JOB_NAMES } from './names.ts';
import { KNN_CHUNK, KNN_PASS, knnPassHandlers, knnPassJob, splitsKnnPass } from './knn-pass.ts';
import { regressionHandlers } from './regression.ts';
import { type JobHandlers, type JobRunnerOptions, createJobRunner } from './runner.ts';

/**
 * The work after an import, as jobs chained one after the other (each adds the next when it is
 * done, in the same transaction): the vector index (a run without embeddings starts with its
 * analysis), then the analysis (metrics, row scores, and the findings with their kNN pass over the
 * index), then the 2-D projection. A run with more embedded rows than LOUPE_KNN_CHUNK_ROWS gets its
 * metrics and findings without neighbour evidence first, before its index is built; a kNN pass
 * split into chunk jobs (see knn-pass.ts) builds the index and folds the evidence in; when only its
 * embeddings are new and its analysis still holds, the pass follows the index job directly.
 */
export const PIPELINE = ['index', 'analyze', KNN_PASS, KNN_CHUNK, 'projection'] as const;
export type PipelineKind = (typeof PIPELINE)[number];

/** What `loupe ingest` waits for; the projection is left to `serve`/`worker`, as before. */
export const ANALYSIS_KINDS: PipelineKind[] = ['index', 'analyze', KNN_PASS, KNN_CHUNK];

/**
 * The first job of a run's pipeline, to enqueue in the import's transaction: its vector index when
 * the run has embeddings (or the import brings them), else straight its analysis, so a run without
 * embeddings shows no index step in `loupe ingest`, `loupe jobs` or the board.
 *
 * @example
 * await enqueueJobsIn(tx, pipelineStart(runId, { embeddings: true }));
 */
export function pipelineStart(runId: number, { embeddings }: { embeddings: boolean }): NewJob[] {
  return [{ kind: embeddings ? 'index' : 'analyze', runId }];
}

/**
 * Re-evaluate a run against its dataset's current labels (after corrections or an import): the
 * analysis again — metrics, row scores, findings — noted against the current label version.
 *
 * @example
 * await enqueueJobs(deps.database, [reevaluationJob(runId)]);
 */
export function reevaluationJob(runId: number): NewJob {
  return { kind: 'reevaluate', runId };
}

/** The projection job alone (after `loupe project` options, or a rerun). */
export function projectionJob(runId: number, options: ProjectionOptions = {}): NewJob {
  return { kind: 'projection', runId, payload: { ...options } };
}

const runOf = (runId: number | null, kind: string): number => {
  if (runId === null) throw new Error(`${kind} job without a run`);
  return runId;
};

export interface ProjectRunResult {
  runId: number;
  /** False when the run has no embeddings: nothing to index or project. */
  embeddings: boolean;
  index?: { count: number; dim: number; built: boolean };
  projection?: { rows: number; fitted: number };
  seconds: number;
}

/**
 * (Re)build a run's vector index when its embeddings changed, then its UMAP projection: the body
 * of the projection job, and `loupe project` in the foreground. Heavy parts run in worker threads.
 *
 * @example
 * const r = await projectRun(deps, runId, { projection: { sample: 20000 } });
 */
export async function projectRun(
  deps: Deps,
  runId: number,
  {
    projection = {},
    onProgress = () => {},
  }: { projection?: ProjectionOptions; onProgress?: (fraction: number) => void } = {},
): Promise<ProjectRunResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const fp = await embeddingFingerprint(deps.db, runId);
  if (fp.count === 0) return { runId, embeddings: false, seconds: seconds() };
  // Without a process-wide service (the CLI, a one-off job) the index is built and saved by one
  // throwaway worker, closed before the projection starts: the projection places against its own
  // index of the sample, and a million-row run's index is most of a gigabyte.
  const info = await withVectorService(deps, (vectors) =>
    vectors.ensureIndex(deps.db, runId, { recheck: true }),
  );
  onProgress(0.1);
  const p = await computeProjection(deps, runId, {
    ...projection,
    onProgress: (f) => onProgress(0.1 + 0.9 * f),
  });
  return {
    runId,
    embeddings: true,
    index: { count: info.count, dim: info.dim, built: info.built },
    projection: { rows: p.rowIds.length, fitted: p.fitted.filter(Boolean).length },
    seconds: seconds(),
  };
}

/**
 * The handlers of the pipeline's jobs. Each is idempotent: a job killed halfway runs again from
 * its start and replaces what its previous attempt stored.
 *
 * @example
 * const runner = createJobRunner(deps, { handlers: pipelineHandlers(deps) });
 */
export function pipelineHandlers(
  deps: Deps,
  {
    detectionInputs,
    classificationRows,
    releaseIndexes = false,
  }: {
    detectionInputs?: HandedDetection;
    classificationRows?: HandedClassification;
    /** The process's vector service is the drain's own: a kNN pass frees its index before the fold. */
    releaseIndexes?: boolean;
  } = {},
): JobHandlers {
  return {
    ...regressionHandlers(deps),
    async index({ job, progress }) {
      const runId = runOf(job.runId, job.kind);
      const embedded = await countEmbeddings(deps.db, runId);
      // A run whose kNN pass is split gets its answers before the index: its analysis does not
      // search it (the neighbour evidence is deferred to the pass), and the pass's chunks build
      // it once, whichever takes the first. Building a million vectors first held the answers
      // back by minutes.
      const split = splitsKnnPass(deps, embedded);
      if (embedded > 0 && !split) {
        await withVectorService(deps, (v) => v.ensureIndex(deps.db, runId, { recheck: true }));
        progress(1);
      }
      // Only the embeddings are new (their import onto an analysed run): a split run's analysis
      // does not read them, so it would give the answers it gave (12–28 s at 1M rows); the pass
      // folds their evidence in. An unsplit run's analysis searches them, so it runs.
      const analysis = split ? await currentAnalysis(deps.db, runId) : null;
      if (analysis)
        return analysis.kind === 'classification'
          ? [knnPassJob(runId), projectionJob(runId)]
          : [projectionJob(runId)];
      return [{ kind: 'analyze', runId }];
    },
    async analyze({ job, progress }) {
      const runId = runOf(job.runId, job.kind);
      const embedded = await countEmbeddings(deps.db, runId);
      const split = splitsKnnPass(deps, embedded);
      const doc = await analyzeRun(deps, runId, {
        onProgress: progress,
        neighbours: split ? { deferred: true } : { inline: true },
        detectionInputs,
        classificationRows,
      });
      const next: NewJob[] = [];
      if (split && doc.kind === 'classification') next.push(knnPassJob(runId));
      if (embedded > 0) next.push(projectionJob(runId));
      return next;
    },
    async reevaluate({ job, progress }) {
      // The analysis again, against the current labels; the projection does not depend on labels.
      const runId = runOf(job.runId, job.kind);
      const split = splitsKnnPass(deps, await countEmbeddings(deps.db, runId));
      const doc = await analyzeRun(deps, runId, {
        onProgress: progress,
        neighbours: split ? { deferred: true } : { inline: true },
      });
      return split && doc.kind === 'classification' ? [knnPassJob(runId)] : [];
    },
    ...knnPassHandlers(deps, { releaseIndexes }),
    async projection({ job, progress }) {
      const runId = runOf(job.runId, job.kind);
      const options = job.payload as ProjectionOptions;
      const n = await countEmbeddings(deps.db, runId);
      const needs = (options.nNeighbors ?? 15) + 1;
      if (n < needs) {
        // Too few points for a map: nothing to retry, the page says so.
        deps.logger.info('projection skipped: too few embedded rows', { runId, rows: n, needs });
        return [];
      }
      await projectRun(deps, runId, { projection: options, onProgress: progress });
      return [];
    },
  };
}

/** The runner settings read from the configuration (lease length, crash-test fault point). */
export function configuredRunner(config: Config): Pick<JobRunnerOptions, 'leaseMs' | 'crashAt'> {
  return { leaseMs: config.LOUPE_JOB_LEASE_SECONDS * 1000, crashAt: config.LOUPE_CRASH_AT };
}

/**
 * Run a run's analysis jobs (or those of `kinds`) here and now, through the queue, so another
 * worker never runs them twice: what `loupe ingest` does after its import committed. Throws the
 * first failure (the job stays queued for a retry by `serve` or `worker`).
 *
 * @example
 * await runPipelineNow(deps, runId);
 */
export async function runPipelineNow(
  deps: Deps,
  runId: number,
  {
    kinds = ANALYSIS_KINDS,
    progress = noProgress,
    detectionInputs,
    classificationRows,
    ...options
  }: {
    kinds?: string[];
    progress?: Progress;
    /** What the import that queued the jobs holds of a detection run (see analyzeRun). */
    detectionInputs?: HandedDetection;
    /** What the import that queued the jobs holds of a classification run (see analyzeRun). */
    classificationRows?: HandedClassification;
  } & Partial<JobRunnerOptions> = {},
): Promise<{ ran: number; failed: number }> {
  let shown: number | null = null;
  const onProgress = (job: { id: number; kind: string }, fraction: number) => {
    // A pass's chunks run inside it: the pass's own bar counts them.
    if (job.kind === KNN_CHUNK) return;
    if (job.id !== shown) {
      shown = job.id;
      progress.step(JOB_NAMES[job.kind] ?? job.kind, 100);
    }
    progress.update(Math.floor(fraction * 100));
  };
  // A service made for this drain serves nothing else, so a kNN pass may end it before its fold:
  // at a million rows the index is ~600 MB the fold does not need.
  const ownService = !deps.vectors;
  return withVectorService(deps, async (vectors) => {
    const withVectors = { ...deps, vectors };
    const all = pipelineHandlers(withVectors, {
      detectionInputs,
      classificationRows,
      releaseIndexes: ownService,
    });
    const handlers = Object.fromEntries(kinds.map((k) => [k, all[k]]));
    const runner = createJobRunner(withVectors, {
      ...configuredRunner(deps.config),
      onProgress,
      ...options,
      handlers,
      pollMs: 200,
    });
    return runner.drain({ runId });
  });
}
