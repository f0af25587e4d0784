import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import {
  annotations,
  dataRows,
  datasets,
  embeddings,
  labelFlags,
  modelRuns,
  predictions,
  rowScores,
} from '../../db/schema.ts';

/**
 * The one builder of test data written straight into the tables (as the importer and the analyzer
 * would write them), so a test can state exactly what is stored without running either. The
 * fixtures of each suite are compositions of these steps.
 *
 * @example
 * const datasetId = await insertDataset(db, { name: 'run-a', kind: 'classification', classNames });
 * const runId = await insertRun(db, { name: 'run-a', datasetId, kind: 'classification' });
 * const rowIds = await insertRows(db, datasetId, [{ externalId: 'r0' }, { externalId: 'r1', labeled: false }]);
 * await insertLabels(db, rowIds, [0, null]);
 */

type XYWH = [number, number, number, number];
type RowInsert = Omit<typeof dataRows.$inferInsert, 'datasetId'>;
type PredictionInsert = Omit<typeof predictions.$inferInsert, 'runId' | 'x' | 'y' | 'w' | 'h'> & {
  box?: XYWH;
};

/** Rows per insert statement: any count stays within a statement's parameter limit. */
const PAGE = 500;

async function inPages<T>(items: readonly T[], write: (page: T[]) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += PAGE) await write(items.slice(start, start + PAGE));
}

export async function insertDataset(db: Db, values: typeof datasets.$inferInsert): Promise<number> {
  const [ds] = await db.insert(datasets).values(values).returning({ id: datasets.id });
  return ds.id;
}

export async function insertRun(db: Db, values: typeof modelRuns.$inferInsert): Promise<number> {
  const [run] = await db.insert(modelRuns).values(values).returning({ id: modelRuns.id });
  return run.id;
}

/** Data rows of a dataset, in the order given; their ids in that order. */
export async function insertRows(db: Db, datasetId: number, rows: RowInsert[]): Promise<number[]> {
  const ids: number[] = [];
  await inPages(rows, async (page) => {
    const inserted = await db
      .insert(dataRows)
      .values(page.map((r) => ({ ...r, datasetId })))
      .returning({ id: dataRows.id });
    ids.push(...inserted.map((r) => Number(r.id)));
  });
  return ids;
}

/** Classification ground truth: `labels[i]` for row `rowIds[i]` (null or undefined: unlabeled). */
export async function insertLabels(
  db: Db,
  rowIds: number[],
  labels: readonly (number | null | undefined)[],
): Promise<void> {
  const gts = labels.flatMap((label, i) =>
    label === null || label === undefined ? [] : [{ rowId: rowIds[i], annKey: 'label', label }],
  );
  if (gts.length) await db.insert(annotations).values(gts);
}

/** Ground-truth boxes (area w·h); their annotation ids in the order given. */
export async function insertBoxes(
  db: Db,
  boxes: { rowId: number; annKey: string; label: number; box: XYWH; iscrowd?: boolean }[],
): Promise<number[]> {
  if (!boxes.length) return [];
  const rows = await db
    .insert(annotations)
    .values(
      boxes.map(({ rowId, annKey, label, box: [x, y, w, h], iscrowd = false }) => ({
        rowId,
        annKey,
        label,
        x,
        y,
        w,
        h,
        area: w * h,
        iscrowd,
      })),
    )
    .returning({ id: annotations.id });
  return rows.map((r) => Number(r.id));
}

/** Predictions of a run (a class with its score and probabilities, or a box); their ids in the order given. */
export async function insertPredictions(db: Db, runId: number, preds: PredictionInsert[]): Promise<number[]> {
  if (!preds.length) return [];
  const rows = await db
    .insert(predictions)
    .values(
      preds.map(({ box, ...p }) => ({
        ...p,
        runId,
        ...(box ? { x: box[0], y: box[1], w: box[2], h: box[3] } : {}),
      })),
    )
    .returning({ id: predictions.id });
  return rows.map((r) => Number(r.id));
}

/** The predicted class of a probability vector: the first largest. */
export const argmax = (probs: readonly number[]): number => probs.indexOf(Math.max(...probs));

/** What the analyzer derives per row (`row_scores`), for tests of what reads them. */
export async function insertRowScores(
  db: Db,
  runId: number,
  scores: Omit<typeof rowScores.$inferInsert, 'runId'>[],
): Promise<void> {
  await inPages(scores, async (page) => {
    await db.insert(rowScores).values(page.map((s) => ({ ...s, runId })));
  });
}

/** A run's row_scores lines, in row order (what tests compare before and after an analysis). */
export function rowScoreLines(db: Db, runId: number) {
  return db.select().from(rowScores).where(eq(rowScores.runId, runId)).orderBy(asc(rowScores.rowId));
}

/** What an analysis stored for a run: its metrics, row_scores lines and ranked flags. */
export async function storedAnalysis(db: Db, runId: number) {
  const [run] = await db
    .select({ metrics: modelRuns.metrics })
    .from(modelRuns)
    .where(eq(modelRuns.id, runId));
  return {
    metrics: run?.metrics,
    scores: await rowScoreLines(db, runId),
    flags: await db
      .select({
        rowId: labelFlags.rowId,
        kind: labelFlags.kind,
        annId: labelFlags.annId,
        predId: labelFlags.predId,
        given: labelFlags.given,
        suggested: labelFlags.suggested,
        score: labelFlags.score,
        methods: labelFlags.methods,
        evidence: labelFlags.evidence,
        rank: labelFlags.rank,
      })
      .from(labelFlags)
      .where(eq(labelFlags.runId, runId))
      .orderBy(asc(labelFlags.rank)),
  };
}

/** float32 little-endian bytes, as the embeddings table stores them. */
export function vectorBytes(v: ArrayLike<number>): Buffer {
  return Buffer.from(Float32Array.from(v).buffer);
}

/** One embedding per row: `vectors[i]` for row `rowIds[i]`. */
export async function insertEmbeddings(
  db: Db,
  runId: number,
  rowIds: number[],
  vectors: readonly ArrayLike<number>[],
): Promise<void> {
  const rows = vectors.map((v, i) => ({ runId, rowId: rowIds[i], dim: v.length, vector: vectorBytes(v) }));
  await inPages(rows, async (page) => {
    await db.insert(embeddings).values(page);
  });
}
