/**
 * COCO detection evaluation, a line-by-line port of pycocotools' `COCOeval` for iouType 'bbox'
 * (evaluate → accumulate → summarize), restructured for speed but with the same arithmetic, so
 * the 12 summary numbers agree with pycocotools to the last bit.
 *
 * What is the same as pycocotools:
 * - images are `imageIds` (deduplicated, ascending), categories are `labels` (deduplicated,
 *   ascending); boxes on other images or with other labels are left out, as with `params.imgIds`
 *   / `params.catIds`;
 * - per image and category, detections sorted by score (ties keep input order), only the first
 *   `max(maxDets)` kept; ground truths sorted with ignored ones last; greedy matching per IoU
 *   threshold (see `greedyMatch`); a ground truth is ignored when it is a crowd region or its
 *   `area` is outside the area range; a detection is ignored when matched to an ignored ground
 *   truth, or unmatched and its `w*h` outside the area range;
 * - precision made monotone from the right, sampled at `recThrs` with `searchsorted(side='left')`
 *   (0 past the last recall reached); −1 where a category has no non-ignored ground truth;
 *   summaries are `np.mean` (pairwise summation) over the entries > −1.
 *
 * One deliberate difference: pycocotools records a match by the ground truth's id and reads id 0
 * as "unmatched", so a ground truth with id 0 can never be matched there; here it can.
 */
import { boxIou } from './box.ts';
import {
  type AreaRange,
  type CocoParams,
  defaultCocoParams,
  meanOfValid,
  pairwiseSum,
} from './coco-params.ts';
import { greedyMatch } from './detection-match.ts';
import { byScoreDesc, checkDetBoxes, checkGtBoxes, type DetBox, type GtBox } from './detection-types.ts';

export type { AreaRange, CocoParams } from './coco-params.ts';

export interface CocoInput {
  /** The images evaluated (pycocotools: every image of the ground-truth file). */
  imageIds: readonly number[];
  /** The categories evaluated (pycocotools: every category of the ground-truth file). */
  labels: readonly number[];
  gts: readonly GtBox[];
  dets: readonly DetBox[];
}

/** `COCOeval.stats`, in its order; −1 where nothing could be measured. */
export interface CocoSummary {
  AP: number;
  AP50: number;
  AP75: number;
  APsmall: number;
  APmedium: number;
  APlarge: number;
  AR1: number;
  AR10: number;
  AR100: number;
  ARsmall: number;
  ARmedium: number;
  ARlarge: number;
}

/**
 * One category. `ap` is AP@[.5:.95] (area all, 100 detections per image), `ap50` AP at IoU 0.5;
 * both null when the category has no non-crowd ground truth (pycocotools' −1).
 * `tp`, `fp`, `precision` and `recall` are at IoU 0.5, area all, the largest maxDets: over the
 * detections kept and not ignored, `tp` are those matched to a non-ignored ground truth, `fp` the
 * rest; `precision = tp / (tp + fp)` (null without such detections) and `recall = tp / (non-ignored
 * ground truths)` (null without any; it equals pycocotools' `eval['recall']` at that setting).
 */
export interface CocoClassResult {
  label: number;
  ap: number | null;
  ap50: number | null;
  precision: number | null;
  recall: number | null;
  /** Non-crowd ground truths of this category on the evaluated images. */
  support: number;
  tp: number;
  fp: number;
}

export interface CocoEvaluation {
  summary: CocoSummary;
  perClass: CocoClassResult[];
  /** The parameters used (maxDets sorted ascending). */
  params: CocoParams;
  imageIds: number[];
  labels: number[];
  /** `eval['precision']`: shape [T, R, K, A, M], C order, −1 where a category has no ground truth. */
  precision: Float64Array;
  /** `eval['recall']`: shape [T, K, A, M], C order. */
  recall: Float64Array;
  dims: { T: number; R: number; K: number; A: number; M: number };
  /** The matches of area 'all' at the largest maxDets, when asked for with `keepMatches`. */
  matches?: CocoMatches;
}

