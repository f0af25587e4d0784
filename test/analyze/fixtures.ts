import type { Db } from '../../db/index.ts';
import { annotations, dataRows, datasets, modelRuns, predictions } from '../../db/schema.ts';

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
  const [ds] = await db
    .insert(datasets)
    .values({ name, kind: 'classification', classNames })
    .returning({ id: datasets.id });
  const [run] = await db
    .insert(modelRuns)
    .values({ name, datasetId: ds.id, kind: 'classification' })
    .returning({ id: modelRuns.id });
  const inserted = await db
    .insert(dataRows)
    .values(rows.map((r) => ({ datasetId: ds.id, externalId: r.id, labeled: r.label !== undefined })))
    .returning({ id: dataRows.id, externalId: dataRows.externalId });
  const rowIds = new Map(inserted.map((r) => [r.externalId, r.id]));
  const gts = rows.flatMap((r) =>
    r.label === undefined ? [] : [{ rowId: rowIds.get(r.id)!, annKey: 'label', label: r.label }],
  );
  if (gts.length) await db.insert(annotations).values(gts);
  const preds = rows.flatMap((r) => {
    if (!r.probs) return [];
    const label = r.probs.indexOf(Math.max(...r.probs));
    return [
      {
        runId: run.id,
        rowId: rowIds.get(r.id)!,
        predKey: 0,
        label,
        score: r.score ?? r.probs[label],
        probs: r.probs,
      },
    ];
  });
  if (preds.length) await db.insert(predictions).values(preds);
  return { runId: run.id, datasetId: ds.id, rowIds };
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
  const [ds] = await db
    .insert(datasets)
    .values({ name, kind: 'detection', classNames, sourceClassIds: classNames.map((_, i) => i + 1) })
    .returning({ id: datasets.id });
  const [run] = await db
    .insert(modelRuns)
    .values({ name, datasetId: ds.id, kind: 'detection' })
    .returning({ id: modelRuns.id });
  const inserted = await db
    .insert(dataRows)
    .values(
      images.map((im) => ({
        datasetId: ds.id,
        externalId: im.id,
        labeled: im.labeled ?? true,
        width: im.width ?? 100,
        height: im.height ?? 100,
        imageUrl: `https://img.example/${im.id}.jpg`,
      })),
    )
    .returning({ id: dataRows.id, externalId: dataRows.externalId });
  const rowIds = new Map(inserted.map((r) => [r.externalId, r.id]));
  const gts = images.flatMap((im) =>
    im.gts.map((g) => ({
      rowId: rowIds.get(im.id)!,
      annKey: g.key,
      label: g.label,
      x: g.box[0],
      y: g.box[1],
      w: g.box[2],
      h: g.box[3],
      area: g.box[2] * g.box[3],
      iscrowd: g.iscrowd ?? false,
    })),
  );
  if (gts.length) await db.insert(annotations).values(gts);
  let ordinal = 0;
  const dets = images.flatMap((im) =>
    im.dets.map((d) => ({
      runId: run.id,
      rowId: rowIds.get(im.id)!,
      predKey: ordinal++,
      label: d.label,
      score: d.score,
      x: d.box[0],
      y: d.box[1],
      w: d.box[2],
      h: d.box[3],
    })),
  );
  if (dets.length) await db.insert(predictions).values(dets);
  return { runId: run.id, datasetId: ds.id, rowIds };
}
