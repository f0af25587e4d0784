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

/**
 * One class's detections as accumulate() reads them, in order: whether each is a tp, and its
 * score and tie group (to put a fixed set's false positives first among equal scores).
 */
interface ClassPoints {
  tp: number[];
  score: number[];
  group: number[];
}

/** COCOeval's 101 interpolated precisions for one class (precision[t, :, k, all, 100]). */
function classPrecisions(points: ClassPoints, npig: number, recThrs: readonly number[]): number[] {
  const ordered = inTieOrder(points);
  const rc = new Float64Array(ordered.length);
  const pr = new Float64Array(ordered.length);
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < ordered.length; i++) {
    if (ordered[i]) tp++;
    else fp++;
    rc[i] = tp / npig;
    pr[i] = tp / (fp + tp + EPS);
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
 * The tp flags of points listed by score (highest first), then image, then detection order, put
 * in (score, group, image, detection) order: within each run of equal scores, group 0 first,
 * each group keeping its order.
 */
function inTieOrder({ tp, score, group }: ClassPoints): number[] {
  if (!group.includes(1)) return tp;
  const out: number[] = [];
  for (let start = 0; start < tp.length; ) {
    let end = start + 1;
    while (end < tp.length && score[end] === score[start]) end++;
    for (let i = start; i < end; i++) if (group[i] === 0) out.push(tp[i]);
    for (let i = start; i < end; i++) if (group[i] === 1) out.push(tp[i]);
    start = end;
  }
  return out;
}

/**
 * AP per class and overall from per-class points and ground-truth counts; classes are those of
 * `labels` (the evaluation's), counted only with `npig > 0` as COCOeval does.
 */
function apTable(
  labels: readonly number[],
  points: ReadonlyMap<number, ClassPoints>,
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
      const scored = (points.get(k)?.tp.length ?? 0) > 0 && baseLabels?.has(k);
      rows.push(new Array<number>(R).fill(scored ? 0 : -1));
      if (scored) perClass.set(k, 0);
      continue;
    }
    const q = classPrecisions(points.get(k) ?? { tp: [], score: [], group: [] }, n, recThrs);
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

  // accumulate()'s order, once: by score, ties in image order, then the detections' order. Each
  // fixed set below is a subsequence of it (a fixed cls detection keeps its place in its box's
  // class), its equal-score runs then split by tie group.
  const counted: number[] = [];
  detCodes.forEach((c, j) => {
    if (c !== '' && c[t] !== OUTCOME_CODE.ignored) counted.push(j);
  });
  counted.sort((a, b) => dets[b].score - dets[a].score || dets[a].imageId - dets[b].imageId || a - b);

  // Each counted detection's code at `t`, read once for the seven computations below.
  const codeAt = counted.map((j) => detCodes[j][t]);
  const compute = (fix: ErrorType | null) => {
    const points = new Map<number, ClassPoints>();
    const push = (label: number, score: number, group: number, tp: boolean) => {
      let list = points.get(label);
      if (!list) {
        list = { tp: [], score: [], group: [] };
        points.set(label, list);
      }
      list.tp.push(tp ? 1 : 0);
      list.score.push(score);
      list.group.push(group);
    };
    const fixCode = fix === null ? null : OUTCOME_CODE[fix];
    for (let i = 0; i < counted.length; i++) {
      const j = counted[i];
      const code = codeAt[i];
      const d = dets[j];
      const tp = code === OUTCOME_CODE.tp;
      // TIDE rebuilds a fixed set with the errors' points first and the true positives after, and
      // sorts it stably by score: at equal scores false positives then rank above true positives.
      // The base keeps COCOeval's order (image order), so it equals the AP50 shown everywhere.
      const group = fix !== null && tp ? 1 : 0;
      if (fixCode === null || tp || fixCode !== code) {
        push(d.label, d.score, group, tp);
        continue;
      }
      if (fix === 'cls' || fix === 'loc') {
        const g = detGt[j * T + t];
        if (fixer.get(g) === j) push(fix === 'cls' ? gts[g].label : d.label, d.score, group, true);
      }
      // Fixed dupe, bkg and both detections (and suppressed cls/loc ones) are removed.
    }
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
