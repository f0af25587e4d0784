import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import {
  annotations,
  dataRows,
  datasets,
  embeddings,
  modelRuns,
  predictions,
  rowScores,
} from '../../db/schema.ts';

/** What the findings computation reads of a run: its classes, rows, predictions and embeddings. */

/** A run with what the findings need from its dataset. */
export interface FindingsRun {
  id: number;
  name: string;
  kind: 'classification' | 'detection';
  classNames: string[];
}

/** The run, or an error naming the id. */
export async function loadFindingsRun(db: Db, runId: number): Promise<FindingsRun> {
  const [run] = await db
    .select({ id: modelRuns.id, name: modelRuns.name, kind: modelRuns.kind, classNames: datasets.classNames })
    .from(modelRuns)
    .innerJoin(datasets, eq(datasets.id, modelRuns.datasetId))
    .where(eq(modelRuns.id, runId));
  if (!run) throw new Error(`findings: no model run with id ${runId}`);
  return run;
}

/** The findings options last used on a run (empty when none were stored). */
export async function storedFindingsOptions(db: Db, runId: number): Promise<Record<string, unknown>> {
  const [stored] = await db
    .select({ options: modelRuns.findingsOptions })
    .from(modelRuns)
    .where(eq(modelRuns.id, runId));
  return stored?.options ?? {};
}

/** A classification run's rows in row id order: given label (−1 unlabeled) and probabilities. */
export interface ClassificationRows {
  rowIds: number[];
  labels: Int32Array;
  probs: Float32Array;
  k: number;
}

/**
 * Every row of a classification run that has a prediction, read in pages (keyset on row id). A
 * prediction stored without its probability vector gets its score on the predicted class and the rest
 * spread evenly, so confident learning still sees what the model claimed.
 */
export async function loadClassificationRows(
  db: Db,
  runId: number,
  k: number,
  { pageSize = 20_000 }: { pageSize?: number } = {},
): Promise<ClassificationRows> {
  const rowIds: number[] = [];
  const labels: number[] = [];
  let probs = new Float32Array(Math.max(1024, k) * k);
  // Errors name the row as the user knows it (the analysis does too); looked up only then.
  const externalIdOf = async (rowId: number) => {
    const [row] = await db.select({ id: dataRows.externalId }).from(dataRows).where(eq(dataRows.id, rowId));
    return row?.id ?? String(rowId);
  };
  let after = -1;
  for (;;) {
    const page = await db
      .select({
        rowId: predictions.rowId,
        probs: predictions.probs,
        label: predictions.label,
        score: predictions.score,
        labeled: dataRows.labeled,
        given: annotations.label,
      })
      .from(predictions)
      .innerJoin(dataRows, eq(dataRows.id, predictions.rowId))
      .leftJoin(annotations, and(eq(annotations.rowId, predictions.rowId), eq(annotations.annKey, 'label')))
      .where(and(eq(predictions.runId, runId), eq(predictions.predKey, 0), gt(predictions.rowId, after)))
      .orderBy(asc(predictions.rowId))
      .limit(pageSize);
    for (const r of page) {
      const i = rowIds.length;
      if ((i + 1) * k > probs.length) {
        const grown = new Float32Array(probs.length * 2);
        grown.set(probs);
        probs = grown;
      }
      const rowId = Number(r.rowId);
      const given = r.labeled && r.given !== null ? r.given : -1;
      if (given >= k)
        throw new Error(
          `run ${runId}, row ${await externalIdOf(rowId)}: label ${given} is outside the ${k} classes`,
        );
      if (r.probs && r.probs.length !== k)
        throw new Error(
          `run ${runId}, row ${await externalIdOf(rowId)}: probs has ${r.probs.length} values, expected ${k} (one per class)`,
        );
      if (r.probs) probs.set(r.probs, i * k);
      else {
        const rest = k > 1 ? (1 - r.score) / (k - 1) : 0;
        for (let j = 0; j < k; j++) probs[i * k + j] = j === r.label ? r.score : rest;
      }
      rowIds.push(rowId);
      labels.push(given);
    }
    if (page.length < pageSize) break;
    after = Number(page[page.length - 1].rowId);
  }
  return { rowIds, labels: Int32Array.from(labels), probs: probs.slice(0, rowIds.length * k), k };
}

