import type { Db } from '../store/database.ts';
import { ECE_BINS, emptyBinTotals } from '../metrics/classification-calibration.ts';
import { type ClassificationMetricsDoc, classificationDocument } from '../metrics/classification-document.ts';
import { topKHits, topKValues } from '../metrics/classification-topk.ts';
import {
  type RunForAnalysis,
  calibrationBinCounts,
  classificationConfusion,
  labeledProbabilityChunks,
  refreshDerivedStatistics,
  rowScoreCounts,
  writeClassificationRowScores,
} from '../store/analysis.ts';

/**
 * Write a classification run's row_scores and compute its metrics document, set-based: the rows
 * are written by one INSERT … SELECT, the confusion matrix and calibration bins come back as
 * GROUP BY aggregates, and only top-k streams probability vectors (in keyset chunks).
 * Call inside a transaction whose derived rows were cleared; `withFindings` when the findings' row
 * values are staged in it (stageRowFindings).
 */
export async function analyzeClassification(
  db: Db,
  run: RunForAnalysis,
  { chunk, withFindings }: { chunk?: number; withFindings?: boolean } = {},
): Promise<ClassificationMetricsDoc> {
  const numClasses = run.classNames.length;
  await writeClassificationRowScores(db, run, { withFindings });
  await refreshDerivedStatistics(db);
  const { labeled, unlabeled } = await rowScoreCounts(db, run.id);
  const confusion = await classificationConfusion(db, run.id, numClasses);
  const bins = emptyBinTotals(ECE_BINS);
  for (const b of await calibrationBinCounts(db, run.id, ECE_BINS)) {
    bins.count[b.bin] = b.count;
    bins.correct[b.bin] = b.correct;
    bins.confidence[b.bin] = b.confidence;
  }
  const ks = topKValues(numClasses);
  const hits = new Array<number>(ks.length).fill(0);
  let rows = 0;
  for await (const c of labeledProbabilityChunks(db, run.id, numClasses, { chunk })) {
    topKHits(c.scores, numClasses, c.labels, ks).forEach((h, i) => {
      hits[i] += h;
    });
    rows += c.labels.length;
  }
  return classificationDocument({
    classNames: run.classNames,
    confusion,
    bins,
    topK: { ks, hits, rows },
    labeled,
    unlabeled,
  });
}
