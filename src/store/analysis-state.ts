import { eq } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { type TaskKind, modelRuns } from '../../db/schema.ts';
import type { BulkTx } from './ingest-tx.ts';
import { currentLabelVersions } from './label-version-reads.ts';

// Whether a run's stored analysis still describes it. saveRunMetrics (analysis.ts) stamps
// `analyzed_at` when an analysis is stored; an import into the run clears it.

/**
 * The kind of a run whose stored analysis still holds, null when it must be made again: it was never
 * made, predictions were imported into the run since (see outdateAnalysis), or the dataset's labels
 * changed since (a correction, a label import).
 *
 * @example
 * if (await currentAnalysis(db, runId)) return [knnPassJob(runId)]; // only the embeddings are new
 */
export async function currentAnalysis(db: Db, runId: number): Promise<{ kind: TaskKind } | null> {
  const [run] = await db
    .select({
      kind: modelRuns.kind,
      datasetId: modelRuns.datasetId,
      at: modelRuns.analyzedAt,
      labelVersion: modelRuns.labelVersion,
    })
    .from(modelRuns)
    .where(eq(modelRuns.id, runId));
  if (!run?.at || run.labelVersion === null) return null;
  const labels = await currentLabelVersions(db, [run.datasetId]);
  return labels.get(run.datasetId) === run.labelVersion ? { kind: run.kind } : null;
}

/**
 * An import wrote predictions into an existing run: its stored analysis no longer describes it
 * until the analysis runs again (currentAnalysis reads this). Its metrics stay readable meanwhile.
 */
export async function outdateAnalysis(tx: BulkTx, runId: number): Promise<void> {
  await tx.query('update model_runs set analyzed_at = null where id = $1', [runId]);
}
