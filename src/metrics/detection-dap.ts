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
 * The points of one computation, in accumulate()'s order: each counted detection's class (its
 * index in the evaluation's labels, −1 when it is removed or of a class not evaluated), whether
 * it is a tp, and its tie group (a fixed set's false positives come first among equal scores).
 */
interface Points {
  cls: Int32Array;
  tp: Uint8Array;
  group: Uint8Array;
  score: Float64Array;
}

/** Buffers sized to the counted detections: the points by class, and one class's recall and precision. */
interface Scratch {
  order: Int32Array;
  rc: Float64Array;
  pr: Float64Array;
}

/**
 * COCOeval's 101 interpolated precisions for one class (precision[t, :, k, all, 100]) from its
 * points `idx` (positions in `points`, in order), put in (score, group, image, detection) order:
 * within each run of equal scores, group 0 first, each group keeping its order.
 */
function classPrecisions(
  points: Points,
  idx: Int32Array,
  from: number,
  to: number,
  npig: number,
  recThrs: readonly number[],
  s: Scratch,
): number[] {
  const { tp: tpOf, group, score } = points;
  const n = to - from;
  const { rc, pr } = s;
  let at = 0;
  let tp = 0;
  let fp = 0;
  const take = (i: number) => {
    if (tpOf[i]) tp++;
    else fp++;
    rc[at] = tp / npig;
    pr[at] = tp / (fp + tp + EPS);
    at++;
  };
  for (let start = from; start < to; ) {
    let end = start + 1;
    while (end < to && score[idx[end]] === score[idx[start]]) end++;
    for (let i = start; i < end; i++) if (group[idx[i]] === 0) take(idx[i]);
    for (let i = start; i < end; i++) if (group[idx[i]] === 1) take(idx[i]);
    start = end;
  }
  for (let i = n - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
  const q = new Array<number>(recThrs.length).fill(0);
  for (let r = 0; r < recThrs.length; r++) {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rc[mid] < recThrs[r]) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= n) break;
    q[r] = pr[lo];
  }
  return q;
}

/**
 * AP per class and overall from the points and ground-truth counts per class (by index in
 * `labels`, the evaluation's), counted only with `npig > 0` as COCOeval does.
 */
function apTable(
  labels: readonly number[],
  points: Points,
  npig: Float64Array,
  recThrs: readonly number[],
  hasBase: Uint8Array,
  s: Scratch,
): { overall: number; perClass: Map<number, number> } {
  const R = recThrs.length;
  const C = labels.length;
  // The points of each class, in order (a counting sort, stable).
  const starts = new Int32Array(C + 1);
  const { cls } = points;
  for (let i = 0; i < cls.length; i++) if (cls[i] >= 0) starts[cls[i] + 1]++;
  for (let c = 0; c < C; c++) starts[c + 1] += starts[c];
  const idx = s.order;
  const next = starts.slice(0, C);
  for (let i = 0; i < cls.length; i++) if (cls[i] >= 0) idx[next[cls[i]]++] = i;

  const rows: number[][] = [];
  const perClass = new Map<number, number>();
  for (let c = 0; c < C; c++) {
    const k = labels[c];
    const n = npig[c];
    const count = starts[c + 1] - starts[c];
    if (n <= 0) {
      // Without ground truth COCOeval leaves a class out. TIDE does too when it has no detections,
      // but counts AP 0 when it has some: that happens here when the missed oracle removes every
      // box of a class that still has false positives.
      const scored = count > 0 && hasBase[c] === 1;
      rows.push(new Array<number>(R).fill(scored ? 0 : -1));
      if (scored) perClass.set(k, 0);
      continue;
    }
    const q = classPrecisions(points, idx, starts[c], starts[c + 1], n, recThrs, s);
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

  // Each counted detection's code at `t`, class and score, read once for the seven computations.
  const classOf = new Map(labels.map((k, c) => [k, c]));
  const n = counted.length;
  const codeAt = counted.map((j) => detCodes[j][t]);
  const classAt = Int32Array.from(counted, (j) => classOf.get(dets[j].label) ?? -1);
  const points: Points = {
    cls: new Int32Array(n),
    tp: new Uint8Array(n),
    group: new Uint8Array(n),
    score: Float64Array.from(counted, (j) => dets[j].score),
  };
  const scratch: Scratch = { order: new Int32Array(n), rc: new Float64Array(n), pr: new Float64Array(n) };
  const npigAt = Float64Array.from(labels, (k) => npig.get(k) ?? 0);
  const hasBase = Uint8Array.from(npigAt, (v) => (v > 0 ? 1 : 0));
  const compute = (fix: ErrorType | null) => {
    const fixCode = fix === null ? null : OUTCOME_CODE[fix];
    for (let i = 0; i < n; i++) {
      const code = codeAt[i];
      const tp = code === OUTCOME_CODE.tp;
      // TIDE rebuilds a fixed set with the errors' points first and the true positives after, and
      // sorts it stably by score: at equal scores false positives then rank above true positives.
      // The base keeps COCOeval's order (image order), so it equals the AP50 shown everywhere.
      points.group[i] = fix !== null && tp ? 1 : 0;
      points.tp[i] = tp ? 1 : 0;
      if (fixCode === null || tp || fixCode !== code) {
        points.cls[i] = classAt[i];
        continue;
      }
      // Fixed dupe, bkg and both detections (and suppressed cls/loc ones) are removed.
      points.cls[i] = -1;
      if (fix === 'cls' || fix === 'loc') {
        const j = counted[i];
        const g = detGt[j * T + t];
        if (fixer.get(g) === j) {
          points.cls[i] = fix === 'cls' ? (classOf.get(gts[g].label) ?? -1) : classAt[i];
          points.tp[i] = 1;
        }
      }
    }
    let npigFixed = npigAt;
    if (fix === 'missed') {
      npigFixed = npigAt.slice();
      gtCodes.forEach((c, g) => {
        if (c === '' || c[t] !== OUTCOME_CODE.missed) return;
        const k = classOf.get(gts[g].label);
        if (k !== undefined) npigFixed[k]--;
      });
    }
    return apTable(labels, points, npigFixed, recThrs, hasBase, scratch);
  };

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
