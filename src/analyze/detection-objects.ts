import type { CocoEvaluation } from '../metrics/coco-eval.ts';
import { deltaAp } from '../metrics/detection-dap.ts';
import {
  ERROR_TYPES,
  type ErrorType,
  OUTCOME_CODE,
  classifyObjects,
  outcomeCounts,
} from '../metrics/detection-errors.ts';
import type { DetBox, GtBox } from '../metrics/detection-types.ts';
import type { ObjectOutcomeLine } from '../store/objects.ts';

/** What the per-object step adds to a detection run's metrics document. */
export interface DetectionObjectsDoc {
  /** tp/fp/fn of the whole run at each of COCOeval's IoU thresholds. */
  objects: { iouThrs: number[]; totals: { tp: number; fp: number; fn: number }[] };
  /** TIDE's dAP per error type at IoU 0.5 (AP50 units, 0–1). */
  errors: Record<ErrorType, number>;
  /** The same per class that has ground truth, by class index. */
  classErrors: Map<number, Record<ErrorType, number>>;
}

/**
 * Per-object outcomes of a detection run from COCOeval's matches (`evaluation` made with
 * `keepMatches`), as store lines, with the run's totals per threshold and TIDE's dAP breakdown.
 * `gts`/`dets` are the arrays the evaluation was given; `rowOf` maps their image ids back to rows.
 *
 * @example
 * const { lines, doc } = detectionObjects(gts, dets, evaluation, (i) => rowIds[i]);
 */
export function detectionObjects(
  gts: readonly GtBox[],
  dets: readonly DetBox[],
  evaluation: CocoEvaluation,
  rowOf: (imageId: number) => number,
): { lines: ObjectOutcomeLine[]; doc: DetectionObjectsDoc } {
  const matches = evaluation.matches;
  if (!matches) throw new Error('detectionObjects: the evaluation was made without keepMatches');
  const thrs = [...evaluation.params.iouThrs];
  const o = classifyObjects(gts, dets, matches, thrs);
  const T = thrs.length;
  const lines: ObjectOutcomeLine[] = [];
  const allIgnored = OUTCOME_CODE.ignored.repeat(T);
  dets.forEach((d, j) => {
    const codes = o.detCodes[j];
    if (codes === '' || codes === allIgnored) return;
    const involved: (number | null)[] = new Array(T);
    for (let t = 0; t < T; t++) {
      const g = o.detGt[j * T + t];
      involved[t] = g < 0 ? null : gts[g].id;
    }
    lines.push({
      rowId: rowOf(d.imageId),
      predId: d.id,
      annId: null,
      label: d.label,
      score: d.score,
      iou: o.detBestIou[j],
      codes,
      involved,
    });
  });
  gts.forEach((g, i) => {
    const codes = o.gtCodes[i];
    if (codes === '') return;
    lines.push({
      rowId: rowOf(g.imageId),
      predId: null,
      annId: g.id,
      label: g.label,
      score: null,
      iou: o.gtBestIou[i],
      codes,
      involved: null,
    });
  });
  const totals = thrs.map((_, t) => outcomeCounts(o, t).get(null) ?? { tp: 0, fp: 0, fn: 0 });
  const t50 = thrs.indexOf(0.5);
  const zero = () => Object.fromEntries(ERROR_TYPES.map((e) => [e, 0])) as Record<ErrorType, number>;
  let errors = zero();
  const classErrors = new Map<number, Record<ErrorType, number>>();
  if (t50 >= 0) {
    const d = deltaAp(gts, dets, matches, o, evaluation.labels, {
      t: t50,
      recThrs: evaluation.params.recThrs,
    });
    errors = d.overall;
    for (const c of d.perClass) classErrors.set(c.label, c.errors);
  }
  return { lines, doc: { objects: { iouThrs: thrs, totals }, errors, classErrors } };
}
