import { boxIou } from './box.ts';
import type { Prepared } from './coco-prepare.ts';
import type { CocoMatches } from './coco-types.ts';
import { greedyMatch } from './detection-match.ts';
import { byScoreDesc } from './detection-types.ts';

/**
 * COCOeval's `evaluate`, `computeIoU` and `evaluateImg` for iouType 'bbox'. Instead of
 * a list of per-image dicts, `evaluate` gives one category's detections as flat arrays (their
 * score, rank within their image, and a match status per area range and IoU threshold), which is
 * all `accumulate` reads.
 */

/** A detection's status at one area range and IoU threshold: 0 = false positive. */
export const TP = 1;
/** dtIgnore: matched to an ignored ground truth, or unmatched and outside the area range. */
export const IGNORED = 2;

/** One category's evaluation: per detection kept, in image order then score order. */
export interface CategoryEval {
  /** Detections kept. */
  n: number;
  scores: Float64Array;
  /** Rank within its image (by score), to apply each maxDets. */
  ranks: Int32Array;
  /** `status[(j * A + a) * T + t]`: TP, IGNORED or 0. */
  status: Uint8Array;
  /** Non-ignored ground truths per area range (accumulate's `npig`). */
  npig: Float64Array;
  /** Non-crowd ground truths. */
  support: number;
}

/** Buffers of `computeIoU` and `evaluateImg`, grown on demand and reused across images and categories. */
export interface EvalScratch {
  iou: Float64Array;
  iouPerm: Float64Array;
  detMatch: Int32Array;
  gtTaken: Uint8Array;
  gtIg: Uint8Array;
  gtCrowd: Uint8Array;
  perm: Int32Array;
  /** Per detection: its status when unmatched in the area range at hand (IGNORED outside it, else 0). */
  unmatched: Uint8Array;
}

export function evalScratch(): EvalScratch {
  return {
    iou: new Float64Array(64),
    iouPerm: new Float64Array(64),
    detMatch: new Int32Array(16),
    gtTaken: new Uint8Array(16),
    gtIg: new Uint8Array(16),
    gtCrowd: new Uint8Array(16),
    perm: new Int32Array(16),
    unmatched: new Uint8Array(16),
  };
}

function growScratch(s: EvalScratch, D: number, G: number): void {
  if (D * G > s.iou.length) {
    s.iou = new Float64Array(D * G * 2);
    s.iouPerm = new Float64Array(D * G * 2);
  }
  if (G > s.gtTaken.length) {
    s.gtTaken = new Uint8Array(G * 2);
    s.gtIg = new Uint8Array(G * 2);
    s.gtCrowd = new Uint8Array(G * 2);
    s.perm = new Int32Array(G * 2);
  }
  if (D > s.detMatch.length) {
    s.detMatch = new Int32Array(D * 2);
    s.unmatched = new Uint8Array(D * 2);
  }
}

/**
 * COCOeval `evaluate` for category k: every image's `computeIoU`, then `evaluateImg` per area range.
 * Images come in ascending order (pycocotools' concatenation order in `accumulate`); `cursor`
 * walks the grouped boxes across categories.
 */
export function evaluate(
  e: Prepared,
  k: number,
  cursor: { gp: number; dp: number },
  s: EvalScratch,
): CategoryEval {
  const { A, T } = e.dims;
  const { gts, dets, gtKeys, detKeys, gtOrder, detOrder } = e;
  const n = e.detsPerClass[k];
  const ce: CategoryEval = {
    n: 0,
    scores: new Float64Array(n),
    ranks: new Int32Array(n),
    status: new Uint8Array(n * A * T),
    npig: new Float64Array(A),
    support: 0,
  };
  const classEnd = (k + 1) * e.I;
  let { gp, dp } = cursor;
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
    const gt = gtOrder.slice(g0, gp);
    const dt = computeIoU(e, gt, detOrder.slice(d0, dp), s);
    for (const g of gt) if (!gts[g].iscrowd) ce.support++;
    for (let a = 0; a < A; a++) ce.npig[a] += evaluateImg(e, gt, dt, a, s, ce);
    const { scores, ranks, n } = ce;
    for (let d = 0; d < dt.length; d++) {
      scores[n + d] = dets[dt[d]].score;
      ranks[n + d] = d;
    }
    ce.n += dt.length;
  }
  cursor.gp = gp;
  cursor.dp = dp;
  return ce;
}