/**
 * The per-object outcome of the evaluation (area 'all', the largest maxDets), one bit per IoU
 * threshold (bit t for `params.iouThrs[t]`), indexed like the input arrays:
 * - a detection is tp at t when matched to a non-ignored ground truth, ignored when matched to an
 *   ignored one (a crowd region), outside maxDets, or on an image or class not evaluated; else fp;
 * - a ground truth is tp at t when matched, ignored when it is a crowd region or outside the area
 *   range (then it is no miss); else fn.
 * `detGt[j * T + t]` / `gtDet[g * T + t]` are the input index of the partner at t, or −1.
 */
export interface CocoMatches {
  detTp: Uint16Array;
  detIgnored: Uint16Array;
  detGt: Int32Array;
  gtTp: Uint16Array;
  gtIgnored: Uint8Array;
  gtDet: Int32Array;
}

const EPS = 2.220446049250313e-16; // np.spacing(1)

const TP = 1;
const IGNORED = 2;

function uniqueSorted(values: readonly number[], what: string): number[] {
  for (let i = 0; i < values.length; i++)
    if (!Number.isFinite(values[i]))
      throw new TypeError(`evaluateCoco ${what}[${i}]: expected a finite number`);
  return [...new Set(values)].sort((a, b) => a - b);
}

/** Item indices grouped by `k * I + i`, ascending, input order within a group; −1 keys dropped. */
function groupOrder(keys: Float64Array): number[] {
  const idx: number[] = [];
  for (let j = 0; j < keys.length; j++) if (keys[j] >= 0) idx.push(j);
  return idx.sort((a, b) => keys[a] - keys[b]);
}

function checkParams(p: CocoParams): void {
  const nonEmpty = (xs: readonly number[], name: string) => {
    if (xs.length === 0) throw new RangeError(`evaluateCoco params.${name}: expected at least one value`);
    xs.forEach((x, i) => {
      if (!Number.isFinite(x))
        throw new TypeError(`evaluateCoco params.${name}[${i}]: expected a finite number`);
    });
  };
  nonEmpty(p.iouThrs, 'iouThrs');
  nonEmpty(p.recThrs, 'recThrs');
  nonEmpty(p.maxDets, 'maxDets');
  p.maxDets.forEach((m, i) => {
    if (!Number.isInteger(m) || m < 0)
      throw new RangeError(`evaluateCoco params.maxDets[${i}]: expected an integer ≥ 0, got ${m}`);
  });
  if (p.areaRanges.length === 0)
    throw new RangeError('evaluateCoco params.areaRanges: expected at least one range');
}

/**
 * Evaluate detections against ground truth exactly as pycocotools' `COCOeval(gt, dt, 'bbox')`
 * with `evaluate(); accumulate(); summarize()` does (see the module comment for the rules).
 *
 * @example
 * const { summary, perClass } = evaluateCoco({
 *   imageIds: [1],
 *   labels: [7],
 *   gts: [{ id: 1, imageId: 1, label: 7, x: 0, y: 0, w: 10, h: 10, area: 100, iscrowd: false }],
 *   dets: [{ id: 1, imageId: 1, label: 7, x: 0, y: 0, w: 10, h: 10, score: 0.9 }],
 * });
 * // summary.AP === 1, perClass[0].ap === 1
 */