/** One detection image: its labeled flag, ground-truth boxes and predictions. */
export interface DetectionImage {
  rowId: number;
  labeled: boolean;
  gts: { id: number; label: number; box: [number, number, number, number] }[];
  dets: { id: number; label: number; score: number; box: [number, number, number, number] }[];
}

/** Every row of a detection run that has a row_scores line, with its boxes. */
export async function loadDetectionImages(db: Db, runId: number): Promise<DetectionImage[]> {
  const rows = await db
    .select({ rowId: rowScores.rowId, labeled: rowScores.labeled })
    .from(rowScores)
    .where(eq(rowScores.runId, runId))
    .orderBy(asc(rowScores.rowId));
  const byRow = new Map<number, DetectionImage>();
  for (const r of rows)
    byRow.set(Number(r.rowId), { rowId: Number(r.rowId), labeled: r.labeled, gts: [], dets: [] });
  const gts = await rawRows<{
    id: number;
    row_id: number;
    label: number;
    x: number;
    y: number;
    w: number;
    h: number;
  }>(
    db,
    sql`select a.id, a.row_id, a.label, a.x, a.y, a.w, a.h from ${annotations} a
        join ${rowScores} s on s.row_id = a.row_id and s.run_id = ${runId}::int
        where a.x is not null and not a.iscrowd order by a.id`,
  );
  for (const g of gts)
    byRow.get(Number(g.row_id))?.gts.push({
      id: Number(g.id),
      label: g.label,
      box: [Number(g.x), Number(g.y), Number(g.w), Number(g.h)],
    });
  const dets = await db
    .select({
      id: predictions.id,
      rowId: predictions.rowId,
      label: predictions.label,
      score: predictions.score,
      x: predictions.x,
      y: predictions.y,
      w: predictions.w,
      h: predictions.h,
    })
    .from(predictions)
    .where(eq(predictions.runId, runId))
    .orderBy(asc(predictions.id));
  for (const d of dets) {
    if (d.x === null || d.y === null || d.w === null || d.h === null) continue;
    byRow.get(Number(d.rowId))?.dets.push({
      id: Number(d.id),
      label: d.label,
      score: d.score,
      box: [d.x, d.y, d.w, d.h],
    });
  }
  return [...byRow.values()];
}

/** Whether the run has any embedding (the neighbourhood signal needs them). */
export async function countEmbeddings(db: Db, runId: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(embeddings)
    .where(eq(embeddings.runId, runId));
  return row?.n ?? 0;
}

/** Vectors of some rows of a run (float32 little-endian bytea decoded); rows without one are absent. */
export async function loadEmbeddingVectors(
  db: Db,
  runId: number,
  rowIds: number[],
  { pageSize = 5000 }: { pageSize?: number } = {},
): Promise<Map<number, Float32Array>> {
  const out = new Map<number, Float32Array>();
  for (let s = 0; s < rowIds.length; s += pageSize) {
    const rows = await db
      .select({ rowId: embeddings.rowId, dim: embeddings.dim, vector: embeddings.vector })
      .from(embeddings)
      .where(and(eq(embeddings.runId, runId), inArray(embeddings.rowId, rowIds.slice(s, s + pageSize))));
    for (const r of rows) {
      const bytes = new Uint8Array(r.vector);
      if (bytes.byteLength !== r.dim * 4)
        throw new Error(
          `embeddings of run ${runId}, row ${r.rowId}: ${bytes.byteLength} bytes, expected ${r.dim * 4}`,
        );
      const v = new Float32Array(r.dim);
      new Uint8Array(v.buffer).set(bytes);
      out.set(Number(r.rowId), v);
    }
  }
  return out;
}

/** A flag to store; `rank` is assigned from the array order. */
