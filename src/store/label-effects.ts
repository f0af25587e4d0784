import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { modelRuns, runEvaluations } from '../../db/schema.ts';
import { changedRowIds } from './label-history.ts';
import { currentLabelVersions } from './label-version-reads.ts';
import { type RunRef, previousRun } from './run-lookup.ts';

/** The headline of a metrics document: accuracy (classification) or AP@[.5:.95] (detection). */
export function headline(metrics: Record<string, unknown> | null): { name: string; value: number } | null {
  if (!metrics) return null;
  if (metrics.kind === 'classification' && typeof metrics.accuracy === 'number')
    return { name: 'accuracy', value: metrics.accuracy };
  const coco = metrics.coco as { AP?: number } | undefined;
  if (metrics.kind === 'detection' && typeof coco?.AP === 'number') return { name: 'AP', value: coco.AP };
  return null;
}

export interface LabelNoise {
  /** The dataset's current label version. */
  datasetVersion: number;
  /** The version the run's stored analysis was computed against. */
  evaluatedVersion: number;
  /** The run's first evaluation (usually on the labels as ingested) and its latest. */
  first: { version: number; name: string; value: number };
  latest: { version: number; name: string; value: number };
  /**
   * Share of the first evaluation's error that was label noise: (latest − first) / (1 − first),
   * null when the first had no error or the two evaluations are the same.
   */
  noiseShare: number | null;
}

/**
 * How much of a run's "error" was label noise: its metric on the labels it was first evaluated
 * against (v1 as ingested) beside its metric on the corrected labels of its latest evaluation,
 * and whether the labels changed since (a re-evaluation would move the figure).
 *
 * @example
 * const noise = await labelNoise(db, run.id); // { first: { version: 1, value: 0.91 }, latest: { version: 4, value: 0.93 }, … }
 */
export async function labelNoise(db: Db, runId: number): Promise<LabelNoise | null> {
  const [run] = await db
    .select({ datasetId: modelRuns.datasetId, evaluated: modelRuns.labelVersion })
    .from(modelRuns)
    .where(eq(modelRuns.id, runId));
  if (!run) return null;
  const evaluations = await db
    .select({ version: runEvaluations.labelVersion, metrics: runEvaluations.metrics })
    .from(runEvaluations)
    .where(eq(runEvaluations.runId, runId))
    .orderBy(asc(runEvaluations.labelVersion));
  const datasetVersion = (await currentLabelVersions(db, [run.datasetId])).get(run.datasetId) ?? 1;
  const first = evaluations[0];
  const latest = evaluations.find((e) => e.version === run.evaluated) ?? evaluations.at(-1);
  const h1 = headline(first?.metrics ?? null);
  const h2 = headline(latest?.metrics ?? null);
  if (!first || !latest || !h1 || !h2) return null;
  const noiseShare =
    latest.version !== first.version && h1.value < 1 ? (h2.value - h1.value) / (1 - h1.value) : null;
  return {
    datasetVersion,
    evaluatedVersion: run.evaluated ?? latest.version,
    first: { version: first.version, ...h1 },
    latest: { version: latest.version, ...h2 },
    noiseShare,
  };
}

/** The rows a retrain effect is measured on, and between which runs and label versions. */
export interface RetrainScope {
  previous: { id: number; name: string };
  /** The labels changed between these versions: from what the previous run was first evaluated on to now. */
  fromVersion: number;
  toVersion: number;
  /** Rows whose labels changed (relabeled, newly labeled, boxes changed), ascending. */
  rowIds: number[];
}

/** Rows per query when a list of row ids goes into SQL. */
const CHUNK = 5000;

/**
 * How many of the rows the run classifies as labeled now, and how many of those there are.
 *
 * @example
 * await classificationHits(db, run.id, [12, 13]); // { hits: 1, total: 2 }
 */
export async function classificationHits(
  db: Db,
  runId: number,
  rowIds: number[],
): Promise<{ hits: number; total: number }> {
  let hits = 0;
  let total = 0;
  for (let i = 0; i < rowIds.length; i += CHUNK) {
    const ids = rowIds.slice(i, i + CHUNK);
    const [r] = await rawRows<{ hits: number; total: number }>(
      db,
      sql`select count(*) filter (where p.label = a.label)::int as hits, count(*)::int as total
          from annotations a join predictions p on p.row_id = a.row_id and p.run_id = ${runId} and p.pred_key = 0
          where a.ann_key = 'label' and a.row_id in (${sql.join(
            ids.map((id) => sql`${id}::int8`),
            sql`, `,
          )})`,
    );
    hits += r.hits;
    total += r.total;
  }
  return { hits, total };
}

/**
 * What a retrain effect compares: the run before `run` on its dataset and the rows whose labels
 * changed since that run was first evaluated (corrections, imports of relabeled or newly labeled
 * rows). Null when there is no previous run or no label changed.
 *
 * @example
 * const scope = await retrainScope(db, run); // { previous: { name: 'resnet-7' }, fromVersion: 1, toVersion: 3, rowIds: [12, 40] }
 */
export async function retrainScope(db: Db, run: RunRef): Promise<RetrainScope | null> {
  const prev = await previousRun(db, run);
  if (!prev) return null;
  const [first] = await db
    .select({ v: sql<number>`min(${runEvaluations.labelVersion})::int` })
    .from(runEvaluations)
    .where(eq(runEvaluations.runId, prev.id));
  const fromVersion = first?.v ?? 1;
  const toVersion = (await currentLabelVersions(db, [run.datasetId])).get(run.datasetId) ?? 1;
  if (toVersion <= fromVersion) return null;
  const rowIds = await changedRowIds(db, { dataset: run.datasetId, from: fromVersion, to: toVersion });
  if (!rowIds.length) return null;
  return {
    previous: { id: prev.id, name: prev.name },
    fromVersion,
    toVersion,
    rowIds: rowIds.sort((a, b) => a - b),
  };
}
