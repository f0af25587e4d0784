import type { Db } from '../../db/index.ts';
import { evaluateCoco } from '../metrics/coco-eval.ts';
import { detectionConfusion } from '../metrics/detection-confusion.ts';
import { matchDetectionRows } from '../metrics/detection-rows.ts';
import {
  type RunForAnalysis,
  insertMatches,
  insertRowScores,
  loadDetectionInputs,
  refreshDerivedStatistics,
} from '../store/analysis.ts';
import {
  type DetectionMetricsDoc,
  detectionDocument,
  labeledRowLines,
  unlabeledRowLines,
} from './detection-summary.ts';

/**
 * Write a detection run's matches and row_scores and compute its metrics document: COCO
 * evaluation over the labeled images (every class of the dataset, as pycocotools evaluates every
 * category of the ground-truth file), the greedy match at `iouThreshold` per image, and the
 * class-agnostic confusion matrix of detections scoring at least `scoreThreshold` (0.25, as
 * Ultralytics' confusion matrix, so the flood of low-score detections COCO results files carry does
 * not bury the off-diagonal cells). Call inside a transaction whose derived rows were cleared.
 */
export async function analyzeDetection(
  db: Db,
  run: RunForAnalysis,
  { iouThreshold = 0.5, scoreThreshold = 0.25 }: { iouThreshold?: number; scoreThreshold?: number } = {},
): Promise<DetectionMetricsDoc> {
  const { labeledRows, gts, dets, poolDets } = await loadDetectionInputs(db, run);
  const labels = run.classNames.map((_, i) => i);
  const evaluation = evaluateCoco({ imageIds: labeledRows, labels, gts, dets });
  const rows = matchDetectionRows(gts, dets, { iouThreshold });
  const confusion = detectionConfusion(gts, dets, labels, { iouThreshold, scoreThreshold });

  const labeledLines = labeledRowLines(rows);
  const poolLines = unlabeledRowLines(poolDets);
  await insertRowScores(db, run.id, [...labeledLines, ...poolLines]);
  await insertMatches(
    db,
    run.id,
    rows.pairs.map((p) => ({
      rowId: p.imageId,
      annId: p.gtId,
      predId: p.detId,
      gtLabel: p.gtLabel,
      predLabel: p.detLabel,
      iou: p.iou,
      score: p.score,
    })),
  );
  await refreshDerivedStatistics(db);
  return detectionDocument({
    classNames: run.classNames,
    evaluation,
    confusion,
    iouThreshold,
    scoreThreshold,
    labeled: labeledLines.length,
    unlabeled: poolLines.length,
  });
}
