/**
 * What each TIDE error type costs: AP50 recomputed with that type fixed by TIDE's oracle
 * (`tidecv/errors/main_errors.py`, `TIDERun.fix_errors`), minus the AP50 as it is.
 *
 * AP is COCOeval's (precision made monotone, sampled at its 101 recall points, `np.mean` over the
 * classes that have ground truth), so the base equals the AP50 shown everywhere. Oracles:
 * - cls: the highest-scoring cls/loc detection pointing at an unmatched box becomes a tp of the
 *   box's class; other cls detections are removed;
 * - loc: the same for loc detections, in their own class;
 * - both, dupe, bkg: the detections are removed;
 * - missed: the box no longer counts as ground truth.
 * As in TIDE a negative change (a binning artefact) is reported as 0.
 */
import type { CocoMatches } from './coco-eval.ts';
import { defaultCocoParams, meanOfValid, pairwiseSum } from './coco-params.ts';
import { ERROR_TYPES, type ErrorType, OUTCOME_CODE, type ObjectOutcomes } from './detection-errors.ts';
import type { DetBox, GtBox } from './detection-types.ts';

const EPS = 2.220446049250313e-16; // np.spacing(1), as COCOeval

export interface DeltaAp {
  /** AP50 as it is (COCOeval's). */
  base: number;
  /** AP50 gained by fixing each type, in AP units (0–1). */
  overall: Record<ErrorType, number>;
  /** Per class that has ground truth: its AP50 and the gain per type. */
  perClass: { label: number; ap50: number; errors: Record<ErrorType, number> }[];
}

interface Point {
  score: number;
  /** Tie order after the score: 0 before 1 (see `deltaAp`). */
  group: number;
  imageId: number;
  index: number;
  tp: boolean;
}

/** COCOeval's 101 interpolated precisions for one class (precision[t, :, k, all, 100]). */
function classPrecisions(points: Point[], npig: number, recThrs: readonly number[]): number[] {
  // accumulate(): by score, ties in image order, then the detections' order within the image.
  points.sort((a, b) => b.score - a.score || a.group - b.group || a.imageId - b.imageId || a.index - b.index);
  const rc: number[] = [];
  const pr: number[] = [];
  let tp = 0;
  let fp = 0;
  for (const p of points) {
    if (p.tp) tp++;
    else fp++;
    rc.push(tp / npig);
    pr.push(tp / (fp + tp + EPS));
  }
  for (let i = pr.length - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
  const q = new Array<number>(recThrs.length).fill(0);
  for (let r = 0; r < recThrs.length; r++) {
    let lo = 0;
    let hi = rc.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rc[mid] < recThrs[r]) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= rc.length) break;
    q[r] = pr[lo];
  }
  return q;
}

/**
 * AP per class and overall from per-class points and ground-truth counts; classes are those of
 * `labels` (the evaluation's), counted only with `npig > 0` as COCOeval does.
 */
function apTable(
  labels: readonly number[],
  points: Map<number, Point[]>,
  npig: Map<number, number>,
  recThrs: readonly number[],
  baseLabels?: ReadonlySet<number>,
): { overall: number; perClass: Map<number, number> } {
  const R = recThrs.length;
  const rows: number[][] = [];
  const perClass = new Map<number, number>();
  for (const k of labels) {
    const n = npig.get(k) ?? 0;
    if (n <= 0) {
      // Without ground truth COCOeval leaves a class out. TIDE does too when it has no detections,
      // but counts AP 0 when it has some: that happens here when the missed oracle removes every
      // box of a class that still has false positives.
      const scored = (points.get(k)?.length ?? 0) > 0 && baseLabels?.has(k);
      rows.push(new Array<number>(R).fill(scored ? 0 : -1));
      if (scored) perClass.set(k, 0);
      continue;
    }
    const q = classPrecisions([...(points.get(k) ?? [])], n, recThrs);
    rows.push(q);
    perClass.set(k, pairwiseSum(q, 0, R) / R);
  }
  // summarize(): np.mean over precision[t, :, :, all, 100], read in (r, k) order.
  const flat: number[] = [];
  for (let r = 0; r < R; r++) for (const row of rows) flat.push(row[r]);
  return { overall: meanOfValid(flat), perClass };
}

