import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { modelRuns, runEvaluations } from '../../db/schema.ts';

/**
 * Note that a run's analysis was computed against its dataset's current label version: stamps
 * `model_runs.label_version` and keeps the metrics document of that version, so the overview can
 * set the metrics on the labels as ingested beside those on the corrected labels. Called in the
 * analysis transaction, with the metrics it stores.
 *
 * @example
 * const version = await recordEvaluation(tx, runId, metricsDoc);
 */
export async function recordEvaluation(
  db: Db,
  runId: number,
  metrics: Record<string, unknown>,
): Promise<number> {
  const [{ version }] = await db
    .select({
      version: sql<number>`coalesce((select max(v.version) from label_versions v where v.dataset_id = ${modelRuns.datasetId}), 1)::int`,
    })
    .from(modelRuns)
    .where(eq(modelRuns.id, runId));
  await db.update(modelRuns).set({ labelVersion: version }).where(eq(modelRuns.id, runId));
  await db
    .insert(runEvaluations)
    .values({ runId, labelVersion: version, metrics })
    .onConflictDoUpdate({
      target: [runEvaluations.runId, runEvaluations.labelVersion],
      set: { metrics, createdAt: sql`now()` },
    });
  return version;
}

export interface RunEvaluation {
  labelVersion: number;
  metrics: Record<string, unknown>;
  at: Date;
}

/** Every evaluation of a run, by label version ascending (the first is usually version 1). */
export async function listEvaluations(db: Db, runId: number): Promise<RunEvaluation[]> {
  return db
    .select({
      labelVersion: runEvaluations.labelVersion,
      metrics: runEvaluations.metrics,
      at: runEvaluations.createdAt,
    })
    .from(runEvaluations)
    .where(eq(runEvaluations.runId, runId))
    .orderBy(asc(runEvaluations.labelVersion));
}
