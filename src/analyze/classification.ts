import type { Db } from '../store/database.ts';
import { ECE_BINS, emptyBinTotals } from '../metrics/classification-calibration.ts';
import { type ClassificationMetricsDoc, classificationDocument } from '../metrics/classification-document.ts';
import { topKHits, topKValues } from '../metrics/classification-topk.ts';
import type { ClassificationRows, ImportedClassificationRows } from '../store/findings-inputs.ts';
import type { RowFindings } from '../store/findings-save.ts';
import {
  type RunForAnalysis,
  calibrationBinCounts,
  classificationConfusion,
  labeledProbabilityChunks,
  rowScoreCounts,
} from '../store/analysis.ts';
import { writeClassificationRowScores, writeImportedRowScores } from '../store/row-scores-write.ts';
import { openRunScores, swapRunScores } from '../store/run-scores.ts';

/**
 * Write a classification run's row_scores and compute its metrics document, set-based: the rows
 * are written by one INSERT … SELECT, the confusion matrix and calibration bins come back as
 * GROUP BY aggregates, and only top-k streams probability vectors (in keyset chunks).
 * Call inside the analysis' transaction; `withFindings` when the findings' row
 * values are staged in it (stageRowFindings). `rows`: the run's rows as the findings read them,
 * so top-k counts them in memory instead of reading every probability vector a second time.
 * `imported`: the rows the import of a new dataset holds and their findings, written as they are
 * instead of joined from the tables.
 */
export async function analyzeClassification(
  db: Db,
  run: RunForAnalysis,
  {
    chunk,
    withFindings,
    rows: loaded,
    imported,
  }: {
    chunk?: number;
    withFindings?: boolean;
    rows?: ClassificationRows;
    imported?: { rows: ImportedClassificationRows; findings: readonly RowFindings[] };
  } = {},
): Promise<ClassificationMetricsDoc> {
  const numClasses = run.classNames.length;
  const scores = await openRunScores(db, run.id);
  if (imported) await writeImportedRowScores(db, scores, imported.rows, imported.findings);
  else await writeClassificationRowScores(db, run, { withFindings, into: scores });
  await swapRunScores(db, scores);
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
  for await (const c of loaded
    ? labeledStoredChunks(loaded, numClasses)
    : labeledProbabilityChunks(db, run.id, numClasses, { chunk })) {
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

/**
 * The labeled rows with a stored probability vector, in chunks: what labeledProbabilityChunks
 * reads, taken from rows already in memory (the same float32 values, so the same hits).
 */
function* labeledStoredChunks(
  { labels, probs, stored, k }: ClassificationRows,
  numClasses: number,
  chunk = 65_536,
): Generator<{ labels: Int32Array; scores: Float32Array }> {
  if (k !== numClasses) throw new RangeError(`rows have ${k} classes, the run ${numClasses}`);
  const take: number[] = [];
  const flush = () => {
    const out = { labels: new Int32Array(take.length), scores: new Float32Array(take.length * k) };
    take.forEach((i, s) => {
      out.labels[s] = labels[i];
      out.scores.set(probs.subarray(i * k, i * k + k), s * k);
    });
    take.length = 0;
    return out;
  };
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0 || stored[i] !== 1) continue;
    take.push(i);
    if (take.length === chunk) yield flush();
  }
  if (take.length) yield flush();
}