/**
 * TIDE's dAP per error type at threshold index `t` (0 for IoU 0.5), overall and per class.
 * `gts`/`dets` carry the image ids the evaluation used (their order breaks score ties).
 *
 * @example
 * const ev = evaluateCoco(input, {}, { keepMatches: true });
 * const o = classifyObjects(input.gts, input.dets, ev.matches!, ev.params.iouThrs);
 * deltaAp(input.gts, input.dets, ev.matches!, o, ev.labels).overall.missed; // e.g. 0.061
 */
export function deltaAp(
  gts: readonly GtBox[],
  dets: readonly DetBox[],
  matches: CocoMatches,
  outcomes: ObjectOutcomes,
  labels: readonly number[],
  { t = 0, recThrs = defaultCocoParams().recThrs }: { t?: number; recThrs?: readonly number[] } = {},
): DeltaAp {
  const { T, detCodes, detGt, gtCodes } = outcomes;
  const bit = 1 << t;
  const npig = new Map<number, number>();
  gts.forEach((g, i) => {
    if (gtCodes[i] !== '') npig.set(g.label, (npig.get(g.label) ?? 0) + 1);
  });
  // The detection that would fix each unmatched box: the best-scoring cls/loc pointing at it.
  const fixer = new Map<number, number>();
  detCodes.forEach((c, j) => {
    if (c === '' || (c[t] !== OUTCOME_CODE.cls && c[t] !== OUTCOME_CODE.loc)) return;
    const g = detGt[j * T + t];
    if (matches.gtTp[g] & bit) return;
    const prev = fixer.get(g);
    if (prev === undefined || dets[j].score > dets[prev].score) fixer.set(g, j);
  });

  const compute = (fix: ErrorType | null) => {
    const points = new Map<number, Point[]>();
    const push = (label: number, p: Point) => {
      const list = points.get(label);
      if (list) list.push(p);
      else points.set(label, [p]);
    };
    detCodes.forEach((c, j) => {
      const code = c === '' ? OUTCOME_CODE.ignored : c[t];
      if (code === OUTCOME_CODE.ignored) return;
      const d = dets[j];
      const tp = code === OUTCOME_CODE.tp;
      // TIDE rebuilds a fixed set with the errors' points first and the true positives after, and
      // sorts it stably by score: at equal scores false positives then rank above true positives.
      // The base keeps COCOeval's order (image order), so it equals the AP50 shown everywhere.
      const p = { score: d.score, group: fix !== null && tp ? 1 : 0, imageId: d.imageId, index: j, tp };
      if (fix === null || tp || OUTCOME_CODE[fix] !== code) {
        push(d.label, p);
        return;
      }
      if (fix === 'cls' || fix === 'loc') {
        const g = detGt[j * T + t];
        if (fixer.get(g) === j) push(fix === 'cls' ? gts[g].label : d.label, { ...p, tp: true });
      }
      // Fixed dupe, bkg and both detections (and suppressed cls/loc ones) are removed.
    });
    const n = new Map(npig);
    if (fix === 'missed')
      gtCodes.forEach((c, g) => {
        if (c !== '' && c[t] === OUTCOME_CODE.missed) n.set(gts[g].label, (n.get(gts[g].label) ?? 0) - 1);
      });
    return apTable(labels, points, n, recThrs, baseLabels);
  };
  const baseLabels = new Set(labels.filter((k) => (npig.get(k) ?? 0) > 0));

  const base = compute(null);
  const overall = {} as Record<ErrorType, number>;
  const fixedPerClass = new Map<ErrorType, Map<number, number>>();
  for (const type of ERROR_TYPES) {
    const fixed = compute(type);
    overall[type] = Math.max(fixed.overall - base.overall, 0);
    fixedPerClass.set(type, fixed.perClass);
  }
  const perClass = [...base.perClass].map(([label, ap50]) => {
    const errors = {} as Record<ErrorType, number>;
    for (const type of ERROR_TYPES)
      errors[type] = Math.max((fixedPerClass.get(type)!.get(label) ?? ap50) - ap50, 0);
    return { label, ap50, errors };
  });
  return { base: base.overall, overall, perClass };
}
