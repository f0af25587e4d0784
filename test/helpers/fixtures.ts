import type { Db } from '../../db/index.ts';
import {
  argmax,
  insertDataset,
  insertEmbeddings,
  insertLabels,
  insertPredictions,
  insertRowScores,
  insertRows,
  insertRun,
} from './builder.ts';

/**
 * A tiny classification run inserted directly: `labels[i]` (null = unlabeled), `probs[i]` and,
 * when given, `vectors[i]`; row i's external id is `externalId(i)` (default "i"). Returns the run
 * id and the row ids in input order.
 */
export async function insertClassificationRun(
  db: Db,
  {
    name,
    classNames,
    labels,
    probs,
    vectors,
    externalId = String,
    imageUrl,
  }: {
    name: string;
    classNames: string[];
    labels: (number | null)[];
    probs: number[][];
    vectors?: number[][];
    externalId?: (i: number) => string;
    imageUrl?: (i: number) => string;
  },
): Promise<{ runId: number; datasetId: number; rowIds: number[] }> {
  const datasetId = await insertDataset(db, { name, kind: 'classification', classNames });
  const runId = await insertRun(db, { name, datasetId, kind: 'classification' });
  const rowIds = await insertRows(
    db,
    datasetId,
    labels.map((l, i) => ({ externalId: externalId(i), labeled: l !== null, imageUrl: imageUrl?.(i) })),
  );
  await insertLabels(db, rowIds, labels);
  const predicted = probs.map(argmax);
  await insertPredictions(
    db,
    runId,
    probs.map((p, i) => ({
      rowId: rowIds[i],
      predKey: 0,
      label: predicted[i],
      score: p[predicted[i]],
      probs: p,
    })),
  );
  // What the analyzer derives for classification, so store tests don't depend on it.
  await insertRowScores(
    db,
    runId,
    probs.map((p, i) => ({
      rowId: rowIds[i],
      labeled: labels[i] !== null,
      iou: labels[i] === null ? null : Number(labels[i] === predicted[i]),
      confidence: p[predicted[i]],
      minConf: p[predicted[i]],
      maxConf: p[predicted[i]],
      label: labels[i],
      predicted: predicted[i],
      numGt: labels[i] === null ? 0 : 1,
      numPred: 1,
    })),
  );
  if (vectors) await insertEmbeddings(db, runId, rowIds, vectors);
  return { runId, datasetId, rowIds };
}
