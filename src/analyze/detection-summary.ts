import type { CocoEvaluation, CocoSummary } from '../metrics/coco-eval.ts';
import type { DetectionConfusion } from '../metrics/detection-confusion.ts';
import type { DetectionRows } from '../metrics/detection-rows.ts';
import type { ErrorType } from '../metrics/detection-errors.ts';
import type { DetBox } from '../metrics/detection-types.ts';
import type { DetectionObjectsDoc } from './detection-objects.ts';
import type { RowScoreLine } from '../store/row-scores-write.ts';

/**
 * Row lines of labeled images from the per-image matching: `label` is the ground-truth class of
 * the image's worst disagreement (the lowest-IoU ground truth, a miss counting 0; the first on
 * ties), `predicted` the class of its highest-scoring unmatched detection, or of its top detection
 * when every detection matched. Images are the matcher's image ids, which are row ids.
 *
 * @example
 * const lines = labeledRowLines(matchDetectionRows(gts, dets, { iouThreshold: 0.5 }));
 */
export function labeledRowLines({ pairs, images }: DetectionRows): RowScoreLine[] {
  const worstGt = new Map<number, { iou: number; label: number }>();
  const topSpurious = new Map<number, { score: number; label: number }>();
  const topAny = new Map<number, { score: number; label: number }>();
  for (const p of pairs) {
    if (p.gtLabel !== null && (p.kind === 'match' || p.kind === 'missed')) {
      const w = worstGt.get(p.imageId);
      if (!w || p.iou < w.iou) worstGt.set(p.imageId, { iou: p.iou, label: p.gtLabel });
    }
    if (p.detLabel !== null && p.score !== null) {
      const t = topAny.get(p.imageId);
      if (!t || p.score > t.score) topAny.set(p.imageId, { score: p.score, label: p.detLabel });
      if (p.kind === 'spurious') {
        const s = topSpurious.get(p.imageId);
        if (!s || p.score > s.score) topSpurious.set(p.imageId, { score: p.score, label: p.detLabel });
      }
    }
  }
  return images
    .filter((im) => im.numGt > 0 || im.numPred > 0)
    .map((im) => ({
      rowId: im.imageId,
      labeled: true,
      iou: im.iou,
      confidence: im.maxConf ?? 0,
      minConf: im.minConf,
      maxConf: im.maxConf,
      label: worstGt.get(im.imageId)?.label ?? null,
      predicted: (topSpurious.get(im.imageId) ?? topAny.get(im.imageId))?.label ?? null,
      numGt: im.numGt,
      numPred: im.numPred,
    }));
}

/**
 * Row lines of images with neither ground truth nor detections: rows like any other (counted, in
 * the projector's colours, in the pool). A labeled empty image is one the model got right (IoU 1:
 * nothing to find, nothing found); an unlabeled one has no IoU.
 *
 * @example
 * const lines = emptyRowLines(allLabeledRowIds, true, alreadyLined);
 */
export function emptyRowLines(
  rowIds: readonly number[],
  labeled: boolean,
  lined: ReadonlySet<number>,
): RowScoreLine[] {
  return rowIds
    .filter((rowId) => !lined.has(rowId))
    .map((rowId) => ({
      rowId,
      labeled,
      iou: labeled ? 1 : null,
      confidence: 0,
      minConf: null,
      maxConf: null,
      label: null,
      predicted: null,
      numGt: 0,
      numPred: 0,
    }));
}

/** Row lines of unlabeled images (the pool): no IoU, the top detection's class and score. */
export function unlabeledRowLines(dets: readonly DetBox[]): RowScoreLine[] {
  const byImage = new Map<number, RowScoreLine>();
  for (const d of dets) {
    const line = byImage.get(d.imageId);
    if (!line) {
      byImage.set(d.imageId, {
        rowId: d.imageId,
        labeled: false,
        iou: null,
        confidence: d.score,
        minConf: d.score,
        maxConf: d.score,
        label: null,
        predicted: d.label,
        numGt: 0,
        numPred: 1,
      });
      continue;
    }
    line.numPred++;
    if (d.score > line.confidence) {
      line.confidence = d.score;
      line.maxConf = d.score;
      line.predicted = d.label;
    }
    if (d.score < line.minConf!) line.minConf = d.score;
  }
  return [...byImage.values()].sort((a, b) => a.rowId - b.rowId);
}

/** The metrics document of a detection run, as stored in `model_runs.metrics`. */
export interface DetectionMetricsDoc {
  kind: 'detection';
  /** pycocotools' 12 summary numbers; −1 where nothing could be measured. */
  coco: CocoSummary;
  /** AP@[.5:.95] and AP50 (null without ground truth); precision/recall at IoU 0.5 (null when undefined). */
  classes: {
    name: string;
    ap: number | null;
    ap50: number | null;
    precision: number | null;
    recall: number | null;
    support: number;
    /** TIDE's dAP per error type at IoU 0.5 for this class; null without ground truth. */
    errors: Record<ErrorType, number> | null;
  }[];
  /** TIDE's dAP per error type at IoU 0.5: AP50 gained by fixing that type (AP units, 0–1). */
  errors: Record<ErrorType, number>;
  /** Every object's outcome, counted over the run at each of COCOeval's IoU thresholds. */
  objects: { iouThrs: number[]; totals: { tp: number; fp: number; fn: number }[] };
  /** `matrix[gt][predicted]` over the class names plus "background", at the thresholds given. */
  confusion: { labels: string[]; matrix: number[][]; iouThreshold: number; scoreThreshold: number };
  labeled: number;
  unlabeled: number;
}

/** Assemble the detection document from the COCO evaluation and the confusion matrix. */
export function detectionDocument({
  classNames,
  evaluation,
  confusion,
  iouThreshold,
  scoreThreshold,
  labeled,
  unlabeled,
  objects,
}: {
  classNames: string[];
  evaluation: Pick<CocoEvaluation, 'summary' | 'perClass'>;
  confusion: DetectionConfusion;
  iouThreshold: number;
  scoreThreshold: number;
  labeled: number;
  unlabeled: number;
  objects: DetectionObjectsDoc;
}): DetectionMetricsDoc {
  return {
    kind: 'detection',
    coco: { ...evaluation.summary },
    classes: evaluation.perClass.map((c) => ({
      name: classNames[c.label] ?? String(c.label),
      ap: c.ap,
      ap50: c.ap50,
      precision: c.precision,
      recall: c.recall,
      support: c.support,
      errors: objects.classErrors.get(c.label) ?? null,
    })),
    errors: objects.errors,
    objects: objects.objects,
    confusion: {
      labels: [...confusion.labels.map((l) => classNames[l] ?? String(l)), 'background'],
      matrix: confusion.matrix,
      iouThreshold,
      scoreThreshold,
    },
    labeled,
    unlabeled,
  };
}
