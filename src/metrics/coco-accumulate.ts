import { type CategoryEval, IGNORED, TP } from './coco-evaluate.ts';
import type { Prepared } from './coco-prepare.ts';

const EPS = 2.220446049250313e-16; // np.spacing(1)

/** `eval['precision']`, `eval['recall']`, and the per-category tp/fp tally at IoU 0.5, area all, the largest maxDets. */
export interface Accumulation {
  precision: Float64Array;
  recall: Float64Array;
  classTp: Int32Array;
  classFp: Int32Array;
}

/** The arrays `accumulate` fills, −1 where nothing is measured. */
export function accumulation({ T, R, K, A, M }: Prepared['dims']): Accumulation {
  return {
    precision: new Float64Array(T * R * K * A * M).fill(-1),
    recall: new Float64Array(T * K * A * M).fill(-1),
    classTp: new Int32Array(K),
    classFp: new Int32Array(K),
  };
}

/**
 * Buffers of `accumulate`, grown on demand and reused across categories: the category's
 * detections in score order (their status per area range and threshold, and the first maxDets
 * index that keeps them), and recall and precision per detection for each maxDets.
 */
export interface AccumulateScratch {
  order: Int32Array;
  status: Uint8Array;
  firstM: Uint16Array;
  /** The tp count at each point: recall is tp / npig, divided only where searchsorted looks. */
  tps: Int32Array[];
  pr: Float64Array[];
  nd: Int32Array;
  tp: Int32Array;
  fp: Int32Array;
}

export const accumulateScratch = (): AccumulateScratch => ({
  order: new Int32Array(16),
  status: new Uint8Array(16),
  firstM: new Uint16Array(16),
  tps: [],
  pr: [],
  nd: new Int32Array(0),
  tp: new Int32Array(0),
  fp: new Int32Array(0),
});

function growAccumulateScratch(s: AccumulateScratch, nk: number, A: number, T: number, M: number): void {
  if (nk > s.order.length) {
    s.order = new Int32Array(nk * 2);
    s.firstM = new Uint16Array(nk * 2);
  }
  // Exactly the size asked: one class of a large run holds millions of statuses.
  if (nk * A * T > s.status.length) s.status = new Uint8Array(nk * A * T);
  if (s.tps.length !== M || nk > s.tps[0].length) {
    const size = Math.max(16, nk * 2);
    s.tps = Array.from({ length: M }, () => new Int32Array(size));
    s.pr = Array.from({ length: M }, () => new Float64Array(size));
  }
  if (s.nd.length !== M) {
    s.nd = new Int32Array(M);
    s.tp = new Int32Array(M);
    s.fp = new Int32Array(M);
  }
}

/**
 * COCOeval `accumulate` for category k (its outer loop): per area range, maxDets and IoU threshold,
 * the category's detections by score, cumulative tp/fp, precision made monotone from the right
 * and sampled at `recThrs` with `searchsorted(side='left')`. One pass over the detections per
 * area range and threshold serves every maxDets: a detection ranked r within its image counts for
 * each maxDets above r, and the tp/fp sequence of each is the one pycocotools builds.
 */
export function accumulate(
  e: Prepared,
  k: number,
  ce: CategoryEval,
  acc: Accumulation,
  s: AccumulateScratch,
): void {
  const { p, aAll, t50 } = e;
  const { T, R, K, A, M } = e.dims;
  const { n: nk, scores, ranks, status, npig } = ce;
  const { maxDets, recThrs } = p;
  growAccumulateScratch(s, nk, A, T, M);
  // All of the category's detections by score; equal scores keep image order (mergesort's order).
  const { order, firstM } = s;
  for (let j = 0; j < nk; j++) order[j] = j;
  order.subarray(0, nk).sort((x, y) => scores[y] - scores[x] || x - y);
  // Laid out by (area range, threshold), then score order, so each pass below reads in sequence.
  const sorted = s.status;
  const AT = A * T;
  for (let o = 0; o < nk; o++) {
    const j = order[o];
    const rank = ranks[j];
    let m = 0;
    while (m < M && rank >= maxDets[m]) m++;
    firstM[o] = m;
    const from = j * AT;
    for (let at = 0; at < AT; at++) sorted[at * nk + o] = status[from + at];
  }
  const { tps, pr: prs, nd, tp, fp } = s;
  const { precision, recall, classTp, classFp } = acc;
  // Imported bindings read once: a loader may turn each read in the loop into a getter call.
  const [tpStatus, ignoredStatus] = [TP, IGNORED];
  for (let a = 0; a < A; a++) {
    // Without ground truth pycocotools leaves −1; only the per-class tally is still wanted.
    const measured = npig[a] > 0;
    const np = npig[a];
    for (let t = 0; t < T; t++) {
      const tally = a === aAll && t === t50;
      if (!measured && !tally) continue;
      nd.fill(0);
      tp.fill(0);
      fp.fill(0);
      const base = (a * T + t) * nk;
      // Ignored detections are skipped: they repeat the previous (rc, pr) point, which changes
      // neither the envelope nor where searchsorted lands.
      for (let o = 0; o < nk; o++) {
        const st = sorted[base + o];
        if (st === ignoredStatus) continue;
        const hit = st === tpStatus;
        for (let m = firstM[o]; m < M; m++) {
          const tpm = hit ? ++tp[m] : tp[m];
          const fpm = hit ? fp[m] : ++fp[m];
          const i = nd[m]++;
          tps[m][i] = tpm;
          prs[m][i] = tpm / (fpm + tpm + EPS);
        }
      }
      if (tally) {
        classTp[k] = tp[M - 1];
        classFp[k] = fp[M - 1];
      }
      if (!measured) continue;
      for (let m = 0; m < M; m++) {
        const tpAt = tps[m];
        const pr = prs[m];
        const n = nd[m];
        recall[((t * K + k) * A + a) * M + m] = n > 0 ? tpAt[n - 1] / np : 0;
        for (let i = n - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
        for (let r = 0; r < R; r++) {
          const pi = searchsortedLeft(tpAt, np, n, recThrs[r]);
          if (pi >= n) {
            // pycocotools fills q[ri] in order and stops at the first index past the end.
            for (let rr = r; rr < R; rr++) precision[(((t * R + rr) * K + k) * A + a) * M + m] = 0;
            break;
          }
          precision[(((t * R + r) * K + k) * A + a) * M + m] = pr[pi];
        }
      }
    }
  }
}

/** `np.searchsorted(rc[0:nd], v, side='left')` with `rc = tp / npig`: the first index with rc[i] >= v. */
function searchsortedLeft(tp: Int32Array, npig: number, nd: number, v: number): number {
  let lo = 0;
  let hi = nd;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tp[mid] / npig < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
