import { type AveragedMetrics, classificationReport, countsFromConfusion } from './classification.ts';
import {
  type BinTotals,
  type CalibrationBin,
  calibrationTable,
  eceFromTotals,
} from './classification-calibration.ts';

/** The metrics document of a classification run, as stored in `model_runs.metrics`. */
export interface ClassificationMetricsDoc {
  kind: 'classification';
  /** Over labeled rows that have a prediction. */
  accuracy: number;
  classes: { name: string; precision: number; recall: number; f1: number; support: number }[];
  macro: AveragedMetrics;
  weighted: AveragedMetrics;
  /** Keyed by k ("1", "3", "5" where k < K); empty when the run stored no probability vectors. */
  topK: Record<string, number>;
  ece: number;
  calibration: CalibrationBin[];
  /** `matrix[label][predicted]`. */
  confusion: { labels: string[]; matrix: number[][] };
  /** row_scores lines of labeled rows (including any without a prediction, which the metrics skip). */
  labeled: number;
  /** row_scores lines of the unlabeled pool. */
  unlabeled: number;
}

/**
 * Assemble the document from aggregates (a confusion matrix, calibration bin totals, top-k hit
 * counts), so the 1M-row path never needs the rows themselves in memory.
 *
 * @example
 * classificationDocument({ classNames: ['a', 'b'], confusion: [[1, 0], [1, 1]], bins, topK: { ks: [1], hits: [2], rows: 3 }, labeled: 3, unlabeled: 0 });
 */
export function classificationDocument({
  classNames,
  confusion,
  bins,
  topK,
  labeled,
  unlabeled,
}: {
  classNames: string[];
  confusion: number[][];
  bins: BinTotals;
  topK: { ks: number[]; hits: number[]; rows: number };
  labeled: number;
  unlabeled: number;
}): ClassificationMetricsDoc {
  const report = classificationReport(countsFromConfusion(confusion));
  const topKDoc: Record<string, number> = {};
  if (topK.rows > 0) for (const [i, k] of topK.ks.entries()) topKDoc[String(k)] = topK.hits[i] / topK.rows;
  return {
    kind: 'classification',
    accuracy: report.accuracy,
    classes: report.classes.map((m, c) => ({ name: classNames[c] ?? String(c), ...m })),
    macro: report.macro,
    weighted: report.weighted,
    topK: topKDoc,
    ece: eceFromTotals(bins),
    calibration: calibrationTable(bins),
    confusion: { labels: classNames, matrix: confusion },
    labeled,
    unlabeled,
  };
}
