import type { Db } from '../../db/index.ts';
import {
  argmax,
  insertBoxes,
  insertDataset,
  insertLabels,
  insertPredictions,
  insertRows,
  insertRun,
} from '../helpers/builder.ts';

export interface ClassRow {
  id: string;
  /** Ground truth; undefined = unlabeled pool. */
  label?: number;
  /** The prediction: probabilities (argmax, first on ties, is the predicted class); undefined = none. */
  probs?: number[];
  /** Override the stored predicted-class score (default: the max probability). */
  score?: number;
}

/** A classification dataset and run inserted directly, as the importer would write them. */
export async function seedClassification(
  db: Db,
  { name, classNames, rows }: { name: string; classNames: string[]; rows: ClassRow[] },
): Promise<{ runId: number; datasetId: number; rowIds: Map<string, number> }> {
  const datasetId = await insertDataset(db, { name, kind: 'classification', classNames });
  const runId = await insertRun(db, { name, datasetId, kind: 'classification' });
  const ids = await insertRows(
    db,
    datasetId,
    rows.map((r) => ({ externalId: r.id, labeled: r.label !== undefined })),
  );
  const rowIds = new Map(rows.map((r, i) => [r.id, ids[i]]));
  await insertLabels(
    db,
    ids,
    rows.map((r) => r.label),
  );
  await insertPredictions(
    db,
    runId,
    rows.flatMap((r, i) => {
      if (!r.probs) return [];
      const label = argmax(r.probs);
      return [{ rowId: ids[i], predKey: 0, label, score: r.score ?? r.probs[label], probs: r.probs }];
    }),
  );
  return { runId, datasetId, rowIds };
}

export interface DetImage {
  id: string;
  width?: number;
  height?: number;
  labeled?: boolean;
  gts: { key: string; label: number; box: [number, number, number, number]; iscrowd?: boolean }[];
  dets: { label: number; score: number; box: [number, number, number, number] }[];
}

/** A detection dataset and run inserted directly; detections get pred_key = ordinal in the whole run. */
export async function seedDetection(
  db: Db,
  { name, classNames, images }: { name: string; classNames: string[]; images: DetImage[] },
): Promise<{ runId: number; datasetId: number; rowIds: Map<string, number> }> {
  const datasetId = await insertDataset(db, {
    name,
    kind: 'detection',
    classNames,
    sourceClassIds: classNames.map((_, i) => i + 1),
  });
  const runId = await insertRun(db, { name, datasetId, kind: 'detection' });
  const ids = await insertRows(
    db,
    datasetId,
    images.map((im) => ({
      externalId: im.id,
      labeled: im.labeled ?? true,
      width: im.width ?? 100,
      height: im.height ?? 100,
      imageUrl: `https://img.example/${im.id}.jpg`,
    })),
  );
  const rowIds = new Map(images.map((im, i) => [im.id, ids[i]]));
  await insertBoxes(
    db,
    images.flatMap((im, i) =>
      im.gts.map((g) => ({ rowId: ids[i], annKey: g.key, label: g.label, box: g.box, iscrowd: g.iscrowd })),
    ),
  );
  let ordinal = 0;
  await insertPredictions(
    db,
    runId,
    images.flatMap((im, i) =>
      im.dets.map((d) => ({ rowId: ids[i], predKey: ordinal++, label: d.label, score: d.score, box: d.box })),
    ),
  );
  return { runId, datasetId, rowIds };
}
