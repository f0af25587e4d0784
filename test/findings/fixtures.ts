import { eq } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import {
  annotations,
  dataRows,
  datasets,
  embeddings,
  modelRuns,
  predictions,
  rowScores,
} from '../../db/schema.ts';

/** float32 little-endian bytes, as the embeddings table stores them. */
export function vectorBytes(v: number[]): Buffer {
  return Buffer.from(new Float32Array(v).buffer);
}

/**
 * A classification run inserted directly (datasets, data_rows, annotations, predictions, row_scores and,
 * when given, embeddings): `labels[i]` null = unlabeled pool.
 */
export async function insertClassification(
  db: Db,
  {
    name,
    classNames,
    labels,
    probs,
    vectors,
  }: {
    name: string;
    classNames: string[];
    labels: (number | null)[];
    probs: number[][];
    vectors?: number[][];
  },
): Promise<{ runId: number; rowIds: number[] }> {
  const [ds] = await db.insert(datasets).values({ name, kind: 'classification', classNames }).returning();
  const [run] = await db
    .insert(modelRuns)
    .values({ name, datasetId: ds.id, kind: 'classification' })
    .returning();
  const rows = await db
    .insert(dataRows)
    .values(
      labels.map((l, i) => ({
        datasetId: ds.id,
        externalId: `r${i}`,
        labeled: l !== null,
        imageUrl: `/media/${name}/${i}.png`,
      })),
    )
    .returning({ id: dataRows.id });
  const rowIds = rows.map((r) => Number(r.id));
  const gts = labels.flatMap((l, i) => (l === null ? [] : [{ rowId: rowIds[i], annKey: 'label', label: l }]));
  if (gts.length) await db.insert(annotations).values(gts);
  const predicted = probs.map((p) => p.indexOf(Math.max(...p)));
  await db.insert(predictions).values(
    probs.map((p, i) => ({
      runId: run.id,
      rowId: rowIds[i],
      predKey: 0,
      label: predicted[i],
      score: p[predicted[i]],
      probs: p,
    })),
  );
  await db.insert(rowScores).values(
    probs.map((p, i) => ({
      runId: run.id,
      rowId: rowIds[i],
      labeled: labels[i] !== null,
      iou: labels[i] === null ? null : predicted[i] === labels[i] ? 1 : 0,
      confidence: p[predicted[i]],
      label: labels[i],
      predicted: predicted[i],
      numGt: labels[i] === null ? 0 : 1,
      numPred: 1,
    })),
  );
  if (vectors)
    await db
      .insert(embeddings)
      .values(
        vectors.map((v, i) => ({ runId: run.id, rowId: rowIds[i], dim: v.length, vector: vectorBytes(v) })),
      );
  return { runId: run.id, rowIds };
}

type XYWH = [number, number, number, number];

/** A detection run: per image, its boxes (`gts`, null = unlabeled image) and predictions. */
export async function insertDetection(
  db: Db,
  {
    name,
    classNames,
    images,
  }: {
    name: string;
    classNames: string[];
    images: {
      gts: { label: number; box: XYWH }[] | null;
      dets: { label: number; score: number; box: XYWH }[];
    }[];
  },
): Promise<{ runId: number; rowIds: number[]; annIds: number[][]; predIds: number[][] }> {
  const [ds] = await db.insert(datasets).values({ name, kind: 'detection', classNames }).returning();
  const [run] = await db.insert(modelRuns).values({ name, datasetId: ds.id, kind: 'detection' }).returning();
  const rowIds: number[] = [];
  const annIds: number[][] = [];
  const predIds: number[][] = [];
  for (const [i, img] of images.entries()) {
    const [row] = await db
      .insert(dataRows)
      .values({
        datasetId: ds.id,
        externalId: String(100 + i),
        labeled: img.gts !== null,
        width: 100,
        height: 100,
      })
      .returning({ id: dataRows.id });
    const rowId = Number(row.id);
    rowIds.push(rowId);
    const anns = img.gts?.length
      ? await db
          .insert(annotations)
          .values(
            img.gts.map((g, a) => ({
              rowId,
              annKey: String(a),
              label: g.label,
              x: g.box[0],
              y: g.box[1],
              w: g.box[2],
              h: g.box[3],
              area: g.box[2] * g.box[3],
            })),
          )
          .returning({ id: annotations.id })
      : [];
    annIds.push(anns.map((a) => Number(a.id)));
    const preds = img.dets.length
      ? await db
          .insert(predictions)
          .values(
            img.dets.map((d, p) => ({
              runId: run.id,
              rowId,
              predKey: p,
              label: d.label,
              score: d.score,
              x: d.box[0],
              y: d.box[1],
              w: d.box[2],
              h: d.box[3],
            })),
          )
          .returning({ id: predictions.id })
      : [];
    predIds.push(preds.map((p) => Number(p.id)));
    const scores = img.dets.map((d) => d.score);
    await db.insert(rowScores).values({
      runId: run.id,
      rowId,
      labeled: img.gts !== null,
      confidence: scores.length ? Math.max(...scores) : 0,
      numGt: img.gts?.length ?? 0,
      numPred: img.dets.length,
    });
  }
  return { runId: run.id, rowIds, annIds, predIds };
}

/** The run's stored findings options. */
export async function storedOptions(db: Db, runId: number) {
  const [row] = await db
    .select({ o: modelRuns.findingsOptions })
    .from(modelRuns)
    .where(eq(modelRuns.id, runId));
  return row?.o ?? null;
}
