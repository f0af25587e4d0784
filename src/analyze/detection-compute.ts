import { type CocoEvaluation, evaluateCoco } from '../metrics/coco-eval.ts';
import { type DetectionConfusion, detectionConfusion } from '../metrics/detection-confusion.ts';
import { matchDetectionRows } from '../metrics/detection-rows.ts';
import type { DetectionInputs, HandedDetectionInputs } from '../store/analysis.ts';
import type { RowScoreLine } from '../store/row-scores-write.ts';
import { type PackedObjectOutcomes, packObjectOutcomes } from '../store/object-pack.ts';
import { type DetectionObjectsDoc, detectionObjects } from './detection-objects.ts';
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
export interface DetectionAnalysis {
  doc: DetectionMetricsDoc;
  /** One row_scores line per image of the dataset. */
  rowLines: RowScoreLine[];
  objects: PackedObjectOutcomes;
}

/**
 * The COCOeval part of a detection analysis, which no threshold of the analysis changes: the
 * evaluation's numbers and every box's outcome, packed. Structured-cloneable: an import has it
 * made in a worker thread while it writes the tables (see detection-thread.ts).
 */
export interface CocoAnalysis {
  evaluation: Pick<CocoEvaluation, 'summary' | 'perClass'>;
  objectsDoc: DetectionObjectsDoc;
  objects: PackedObjectOutcomes;
}

/**
 * What an import hands the analysis it runs next: its inputs, and their COCOeval part when the
 * import started it in a worker thread (null when that failed; the analysis then makes it).
 */
export interface HandedDetection extends HandedDetectionInputs {
  coco?: Promise<CocoAnalysis | null>;
}

/**
 * COCO evaluation over the labeled images (every class of the dataset, as pycocotools evaluates
 * every category of the ground-truth file) and each box's outcome at its IoU thresholds.
 *
 * @example
 * const { evaluation, objects } = cocoAnalysis(inputs, ['cat', 'dog']);
 */
export function cocoAnalysis(inputs: DetectionInputs, classNames: string[]): CocoAnalysis {
  const { labeledRows, gts, dets, externalIds } = inputs;
  // COCOeval breaks score ties across images by image id order, so evaluate in the file's id order.
  const rank = cocoImageRank(labeledRows, externalIds);
  const ranked = {
    imageIds: labeledRows.map((r) => rank.get(r)!),
    labels: classNames.map((_, i) => i),
    gts: gts.map((g) => ({ ...g, imageId: rank.get(g.imageId)! })),
    dets: dets.map((d) => ({ ...d, imageId: rank.get(d.imageId)! })),
  };
  const evaluation = evaluateCoco(ranked, {}, { keepMatches: true });
  const rowOfRank = new Map([...rank].map(([row, r]) => [r, row]));
  const objects = detectionObjects(ranked.gts, ranked.dets, evaluation, (r) => rowOfRank.get(r)!);
  // The boxes a detection involves are ground truths of its image: the inputs hold their classes.
  const labelOfAnn = new Map(gts.map((g) => [g.id, g.label]));
  return {
    evaluation: { summary: evaluation.summary, perClass: evaluation.perClass },
    objectsDoc: objects.doc,
    objects: packObjectOutcomes(objects.lines, (a) => labelOfAnn.get(a)),
  };
}

/**
 * The per-image part of a detection analysis, which needs no COCOeval: one row_scores line per
 * image from the greedy match at `iouThreshold`, and the class-agnostic confusion matrix of
 * detections scoring at least `scoreThreshold` (0.25, as Ultralytics' confusion matrix, so the
 * flood of low-score detections COCO results files carry does not bury the off-diagonal cells).
 */
export interface DetectionImagePart extends DetectionThresholds {
  rowLines: RowScoreLine[];
  confusion: DetectionConfusion;
  labeled: number;
  unlabeled: number;
}

/**
 * The per-image part of a detection analysis (see DetectionImagePart): what can be stored while
 * its COCOeval part is still being made in a worker thread.
 *
 * @example
 * const { rowLines } = detectionImagePart(inputs, ['cat', 'dog']);
 */
export function detectionImagePart(
  inputs: DetectionInputs,
  classNames: string[],
  { iouThreshold = 0.5, scoreThreshold = 0.25 }: Partial<DetectionThresholds> = {},
): DetectionImagePart {
  const { labeledRows, poolRows, gts, dets, poolDets } = inputs;
  const labels = classNames.map((_, i) => i);
  const rows = matchDetectionRows(gts, dets, { iouThreshold });
  const confusion = detectionConfusion(gts, dets, labels, { iouThreshold, scoreThreshold });
  const matched = labeledRowLines(rows);
  const detected = unlabeledRowLines(poolDets);
  const lined = new Set([...matched, ...detected].map((l) => l.rowId));
  const labeledLines = [...matched, ...emptyRowLines(labeledRows, true, lined)];
  const poolLines = [...detected, ...emptyRowLines(poolRows, false, lined)];
  return {
    rowLines: [...labeledLines, ...poolLines],
    confusion,
    labeled: labeledLines.length,
    unlabeled: poolLines.length,
    iouThreshold,
    scoreThreshold,
  };
}

/**
 * A detection analysis from its per-image part and its COCOeval part: `coco` when given and it
 * did not fail (null), else made here from the same inputs.
 *
 * @example
 * const { doc, objects } = await withCocoPart(part, inputs, classNames, thread.result);
 */
export async function withCocoPart(
  part: DetectionImagePart,
  inputs: DetectionInputs,
  classNames: string[],
  coco?: Promise<CocoAnalysis | null>,
): Promise<DetectionAnalysis> {
  const made = (await coco) ?? cocoAnalysis(inputs, classNames);
  const doc = detectionDocument({
    classNames,
    evaluation: made.evaluation,
    confusion: part.confusion,
    iouThreshold: part.iouThreshold,
    scoreThreshold: part.scoreThreshold,
    labeled: part.labeled,
    unlabeled: part.unlabeled,
    objects: made.objectsDoc,
  });
  return { doc, rowLines: part.rowLines, objects: made.objects };
}

/**
 * A detection run's metrics document, row lines and packed per-object outcomes, from its inputs
 * alone: the per-image part (detectionImagePart) and the COCOeval part (`coco`, made here when not
 * given). `coco` may be a promise: the per-image part is made while it is pending.
 *
 * @example
 * const { doc, rowLines, objects } = await detectionAnalysis(inputs, ['cat', 'dog']);
 */
export async function detectionAnalysis(
  inputs: DetectionInputs,
  classNames: string[],
  { coco, ...thresholds }: Partial<DetectionThresholds> & { coco?: Promise<CocoAnalysis | null> } = {},
): Promise<DetectionAnalysis> {
  return withCocoPart(detectionImagePart(inputs, classNames, thresholds), inputs, classNames, coco);
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
