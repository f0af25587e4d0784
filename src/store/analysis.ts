import { and, asc, eq, gt, isNotNull, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { recordEvaluation } from './evaluations.ts';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { bulkOf } from './ingest-tx.ts';
import { countImport, importMarks } from './ingest.ts';
import { currentLabelVersions } from './label-version-reads.ts';
import type { ImportedClassificationRows } from './findings-inputs.ts';
import type { DetBox, GtBox } from '../metrics/detection-types.ts';
import { annotations, dataRows, datasets, modelRuns, predictions, rowScores } from '../../db/schema.ts';

/** A run and the dataset facts its analysis needs. */
export interface RunForAnalysis {
  id: number;
  name: string;
  kind: 'classification' | 'detection';
  datasetId: number;
  classNames: string[];
}

/** The run, or an error naming the id when it does not exist. */
export async function loadRunForAnalysis(db: Db, runId: number): Promise<RunForAnalysis> {
  const [run] = await db
    .select({
      id: modelRuns.id,
      name: modelRuns.name,
      kind: modelRuns.kind,
      datasetId: modelRuns.datasetId,
      classNames: datasets.classNames,
    })
    .from(modelRuns)
    .innerJoin(datasets, eq(datasets.id, modelRuns.datasetId))
    .where(eq(modelRuns.id, runId));
  if (!run) throw new Error(`analyzeRun: no model run with id ${runId}`);
  return run;
}

/**
 * Refresh planner statistics of the tables an analysis reads. Right after a bulk import they are
 * missing (PGlite has no autovacuum at all; Postgres' comes later), and the planner then takes the
 * joins for tiny tables: a nested loop that made row_scores for 20k rows take 100 s instead of 0.3 s.
 * Only the columns queries filter, join and group on: the boxes' coordinates and the probability
 * vectors are never in a condition, and their statistics were half the time of the whole ANALYZE
 * (0.45 → 0.2 s on the 5k-image COCO set in the embedded database, which waits for it).
 */
export async function refreshInputStatistics(db: Db): Promise<void> {
  const columns = (list: PgColumn[]) =>
    sql.join(
      list.map((c) => sql.identifier(c.name)),
      sql`, `,
    );
  const d = dataRows;
  const a = annotations;
  const p = predictions;
  await db.execute(
    sql`analyze ${d} (${columns([d.id, d.datasetId, d.externalId, d.labeled])}), ${a} (${columns([a.id, a.rowId, a.annKey, a.label, a.iscrowd])}), ${p} (${columns([p.id, p.runId, p.rowId, p.predKey, p.label, p.score])})`,
  );
}

/** Labeled and unlabeled row_scores lines of a run. */
export async function rowScoreCounts(db: Db, runId: number): Promise<{ labeled: number; unlabeled: number }> {
  const [c] = await db
    .select({
      labeled: sql<number>`count(*) filter (where ${rowScores.labeled})::int`,
      unlabeled: sql<number>`count(*) filter (where not ${rowScores.labeled})::int`,
    })
    .from(rowScores)
    .where(eq(rowScores.runId, runId));
  return { labeled: Number(c?.labeled ?? 0), unlabeled: Number(c?.unlabeled ?? 0) };
}

/** The K×K confusion matrix (`[label][predicted]`) of a classification run, by GROUP BY. */
export async function classificationConfusion(
  db: Db,
  runId: number,
  numClasses: number,
): Promise<number[][]> {
  const cells = await db
    .select({ label: rowScores.label, predicted: rowScores.predicted, n: sql<number>`count(*)::int` })
    .from(rowScores)
    .where(
      and(
        eq(rowScores.runId, runId),
        eq(rowScores.labeled, true),
        isNotNull(rowScores.label),
        isNotNull(rowScores.predicted),
      ),
    )
    .groupBy(rowScores.label, rowScores.predicted);
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (const { label, predicted, n } of cells) {
    if (label === null || predicted === null) continue;
    if (label < 0 || label >= numClasses || predicted < 0 || predicted >= numClasses)
      throw new RangeError(
        `run ${runId}: label ${label} / prediction ${predicted} outside the dataset's ${numClasses} classes`,
      );
    matrix[label][predicted] = Number(n);
  }
  return matrix;
}

/**
 * Calibration bin totals by GROUP BY, with the bin rule of `calibrationBin` (upper edge inclusive,
 * settled against the double edges m/M so SQL and TypeScript agree on edge values).
 */
export async function calibrationBinCounts(
  db: Db,
  runId: number,
  bins: number,
): Promise<{ bin: number; count: number; correct: number; confidence: number }[]> {
  const rows = await rawRows<{ bin: number; count: number; correct: number; confidence: number }>(
    db,
    sql`select bin, count(*)::int as count, sum(correct)::float8 as correct, sum(c)::float8 as confidence
      from (
        select c, correct,
          case when b0 > 0 and c <= b0::float8 / ${bins}::int then b0 - 1
               when b0 < ${bins}::int - 1 and c > (b0 + 1)::float8 / ${bins}::int then b0 + 1
               else b0 end as bin
        from (
          select ${rowScores.confidence} as c, ${rowScores.iou} as correct,
            least(greatest(ceil(${rowScores.confidence} * ${bins}::int)::int - 1, 0), ${bins}::int - 1) as b0
          from ${rowScores}
          where ${rowScores.runId} = ${runId}::int and ${rowScores.labeled}
            and ${rowScores.label} is not null and ${rowScores.predicted} is not null
        ) s
      ) t
      group by bin order by bin`,
  );
  return rows.map((r) => ({
    bin: Number(r.bin),
    count: Number(r.count),
    correct: Number(r.correct),
    confidence: Number(r.confidence),
  }));
}

/**
 * The probability vectors of the run's labeled rows with their labels, in chunks keyed by row id
 * (keyset, not OFFSET, so each chunk costs the same), flattened row-major into a Float64Array.
 */
export async function* labeledProbabilityChunks(
  db: Db,
  runId: number,
  numClasses: number,
  { chunk = 50_000 }: { chunk?: number } = {},
): AsyncGenerator<{ labels: Int32Array; scores: Float64Array }> {
  let after = 0;
  for (;;) {
    const rows = await db
      .select({
        rowId: predictions.rowId,
        probs: predictions.probs,
        label: annotations.label,
        id: dataRows.externalId,
      })
      .from(predictions)
      .innerJoin(dataRows, eq(dataRows.id, predictions.rowId))
      .innerJoin(annotations, and(eq(annotations.rowId, predictions.rowId), eq(annotations.annKey, 'label')))
      .where(
        and(
          eq(predictions.runId, runId),
          eq(predictions.predKey, 0),
          gt(predictions.rowId, after),
          // Implied by the joins, but Postgres does not carry a range across one (see
          // loadClassificationRows): without them each chunk read the other indexes from the start.
          gt(dataRows.id, after),
          gt(annotations.rowId, after),
          isNotNull(predictions.probs),
          eq(dataRows.labeled, true),
        ),
      )
      .orderBy(asc(predictions.rowId))
      .limit(chunk);
    if (rows.length === 0) return;
    const labels = new Int32Array(rows.length);
    const scores = new Float64Array(rows.length * numClasses);
    rows.forEach((r, i) => {
      const probs = r.probs ?? [];
      if (probs.length !== numClasses)
        throw new RangeError(
          `run ${runId}, row ${r.id}: probs has ${probs.length} values, expected ${numClasses} (one per class)`,
        );
      labels[i] = r.label;
      for (let j = 0; j < numClasses; j++) scores[i * numClasses + j] = Number(probs[j]);
    });
    yield { labels, scores };
    after = rows[rows.length - 1].rowId;
    if (rows.length < chunk) return;
  }
}

/** Store the metrics document, when it was computed, and the label version it was computed against. */
export async function saveRunMetrics(
  db: Db,
  runId: number,
  metrics: Record<string, unknown>,
  at: Date,
): Promise<void> {
  await db.update(modelRuns).set({ metrics, analyzedAt: at }).where(eq(modelRuns.id, runId));
  await recordEvaluation(db, runId, metrics);
}

/** What a detection analysis reads: the dataset's rows, its boxes and the run's detections. */
export interface DetectionInputs {
  /** Row ids of labeled images, ascending. */
  labeledRows: number[];
  /** Ground truth on labeled images; `imageId` is the row id, `id` the annotation id. */
  gts: GtBox[];
  /** Detections on labeled images; `imageId` is the row id, `id` the prediction id. */
  dets: DetBox[];
  /** Detections on unlabeled images (the pool). */
  poolDets: DetBox[];
  /** External id (the COCO image id) of every labeled row. */
  externalIds: Map<number, string>;
  /** Unlabeled rows of the dataset (the pool), with or without detections. */
  poolRows: number[];
}

/** `column` is one of the row ids: one array parameter, whatever the count (validated integers). */
function rowIn(
  column: typeof dataRows.id | typeof annotations.rowId | typeof predictions.rowId,
  ids: number[],
) {
  for (const id of ids)
    if (!Number.isSafeInteger(id)) throw new TypeError(`row id ${id} is not a whole number`);
  return sql`${column} = any(${`{${ids.join(',')}}`}::int8[])`;
}

/**
 * What an import hands to the analysis it runs next (it holds it from its files), with what the
 * tables held when it committed: it stands in for reading the tables only while that is still so.
 */
export interface Handed<T> {
  runId: number;
  inputs: T;
  counts: { rows: number; annotations: number; predictions: number };
  /** importMarks at the end of the import: while they stand, `counts` do too. Absent: counted. */
  marks?: string;
  labelVersion: number;
}

/** A detection run's inputs as loadDetectionInputs reads them. */
export type HandedDetectionInputs = Handed<DetectionInputs>;
/** A new classification dataset's rows as its import read them. */
export type HandedClassificationRows = Handed<ImportedClassificationRows>;

/**
 * The handed inputs when the dataset and run are as the import left them (no label version since,
 * and no line added: the same import marks, else the same counts), else null: the analysis then
 * reads the tables.
 */
export async function currentHandedInputs<T>(
  db: Db,
  run: { id: number; datasetId: number },
  handed: Handed<T> | undefined,
): Promise<T | null> {
  if (!handed || handed.runId !== run.id) return null;
  const [marks, versions] = await Promise.all([
    importMarks(bulkOf(db)),
    currentLabelVersions(db, [run.datasetId]),
  ]);
  if (versions.get(run.datasetId) !== handed.labelVersion) return null;
  if (handed.marks !== undefined && marks === handed.marks) return handed.inputs;
  const now = await countImport(bulkOf(db), run.datasetId, run.id);
  const same =
    now.rows === handed.counts.rows &&
    now.annotations === handed.counts.annotations &&
    now.predictions === handed.counts.predictions;
  return same ? handed.inputs : null;
}

/**
 * Load a detection run's inputs, checking what the matcher cannot: a class index outside the
 * dataset's classes or a prediction without a box is an error naming the row and the box.
 * `rowIds` keeps only those rows (the images a retrain effect is measured on).
 */
export async function loadDetectionInputs(
  db: Db,
  run: RunForAnalysis,
  { rowIds }: { rowIds?: number[] } = {},
): Promise<DetectionInputs> {
  const numClasses = run.classNames.length;
  const rows = await db
    .select({ id: dataRows.id, labeled: dataRows.labeled, ext: dataRows.externalId })
    .from(dataRows)
    .where(and(eq(dataRows.datasetId, run.datasetId), rowIds ? rowIn(dataRows.id, rowIds) : undefined))
    .orderBy(asc(dataRows.id));
  const labeled = new Set(rows.filter((r) => r.labeled).map((r) => r.id));
  const externalIds = new Map(rows.filter((r) => r.labeled).map((r) => [r.id, r.ext]));
  const anns = await db
    .select({
      id: annotations.id,
      rowId: annotations.rowId,
      ext: dataRows.externalId,
      key: annotations.annKey,
      label: annotations.label,
      x: annotations.x,
      y: annotations.y,
      w: annotations.w,
      h: annotations.h,
      area: annotations.area,
      iscrowd: annotations.iscrowd,
    })
    .from(annotations)
    .innerJoin(dataRows, eq(dataRows.id, annotations.rowId))
    .where(
      and(
        eq(dataRows.datasetId, run.datasetId),
        eq(dataRows.labeled, true),
        rowIds ? rowIn(annotations.rowId, rowIds) : undefined,
      ),
    )
    .orderBy(asc(annotations.rowId), asc(annotations.id));
  const gts: GtBox[] = anns.map((a) => {
    const where = `dataset row ${a.ext}, annotation ${a.key}`;
    if (a.label < 0 || a.label >= numClasses)
      throw new RangeError(`${where}: label ${a.label} is outside the dataset's ${numClasses} classes`);
    if (a.x === null || a.y === null || a.w === null || a.h === null)
      throw new TypeError(`${where}: expected a box (x, y, w, h), got none`);
    return {
      id: a.id,
      imageId: a.rowId,
      label: a.label,
      x: a.x,
      y: a.y,
      w: a.w,
      h: a.h,
      area: a.area ?? a.w * a.h,
      iscrowd: a.iscrowd,
    };
  });
  const preds = await db
    .select({
      id: predictions.id,
      rowId: predictions.rowId,
      ext: dataRows.externalId,
      key: predictions.predKey,
      label: predictions.label,
      score: predictions.score,
      x: predictions.x,
      y: predictions.y,
      w: predictions.w,
      h: predictions.h,
    })
    .from(predictions)
    .innerJoin(dataRows, eq(dataRows.id, predictions.rowId))
    .where(and(eq(predictions.runId, run.id), rowIds ? rowIn(predictions.rowId, rowIds) : undefined))
    // Ties broken by id (file order), so the order is the same every time it is read and equals
    // the one a new import hands over from its files (cocoDetectionInputs).
    .orderBy(asc(predictions.predKey), asc(predictions.id));
  const dets: DetBox[] = [];
  const poolDets: DetBox[] = [];
  for (const p of preds) {
    const where = `run ${run.name}, row ${p.ext}, detection ${p.key}`;
    if (p.label < 0 || p.label >= numClasses)
      throw new RangeError(`${where}: label ${p.label} is outside the dataset's ${numClasses} classes`);
    if (p.x === null || p.y === null || p.w === null || p.h === null)
      throw new TypeError(`${where}: expected a box (x, y, w, h), got none`);
    const det = {
      id: p.id,
      imageId: p.rowId,
      label: p.label,
      score: p.score,
      x: p.x,
      y: p.y,
      w: p.w,
      h: p.h,
    };
    (labeled.has(p.rowId) ? dets : poolDets).push(det);
  }
  const poolRows = rows.filter((r) => !r.labeled).map((r) => r.id);
  return { labeledRows: [...labeled], poolRows, gts, dets, poolDets, externalIds };
}
