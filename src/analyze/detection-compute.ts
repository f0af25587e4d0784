import { evaluateCoco } from '../metrics/coco-eval.ts';
import { detectionConfusion } from '../metrics/detection-confusion.ts';
import { matchDetectionRows } from '../metrics/detection-rows.ts';
import type { DetectionInputs, HandedDetectionInputs, RowScoreLine } from '../store/analysis.ts';
import { type PackedObjectOutcomes, packObjectOutcomes } from '../store/object-pack.ts';
import { detectionObjects } from './detection-objects.ts';
import {
  type DetectionMetricsDoc,
  detectionDocument,
  emptyRowLines,
  labeledRowLines,
  unlabeledRowLines,
} from './detection-summary.ts';

/** The thresholds of a detection analysis (see analyzeDetection). */
export interface DetectionThresholds {
  iouThreshold: number;
  scoreThreshold: number;
}

/** What a detection analysis computes from its inputs, before anything is stored. */
export interface DetectionAnalysis extends DetectionThresholds {
  doc: DetectionMetricsDoc;
  /** One row_scores line per image of the dataset. */
  rowLines: RowScoreLine[];
  objects: PackedObjectOutcomes;
}

/**
 * What an import hands the analysis it runs next: its inputs, and their analysis when the import
 * started it in a worker thread (null when that failed; the analysis then computes it itself).
 */
export interface HandedDetection extends HandedDetectionInputs {
  analysis?: Promise<DetectionAnalysis | null>;
}

/**
 * A detection run's metrics document, row lines and packed per-object outcomes, from its inputs
 * alone: COCO evaluation over the labeled images (every class of the dataset, as pycocotools
 * evaluates every category of the ground-truth file), the greedy match at `iouThreshold` per
 * image, and the class-agnostic confusion matrix of detections scoring at least `scoreThreshold`
 * (0.25, as Ultralytics' confusion matrix, so the flood of low-score detections COCO results files
 * carry does not bury the off-diagonal cells). Pure, and structured-cloneable both ways: an
 * import runs it in a worker thread while it writes the tables (see detection-thread.ts).
 *
 * @example
 * const { doc, rowLines, objects } = computeDetectionAnalysis(inputs, ['cat', 'dog']);
 */
export function computeDetectionAnalysis(
  inputs: DetectionInputs,
  classNames: string[],
  { iouThreshold = 0.5, scoreThreshold = 0.25 }: Partial<DetectionThresholds> = {},
): DetectionAnalysis {
  const { labeledRows, poolRows, gts, dets, poolDets, externalIds } = inputs;
  const labels = classNames.map((_, i) => i);
  // COCOeval breaks score ties across images by image id order, so evaluate in the file's id order.
  const rank = cocoImageRank(labeledRows, externalIds);
  const ranked = {
    imageIds: labeledRows.map((r) => rank.get(r)!),
    labels,
    gts: gts.map((g) => ({ ...g, imageId: rank.get(g.imageId)! })),
    dets: dets.map((d) => ({ ...d, imageId: rank.get(d.imageId)! })),
  };
  const evaluation = evaluateCoco(ranked, {}, { keepMatches: true });
  const rowOfRank = new Map([...rank].map(([row, r]) => [r, row]));
  const objects = detectionObjects(ranked.gts, ranked.dets, evaluation, (r) => rowOfRank.get(r)!);
  const rows = matchDetectionRows(gts, dets, { iouThreshold });
  const confusion = detectionConfusion(gts, dets, labels, { iouThreshold, scoreThreshold });

  const matched = labeledRowLines(rows);
  const detected = unlabeledRowLines(poolDets);
  const lined = new Set([...matched, ...detected].map((l) => l.rowId));
  const labeledLines = [...matched, ...emptyRowLines(labeledRows, true, lined)];
  const poolLines = [...detected, ...emptyRowLines(poolRows, false, lined)];
  // The boxes a detection involves are ground truths of its image: the inputs hold their classes.
  const labelOfAnn = new Map(gts.map((g) => [g.id, g.label]));
  const doc = detectionDocument({
    classNames,
    evaluation,
    confusion,
    iouThreshold,
    scoreThreshold,
    labeled: labeledLines.length,
    unlabeled: poolLines.length,
    objects: objects.doc,
  });
  return {
    iouThreshold,
    scoreThreshold,
    doc,
    rowLines: [...labeledLines, ...poolLines],
    objects: packObjectOutcomes(objects.lines, (a) => labelOfAnn.get(a)),
  };
}

/**
 * Each row's position among the labeled images sorted as pycocotools sorts image ids: numerically
 * when every external id is an integer (COCO), else as strings.
 *
 * @example
 * cocoImageRank([7, 8], new Map([[7, '139'], [8, '42']])); // Map { 8 => 0, 7 => 1 }
 */
export function cocoImageRank(
  rowIds: readonly number[],
  externalIds: Map<number, string>,
): Map<number, number> {
  const numeric = rowIds.every((r) => /^-?\d+$/.test(externalIds.get(r) ?? ''));
  const key = (r: number) => externalIds.get(r) ?? '';
  const sorted = [...rowIds].sort((a, b) => {
    if (numeric) return Number(key(a)) - Number(key(b)) || a - b;
    return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a - b;
  });
  return new Map(sorted.map((r, i) => [r, i]));
}
