import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { modelRuns, runEvaluations } from '../../db/schema.ts';
import { changedRowIds, currentLabelVersions } from './label-versions.ts';
import { type RunRef, lookupRunById, previousRun } from './run-lookup.ts';

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

export interface RetrainEffect {
  previous: { id: number; name: string };
  /** The labels changed between these versions: from what the previous run was first evaluated on to now. */
  fromVersion: number;
  toVersion: number;
  /** Rows whose labels changed (relabeled, newly labeled, boxes changed). */
  rows: number;
  /** What is counted: classification rows right, or ground-truth boxes found with their class at IoU 0.5. */
  measure: 'accuracy' | 'box recall@0.5';
  /** The previous run and this run on those rows, against the current labels; null when not measurable yet. */
  before: { hits: number; total: number } | null;
  after: { hits: number; total: number } | null;
  /** Runs evaluated against older labels (their side is missing until they are re-evaluated). */
  stale: string[];
}

/** Rows per query when a list of row ids goes into SQL. */
const CHUNK = 5000;

async function classificationHits(db: Db, runId: number, rowIds: number[]) {
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

/** Ground-truth boxes of the rows, and how many the run's stored match found with the right class. */
async function detectionHits(db: Db, runId: number, rowIds: number[]) {
  let hits = 0;
  let total = 0;
  for (let i = 0; i < rowIds.length; i += CHUNK) {
    const ids = rowIds.slice(i, i + CHUNK);
    const [r] = await rawRows<{ hits: number; total: number }>(
      db,
      sql`select count(*) filter (where m.pred_id is not null and m.pred_label = m.gt_label)::int as hits,
                 count(*)::int as total
          from matches m where m.run_id = ${runId} and m.ann_id is not null and m.row_id in (${sql.join(
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
 * The retrain effect: when a run arrives on a dataset whose labels changed since the previous run
 * (corrections, imports of relabeled or newly labeled rows), the previous and this run on exactly
 * those rows, both against the current labels: accuracy for classification, box recall at IoU 0.5
 * for detection (from each run's stored matches, so a run evaluated on older labels is left out
 * until it is re-evaluated). Null when there is no previous run or no label changed.
 *
 * @example
 * const e = await retrainEffect(db, run); // { rows: 2, before: { hits: 0, total: 2 }, after: { hits: 2, total: 2 }, … }
 */
export async function retrainEffect(db: Db, run: RunRef): Promise<RetrainEffect | null> {
  const prev = await previousRun(db, run);
  if (!prev) return null;
  const [first] = await db
    .select({ v: sql<number>`min(${runEvaluations.labelVersion})::int` })
    .from(runEvaluations)
    .where(eq(runEvaluations.runId, prev.id));
  const fromVersion = first?.v ?? 1;
  const toVersion = (await currentLabelVersions(db, [run.datasetId])).get(run.datasetId) ?? 1;
  if (toVersion <= fromVersion) return null;
  const rows = await changedRowIds(db, { dataset: run.datasetId, from: fromVersion, to: toVersion });
  if (!rows.length) return null;
  const base = {
    previous: { id: prev.id, name: prev.name },
    fromVersion,
    toVersion,
    rows: rows.length,
  };
  if (run.kind === 'classification')
    return {
      ...base,
      measure: 'accuracy',
      before: await classificationHits(db, prev.id, rows),
      after: await classificationHits(db, run.id, rows),
      stale: [],
    };
  const versions = await db
    .select({ id: modelRuns.id, v: modelRuns.labelVersion })
    .from(modelRuns)
    .where(sql`${modelRuns.id} in (${prev.id}, ${run.id})`);
  const current = (id: number) => versions.find((r) => r.id === id)?.v === toVersion;
  const stale = [prev, run].filter((r) => !current(r.id)).map((r) => r.name);
  return {
    ...base,
    measure: 'box recall@0.5',
    before: current(prev.id) ? await detectionHits(db, prev.id, rows) : null,
    after: current(run.id) ? await detectionHits(db, run.id, rows) : null,
    stale,
  };
}

/** The retrain effect of a run by id (for the digest and the CLI). */
export async function retrainEffectOf(db: Db, runId: number): Promise<RetrainEffect | null> {
  const run = await lookupRunById(db, runId);
  return run ? retrainEffect(db, run) : null;
}
