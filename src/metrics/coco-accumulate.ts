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

/** Recall and precision per detection, grown on demand and reused across categories. */
export interface AccumulateScratch {
  rc: Float64Array;
  pr: Float64Array;
}

export const accumulateScratch = (): AccumulateScratch => ({
  rc: new Float64Array(16),
  pr: new Float64Array(16),
});

/**
 * COCOeval `accumulate` for category k (its outer loop): per area range, maxDets and IoU threshold,
 * the category's detections by score, cumulative tp/fp, precision made monotone from the right
 * and sampled at `recThrs` with `searchsorted(side='left')`.
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
  // All of the category's detections by score; equal scores keep image order.
  const order = Array.from({ length: nk }, (_, j) => j).sort((x, y) => scores[y] - scores[x]);
  if (nk > s.rc.length) {
    s.rc = new Float64Array(nk * 2);
    s.pr = new Float64Array(nk * 2);
  }
  const { rc, pr } = s;
  const { precision, recall, classTp, classFp } = acc;
  const { maxDets, recThrs } = p;
  // Imported bindings read once: a loader may turn each read in the loop into a getter call.
  const [tpStatus, ignoredStatus] = [TP, IGNORED];
  for (let a = 0; a < A; a++) {
    // Without ground truth pycocotools leaves −1; only the per-class tp/fp tally is still wanted.
    const measured = npig[a] > 0;
    for (let m = 0; m < M; m++) {
      const cap = maxDets[m];
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
          if (st === ignoredStatus) continue;
          if (st === tpStatus) tp++;
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
          const pi = searchsortedLeft(rc, nd, recThrs[r]);
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
