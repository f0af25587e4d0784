import { and, asc, eq, inArray } from 'drizzle-orm';
import { correctionHistory } from './corrections.ts';
import type { Db } from '../../db/index.ts';
import {
  annotations,
  dataRows,
  datasets,
  labelFlags,
  modelRuns,
  predictions,
  rowScores,
} from '../../db/schema.ts';
import { decisionHistory, listTags } from './reviews.ts';

const className = (names: string[], i: number | null) => (i === null ? null : (names[i] ?? String(i)));

/** Items grouped by a row id, each group in input order. */
function byRow<T>(items: T[], rowOf: (item: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const item of items) {
    const group = out.get(rowOf(item));
    if (group) group.push(item);
    else out.set(rowOf(item), [item]);
  }
  return out;
}

/**
 * The card parts of many rows (the row, its ground truth, every run's predictions and scores) in
 * four queries, whatever their number: a gallery page would otherwise pay a row detail per card.
 * Rows that do not exist are absent from the map.
 *
 * @example
 * const cards = await listRowCards(db, [12, 13, 14]);
 * cards.get(12)?.predictions; // every run's predictions of row 12
 */
export async function listRowCards(db: Db, rowIds: number[]) {
  if (rowIds.length === 0) return new Map<number, never>();
  const [rows, gts, preds, scores] = await Promise.all([
    db
      .select({
        rowId: dataRows.id,
        id: dataRows.externalId,
        labeled: dataRows.labeled,
        imageUrl: dataRows.imageUrl,
        text: dataRows.text,
        width: dataRows.width,
        height: dataRows.height,
        metadata: dataRows.metadata,
        datasetId: datasets.id,
        dataset: datasets.name,
        kind: datasets.kind,
        classNames: datasets.classNames,
      })
      .from(dataRows)
      .innerJoin(datasets, eq(datasets.id, dataRows.datasetId))
      .where(inArray(dataRows.id, rowIds)),
    db.select().from(annotations).where(inArray(annotations.rowId, rowIds)).orderBy(asc(annotations.id)),
    db
      .select({
        rowId: predictions.rowId,
        runId: predictions.runId,
        run: modelRuns.name,
        id: predictions.id,
        label: predictions.label,
        score: predictions.score,
        x: predictions.x,
        y: predictions.y,
        w: predictions.w,
        h: predictions.h,
        probs: predictions.probs,
      })
      .from(predictions)
      .innerJoin(modelRuns, eq(modelRuns.id, predictions.runId))
      .where(inArray(predictions.rowId, rowIds))
      .orderBy(asc(predictions.runId), asc(predictions.predKey)),
    db
      .select({ run: modelRuns.name, score: rowScores })
      .from(rowScores)
      .innerJoin(modelRuns, eq(modelRuns.id, rowScores.runId))
      .where(inArray(rowScores.rowId, rowIds)),
  ]);
  const gtsOf = byRow(gts, (a) => a.rowId);
  const predsOf = byRow(preds, (p) => p.rowId);
  const scoresOf = byRow(scores, (s) => s.score.rowId);
  return new Map(
    rows.map(({ classNames, ...row }) => [
      row.rowId,
      {
        row,
        classNames,
        annotations: (gtsOf.get(row.rowId) ?? []).map((a) => ({
          ...a,
          labelName: className(classNames, a.label),
        })),
        predictions: (predsOf.get(row.rowId) ?? []).map(({ rowId: _, ...p }) => ({
          ...p,
          labelName: className(classNames, p.label),
        })),
        scores: (scoresOf.get(row.rowId) ?? []).map((s) => ({ run: s.run, ...s.score })),
      },
    ]),
  );
}

/** What a card shows of a row. */
export type RowCard = NonNullable<ReturnType<Awaited<ReturnType<typeof listRowCards>>['get']>>;

/**
 * Everything the row page shows: the row, its ground truth, every run's predictions and
 * scores, flags, tags and the decision history. Null when the row does not exist.
 */
export async function getRowDetail(db: Db, rowId: number) {
  const card = (await listRowCards(db, [rowId])).get(rowId);
  if (!card) return null;
  const flags = await db
    .select({ run: modelRuns.name, flag: labelFlags })
    .from(labelFlags)
    .innerJoin(modelRuns, eq(modelRuns.id, labelFlags.runId))
    .where(eq(labelFlags.rowId, rowId))
    .orderBy(asc(labelFlags.rank));
  return {
    ...card,
    flags: flags.map((f) => ({
      run: f.run,
      ...f.flag,
      givenName: className(card.classNames, f.flag.given),
      suggestedName: className(card.classNames, f.flag.suggested),
    })),
    tags: (await listTags(db, [rowId])).get(rowId) ?? [],
    history: await decisionHistory(db, rowId),
    /** Relabels and their undos, with what each changed (see src/store/corrections.ts). */
    corrections: await correctionHistory(db, rowId),
  };
}

export type RowDetail = NonNullable<Awaited<ReturnType<typeof getRowDetail>>>;

/**
 * Map the external ids users type (COCO image ids, CSV ids, .npy row indices) to row ids
 * within a run's dataset. Unknown ids are absent from the map.
 */
export async function resolveRowIds(db: Db, { runId, ids }: { runId: number; ids: string[] }) {
  const out = new Map<string, number>();
  if (ids.length === 0) return out;
  const rows = await db
    .select({ id: dataRows.externalId, rowId: dataRows.id })
    .from(dataRows)
    .innerJoin(modelRuns, eq(modelRuns.datasetId, dataRows.datasetId))
    .where(and(eq(modelRuns.id, runId), inArray(dataRows.externalId, ids)));
  for (const r of rows) out.set(r.id, r.rowId);
  return out;
}

export interface ExportRow {
  rowId: number;
  externalId: string;
  width: number | null;
  height: number | null;
  /** COCO `file_name` and other image fields kept at ingest. */
  metadata: Record<string, unknown> | null;
}

/** A dataset's rows in input order (ingest gives rows consecutive ids in the order they came in). */
export async function datasetRowsInOrder(db: Db, datasetId: number): Promise<ExportRow[]> {
  return db
    .select({
      rowId: dataRows.id,
      externalId: dataRows.externalId,
      width: dataRows.width,
      height: dataRows.height,
      metadata: dataRows.metadata,
    })
    .from(dataRows)
    .where(eq(dataRows.datasetId, datasetId))
    .orderBy(asc(dataRows.id));
}
