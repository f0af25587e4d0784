import type { Db } from '../../db/index.ts';
import { annotations, dataRows, datasets, modelRuns, predictions, rowScores } from '../../db/schema.ts';

/**
 * A tiny classification run inserted directly: `labels[i]` (null = unlabeled) and `probs[i]`.
 * Returns the run id and the row ids in input order.
 */
export async function insertClassificationRun(
  db: Db,
  {
    name,
    classNames,
    labels,
    probs,
  }: { name: string; classNames: string[]; labels: (number | null)[]; probs: number[][] },
): Promise<{ runId: number; datasetId: number; rowIds: number[] }> {
  const [ds] = await db
    .insert(datasets)
    .values({ name, kind: 'classification', classNames })
    .returning({ id: datasets.id });
  const [run] = await db
    .insert(modelRuns)
    .values({ name, datasetId: ds.id, kind: 'classification' })
    .returning({ id: modelRuns.id });
  const rows = await db
    .insert(dataRows)
    .values(labels.map((l, i) => ({ datasetId: ds.id, externalId: String(i), labeled: l !== null })))
    .returning({ id: dataRows.id });
  const rowIds = rows.map((r) => r.id);
  const gts = labels.flatMap((l, i) => (l === null ? [] : [{ rowId: rowIds[i], annKey: 'label', label: l }]));
  if (gts.length) await db.insert(annotations).values(gts);
  const preds = probs.map((p, i) => {
    const label = p.indexOf(Math.max(...p));
    return { runId: run.id, rowId: rowIds[i], predKey: 0, label, score: p[label], probs: p };
  });
  await db.insert(predictions).values(preds);
  // What the analyzer derives for classification, so store tests don't depend on it.
  await db.insert(rowScores).values(
    preds.map((p, i) => ({
      runId: run.id,
      rowId: p.rowId,
      labeled: labels[i] !== null,
      iou: labels[i] === null ? null : Number(labels[i] === p.label),
      confidence: p.score,
      minConf: p.score,
      maxConf: p.score,
      label: labels[i],
      predicted: p.label,
      numGt: labels[i] === null ? 0 : 1,
      numPred: 1,
    })),
  );
  return { runId: run.id, datasetId: ds.id, rowIds };
}