export function evaluateCoco(
  input: CocoInput,
  params: Partial<CocoParams> = {},
  { keepMatches = false }: { keepMatches?: boolean } = {},
): CocoEvaluation {
  const defaults = defaultCocoParams();
  const {
    iouThrs = defaults.iouThrs,
    recThrs = defaults.recThrs,
    maxDets = defaults.maxDets,
    areaRanges = defaults.areaRanges,
  } = params;
  const p: CocoParams = { iouThrs, recThrs, maxDets: [...maxDets].sort((a, b) => a - b), areaRanges };
  checkParams(p);
  checkGtBoxes(input.gts, 'evaluateCoco gts');
  checkDetBoxes(input.dets, 'evaluateCoco dets');

  const imgIds = uniqueSorted(input.imageIds, 'imageIds');
  const catIds = uniqueSorted(input.labels, 'labels');
  const T = p.iouThrs.length;
  const R = p.recThrs.length;
  const K = catIds.length;
  const A = p.areaRanges.length;
  const M = p.maxDets.length;
  const I = imgIds.length;
  const maxDet = p.maxDets[M - 1];
  const imgIndex = new Map(imgIds.map((id, i) => [id, i]));
  const catIndex = new Map(catIds.map((id, k) => [id, k]));
  const { gts, dets } = input;

  const keyOf = (b: { imageId: number; label: number }): number => {
    const i = imgIndex.get(b.imageId);
    const k = catIndex.get(b.label);
    return i === undefined || k === undefined ? -1 : k * I + i;
  };
  const gtKeys = Float64Array.from(gts, keyOf);
  const detKeys = Float64Array.from(dets, keyOf);
  const gtOrder = groupOrder(gtKeys);
  const detOrder = groupOrder(detKeys);
  const detsPerClass = new Int32Array(K);
  for (const j of detOrder) detsPerClass[Math.floor(detKeys[j] / I)]++;

  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const classTp = new Int32Array(K);
  const classFp = new Int32Array(K);
  const support = new Int32Array(K);
  const classNpig = new Float64Array(K);
  const t50 = p.iouThrs.indexOf(0.5);
  const aAll = p.areaRanges.findIndex((r) => r.label === 'all');
  if (keepMatches && (aAll < 0 || T > 16))
    throw new RangeError("evaluateCoco keepMatches: needs an area range 'all' and at most 16 IoU thresholds");
  const allBits = (1 << T) - 1;
  const kept: CocoMatches | undefined = keepMatches
    ? {
        detTp: new Uint16Array(dets.length),
        detIgnored: new Uint16Array(dets.length).fill(allBits),
        detGt: new Int32Array(dets.length * T).fill(-1),
        gtTp: new Uint16Array(gts.length),
        gtIgnored: new Uint8Array(gts.length).fill(1),
        gtDet: new Int32Array(gts.length * T).fill(-1),
      }
    : undefined;

  // Scratch buffers, grown on demand and reused across groups and classes.
  let iou = new Float64Array(64);
  let iouPerm = new Float64Array(64);
  let detMatch = new Int32Array(16);
  let gtTaken = new Uint8Array(16);
  let gtIg = new Uint8Array(16);
  let gtCrowd = new Uint8Array(16);
  let perm = new Int32Array(16);
  let rc = new Float64Array(16);
  let pr = new Float64Array(16);

  let gp = 0;
  let dp = 0;
  for (let k = 0; k < K; k++) {
    // Per kept detection of class k, in image order then score order (pycocotools' concatenation).
    const n = detsPerClass[k];
    const scores = new Float64Array(n);
    const ranks = new Int32Array(n);
    const status = new Uint8Array(n * A * T);
    const npig = new Float64Array(A);
    let nk = 0;
    const classEnd = (k + 1) * I;
    while (
      (gp < gtOrder.length && gtKeys[gtOrder[gp]] < classEnd) ||
      (dp < detOrder.length && detKeys[detOrder[dp]] < classEnd)
    ) {
      const key = Math.min(
        gp < gtOrder.length ? gtKeys[gtOrder[gp]] : Number.POSITIVE_INFINITY,
        dp < detOrder.length ? detKeys[detOrder[dp]] : Number.POSITIVE_INFINITY,
      );
      const g0 = gp;
      while (gp < gtOrder.length && gtKeys[gtOrder[gp]] === key) gp++;
      const d0 = dp;
      while (dp < detOrder.length && detKeys[detOrder[dp]] === key) dp++;
      const G = gp - g0;
      const groupDets = detOrder.slice(d0, dp).map((j) => dets[j]);
      const sorted = byScoreDesc(groupDets);
      const D = Math.min(sorted.length, maxDet);

      if (D * G > iou.length) {
        iou = new Float64Array(D * G * 2);
        iouPerm = new Float64Array(D * G * 2);
      }
      if (G > gtTaken.length) {
        gtTaken = new Uint8Array(G * 2);
        gtIg = new Uint8Array(G * 2);
        gtCrowd = new Uint8Array(G * 2);
        perm = new Int32Array(G * 2);
      }
      if (D > detMatch.length) detMatch = new Int32Array(D * 2);
      for (let d = 0; d < D; d++) {
        const det = groupDets[sorted[d]];
        for (let g = 0; g < G; g++) {
          const gt = gts[gtOrder[g0 + g]];
          iou[d * G + g] = boxIou(det, gt, gt.iscrowd);
        }
      }
      for (let g = 0; g < G; g++) if (!gts[gtOrder[g0 + g]].iscrowd) support[k]++;

      for (let a = 0; a < A; a++) {
        const { min, max } = p.areaRanges[a];
        // Stable partition: ground truths kept for this range first, ignored ones last.
        let np = 0;
        for (let pass = 0; pass < 2; pass++) {
          for (let g = 0; g < G; g++) {
            const gt = gts[gtOrder[g0 + g]];
            const ignore = gt.iscrowd || gt.area < min || gt.area > max ? 1 : 0;
            if (ignore !== pass) continue;
            perm[np] = g;
            gtIg[np] = ignore;
            gtCrowd[np] = gt.iscrowd ? 1 : 0;
            np++;
          }
          if (pass === 0) npig[a] += np;
        }
        for (let d = 0; d < D; d++) for (let g = 0; g < G; g++) iouPerm[d * G + g] = iou[d * G + perm[g]];
        for (let t = 0; t < T; t++) {
          greedyMatch(iouPerm, D, G, gtIg, gtCrowd, p.iouThrs[t], detMatch, gtTaken);
          for (let d = 0; d < D; d++) {
            const m = detMatch[d];
            let st: number;
            if (m > -1) st = gtIg[m] === 1 ? IGNORED : TP;
            else {
              const det = groupDets[sorted[d]];
              const area = det.w * det.h;
              st = area < min || area > max ? IGNORED : 0;
            }
            status[((nk + d) * A + a) * T + t] = st;
            if (kept && a === aAll) {
              const j = detOrder[d0 + sorted[d]];
              const bit = 1 << t;
              if (st === TP) kept.detTp[j] |= bit;
              if (st !== IGNORED) kept.detIgnored[j] &= ~bit;
              if (m > -1) {
                const gi = gtOrder[g0 + perm[m]];
                kept.detGt[j * T + t] = gi;
                if (st === TP) {
                  kept.gtTp[gi] |= bit;
                  kept.gtDet[gi * T + t] = j;
                }
              }
            }
          }
        }
        if (kept && a === aAll) for (let g = 0; g < np; g++) kept.gtIgnored[gtOrder[g0 + perm[g]]] = gtIg[g];
      }
      for (let d = 0; d < D; d++) {
        scores[nk + d] = groupDets[sorted[d]].score;
        ranks[nk + d] = d;
      }
      nk += D;
    }

    if (aAll >= 0) classNpig[k] = npig[aAll];

    // accumulate(): all of the class's detections by score; equal scores keep image order.
    const order = Array.from({ length: nk }, (_, j) => j).sort((x, y) => scores[y] - scores[x]);
    if (nk > rc.length) {
      rc = new Float64Array(nk * 2);
      pr = new Float64Array(nk * 2);
    }
    for (let a = 0; a < A; a++) {
      // Without ground truth pycocotools leaves −1; only the per-class tp/fp tally is still wanted.
      const measured = npig[a] > 0;
      for (let m = 0; m < M; m++) {
        const cap = p.maxDets[m];
        for (let t = 0; t < T; t++) {
          const tally = a === aAll && m === M - 1 && t === t50;
          if (!measured && !tally) continue;
          // Ignored detections are skipped: they repeat the previous (rc, pr) point, which changes
          // neither the envelope nor where searchsorted lands.
          let tp = 0;
          let fp = 0;
          let nd = 0;
          for (let o = 0; o < nk; o++) {
            const j = order[o];
            if (ranks[j] >= cap) continue;
            const st = status[(j * A + a) * T + t];
            if (st === IGNORED) continue;
            if (st === TP) tp++;
            else fp++;
            rc[nd] = tp / npig[a];
            pr[nd] = tp / (fp + tp + EPS);
            nd++;
          }
          if (tally) {
            classTp[k] = tp;
            classFp[k] = fp;
          }
          if (!measured) continue;
          recall[((t * K + k) * A + a) * M + m] = nd > 0 ? rc[nd - 1] : 0;
          for (let i = nd - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
          for (let r = 0; r < R; r++) {
            const at = (((t * R + r) * K + k) * A + a) * M + m;
            const pi = searchsortedLeft(rc, nd, p.recThrs[r]);
            if (pi >= nd) {
              // pycocotools fills q[ri] in order and stops at the first index past the end.
              for (let rr = r; rr < R; rr++) precision[(((t * R + rr) * K + k) * A + a) * M + m] = 0;
              break;
            }
            precision[at] = pr[pi];
          }
        }
      }
    }
  }

  const summary = summarize(p, precision, recall, { T, R, K, A, M });
  const all = summaryIndices(p, 'all', 100);
  const perClass: CocoClassResult[] = catIds.map((label, k) => {
    const apOver = (ts: number[]): number | null => {
      if (all === null || ts.length === 0 || classNpig[k] === 0) return null;
      const vals: number[] = [];
      for (const t of ts)
        for (let r = 0; r < R; r++) vals.push(precision[(((t * R + r) * K + k) * A + all.a) * M + all.m]);
      return pairwiseSum(vals, 0, vals.length) / vals.length;
    };
    const tp = classTp[k];
    const fp = classFp[k];
    const measured = t50 >= 0 && aAll >= 0;
    return {
      label,
      ap: apOver(p.iouThrs.map((_, t) => t)),
      ap50: apOver(t50 >= 0 ? [t50] : []),
      precision: measured && tp + fp > 0 ? tp / (tp + fp) : null,
      recall: measured && classNpig[k] > 0 ? tp / classNpig[k] : null,
      support: support[k],
      tp,
      fp,
    };
  });

  return {
    summary,
    perClass,
    params: p,
    imageIds: imgIds,
    labels: catIds,
    precision,
    recall,
    dims: { T, R, K, A, M },
    ...(kept ? { matches: kept } : {}),
  };
}

/** `np.searchsorted(rc[0:nd], v, side='left')`: the first index with rc[i] >= v. */
function searchsortedLeft(rc: Float64Array, nd: number, v: number): number {
  let lo = 0;
  let hi = nd;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rc[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function summaryIndices(
  p: CocoParams,
  areaLabel: string,
  maxDets: number | undefined,
): { a: number; m: number } | null {
  const a = p.areaRanges.findIndex((r: AreaRange) => r.label === areaLabel);
  const m = maxDets === undefined ? -1 : p.maxDets.indexOf(maxDets);
  return a < 0 || m < 0 ? null : { a, m };
}

function summarize(
  p: CocoParams,
  precision: Float64Array,
  recall: Float64Array,
  { T, R, K, A, M }: { T: number; R: number; K: number; A: number; M: number },
): CocoSummary {
  const tAt = (iouThr?: number): number[] =>
    iouThr === undefined
      ? p.iouThrs.map((_, t) => t)
      : p.iouThrs.flatMap((v, t) => (v === iouThr ? [t] : []));
  const ap = (iouThr: number | undefined, areaLabel: string, maxDets: number | undefined): number => {
    const at = summaryIndices(p, areaLabel, maxDets);
    if (at === null) return -1;
    const vals: number[] = [];
    for (const t of tAt(iouThr))
      for (let r = 0; r < R; r++)
        for (let k = 0; k < K; k++) vals.push(precision[(((t * R + r) * K + k) * A + at.a) * M + at.m]);
    return meanOfValid(vals);
  };
  const ar = (areaLabel: string, maxDets: number | undefined): number => {
    const at = summaryIndices(p, areaLabel, maxDets);
    if (at === null) return -1;
    const vals: number[] = [];
    for (let t = 0; t < T; t++)
      for (let k = 0; k < K; k++) vals.push(recall[((t * K + k) * A + at.a) * M + at.m]);
    return meanOfValid(vals);
  };
  const [m0, m1, m2] = p.maxDets;
  return {
    AP: ap(undefined, 'all', 100),
    AP50: ap(0.5, 'all', m2),
    AP75: ap(0.75, 'all', m2),
    APsmall: ap(undefined, 'small', m2),
    APmedium: ap(undefined, 'medium', m2),
    APlarge: ap(undefined, 'large', m2),
    AR1: ar('all', m0),
    AR10: ar('all', m1),
    AR100: ar('all', m2),
    ARsmall: ar('small', m2),
    ARmedium: ar('medium', m2),
    ARlarge: ar('large', m2),
  };
}
