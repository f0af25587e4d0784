import { eq } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { modelRuns } from '../../db/schema.ts';
import {
  insertBoxes,
  insertDataset,
  insertPredictions,
  insertRowScores,
  insertRows,
  insertRun,
} from '../helpers/builder.ts';
import { insertClassificationRun } from '../helpers/fixtures.ts';

/**
 * A classification run inserted directly (datasets, data_rows, annotations, predictions, row_scores and,
 * when given, embeddings): `labels[i]` null = unlabeled pool; rows `r0`, `r1`, … each with an image.
 */
export async function insertClassification(
  db: Db,
  opts: {
    name: string;
    classNames: string[];
    labels: (number | null)[];
    probs: number[][];
    vectors?: number[][];
  },
): Promise<{ runId: number; rowIds: number[] }> {
  const { runId, rowIds } = await insertClassificationRun(db, {
    ...opts,
    externalId: (i) => `r${i}`,
    imageUrl: (i) => `/media/${opts.name}/${i}.png`,
  });
  return { runId, rowIds };
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
  const datasetId = await insertDataset(db, { name, kind: 'detection', classNames });
  const runId = await insertRun(db, { name, datasetId, kind: 'detection' });
  const rowIds: number[] = [];
  const annIds: number[][] = [];
  const predIds: number[][] = [];
  for (const [i, img] of images.entries()) {
    const [rowId] = await insertRows(db, datasetId, [
      { externalId: String(100 + i), labeled: img.gts !== null, width: 100, height: 100 },
    ]);
    rowIds.push(rowId);
    annIds.push(
      await insertBoxes(
        db,
        (img.gts ?? []).map((g, a) => ({ rowId, annKey: String(a), label: g.label, box: g.box })),
      ),
    );
    predIds.push(
      await insertPredictions(
        db,
        runId,
        img.dets.map((d, p) => ({ rowId, predKey: p, label: d.label, score: d.score, box: d.box })),
      ),
    );
    const scores = img.dets.map((d) => d.score);
    await insertRowScores(db, runId, [
      {
        rowId,
        labeled: img.gts !== null,
        confidence: scores.length ? Math.max(...scores) : 0,
        numGt: img.gts?.length ?? 0,
        numPred: img.dets.length,
      },
    ]);
  }
  return { runId, rowIds, annIds, predIds };
}

/** The run's stored findings options. */
export async function storedOptions(db: Db, runId: number) {
  const [row] = await db
    .select({ o: modelRuns.findingsOptions })
    .from(modelRuns)
    .where(eq(modelRuns.id, runId));
  return row?.o ?? null;
}