/**
 * COCOeval `computeIoU` for one image and category: its detections by score (ties keep input
 * order), the first `maxDets[-1]` kept, against its ground truths; crowd regions by the
 * detection's area. Fills `s.iou` (D×G) and returns the detections kept, in that order.
 */
export function computeIoU(e: Prepared, gt: number[], candidates: number[], s: EvalScratch): number[] {
  const { gts, dets } = e;
  // Positions among the candidates by score, then (in place) the input indices of the first D.
  const dt = byScoreDesc(candidates.map((j) => dets[j]));
  const D = Math.min(dt.length, e.maxDet);
  dt.length = D;
  for (let d = 0; d < D; d++) dt[d] = candidates[dt[d]];
  const G = gt.length;
  growScratch(s, D, G);
  const { iou } = s;
  for (let d = 0; d < D; d++) {
    const det = dets[dt[d]];
    for (let g = 0; g < G; g++) {
      const box = gts[gt[g]];
      iou[d * G + g] = boxIou(det, box, box.iscrowd);
    }
  }
  return dt;
}

/**
 * COCOeval `evaluateImg` for one image, category and area range (all IoU thresholds): ground
 * truths outside the range or crowd are ignored and sorted last, each threshold matched greedily,
 * and each detection's status written to `ce.status` from row `ce.n`. Returns the number of
 * non-ignored ground truths.
 */
export function evaluateImg(
  e: Prepared,
  gt: number[],
  dt: number[],
  a: number,
  s: EvalScratch,
  ce: CategoryEval,
): number {
  const { A, T } = e.dims;
  const { gts, dets } = e;
  const { iou, iouPerm, perm, gtIg, gtCrowd, detMatch, gtTaken, unmatched } = s;
  const { status, n } = ce;
  const { min, max } = e.p.areaRanges[a];
  const iouThrs = e.p.iouThrs;
  const G = gt.length;
  const D = dt.length;
  // Stable partition: ground truths kept for this range first, ignored ones last.
  let np = 0;
  let npig = 0;
  for (let pass = 0; pass < 2; pass++) {
    for (let g = 0; g < G; g++) {
      const box = gts[gt[g]];
      const ignore = box.iscrowd || box.area < min || box.area > max ? 1 : 0;
      if (ignore !== pass) continue;
      perm[np] = g;
      gtIg[np] = ignore;
      gtCrowd[np] = box.iscrowd ? 1 : 0;
      np++;
    }
    if (pass === 0) npig = np;
  }
  for (let d = 0; d < D; d++) for (let g = 0; g < G; g++) iouPerm[d * G + g] = iou[d * G + perm[g]];
  for (let d = 0; d < D; d++) {
    const det = dets[dt[d]];
    const area = det.w * det.h;
    unmatched[d] = area < min || area > max ? IGNORED : 0;
  }
  const kept = e.aAll === a ? e.kept : undefined;
  for (let t = 0; t < T; t++) {
    greedyMatch(iouPerm, D, G, gtIg, gtCrowd, iouThrs[t], detMatch, gtTaken);
    for (let d = 0; d < D; d++) {
      const m = detMatch[d];
      const st = m > -1 ? (gtIg[m] === 1 ? IGNORED : TP) : unmatched[d];
      status[((n + d) * A + a) * T + t] = st;
      if (kept) keepMatch(kept, T, t, dt[d], m > -1 ? gt[perm[m]] : -1, st);
    }
  }
  if (kept) for (let g = 0; g < np; g++) kept.gtIgnored[gt[perm[g]]] = gtIg[g];
  return npig;
}

/** Record detection j's outcome at threshold t, and its ground truth gi's (−1: none). */
function keepMatch(kept: CocoMatches, T: number, t: number, j: number, gi: number, st: number): void {
  const bit = 1 << t;
  if (st === TP) kept.detTp[j] |= bit;
  if (st !== IGNORED) kept.detIgnored[j] &= ~bit;
  if (gi > -1) {
    kept.detGt[j * T + t] = gi;
    if (st === TP) {
      kept.gtTp[gi] |= bit;
      kept.gtDet[gi * T + t] = j;
    }
  }
}
