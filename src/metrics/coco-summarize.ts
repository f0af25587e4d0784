import type { Accumulation } from './coco-accumulate.ts';
import { type AreaRange, type CocoParams, pairwiseSum } from './coco-params.ts';
import type { CocoClassResult, CocoDims, CocoSummary } from './coco-types.ts';

function summaryIndices(
  p: CocoParams,
  areaLabel: string,
  maxDets: number | undefined,
): { a: number; m: number } | null {
  const a = p.areaRanges.findIndex((r: AreaRange) => r.label === areaLabel);
  const m = maxDets === undefined ? -1 : p.maxDets.indexOf(maxDets);
  return a < 0 || m < 0 ? null : { a, m };
}

/** COCOeval `summarize`: its 12 `_summarize` calls, means over the entries > −1. */
export function summarize(
  p: CocoParams,
  precision: Float64Array,
  recall: Float64Array,
  { T, R, K, A, M }: CocoDims,
): CocoSummary {
  const tAt = (iouThr?: number): number[] =>
    iouThr === undefined
      ? p.iouThrs.map((_, t) => t)
      : p.iouThrs.flatMap((v, t) => (v === iouThr ? [t] : []));
  // The entries > −1 go straight into one buffer, in numpy's order for `s[s > -1]` (t, r, k): a
  // growing JS array of 80,800 numbers per line made these twelve lines cost more than evaluating
  // a 100-image set.
  const kept = new Float64Array(Math.max(T * R * K, T * K));
  const meanKept = (n: number) => (n === 0 ? -1 : pairwiseSum(kept, 0, n) / n);
  const ap = (iouThr: number | undefined, areaLabel: string, maxDets: number | undefined): number => {
    const at = summaryIndices(p, areaLabel, maxDets);
    if (at === null) return -1;
    let n = 0;
    for (const t of tAt(iouThr))
      for (let r = 0; r < R; r++)
        for (let k = 0; k < K; k++) {
          const v = precision[(((t * R + r) * K + k) * A + at.a) * M + at.m];
          if (v > -1) kept[n++] = v;
        }
    return meanKept(n);
  };
  const ar = (areaLabel: string, maxDets: number | undefined): number => {
    const at = summaryIndices(p, areaLabel, maxDets);
    if (at === null) return -1;
    let n = 0;
    for (let t = 0; t < T; t++)
      for (let k = 0; k < K; k++) {
        const v = recall[((t * K + k) * A + at.a) * M + at.m];
        if (v > -1) kept[n++] = v;
      }
    return meanKept(n);
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

/**
 * Per category (not in pycocotools): AP@[.5:.95] and AP50 from `eval['precision']` at area all,
 * 100 detections, and precision/recall from the tp/fp tally at IoU 0.5.
 */
export function classResults({
  p,
  catIds,
  dims: { R, K, A, M },
  t50,
  aAll,
  acc,
  support,
  npig,
}: {
  p: CocoParams;
  catIds: number[];
  dims: CocoDims;
  t50: number;
  aAll: number;
  acc: Accumulation;
  /** Non-crowd ground truths per category. */
  support: Int32Array;
  /** Non-ignored ground truths per category at area 'all'. */
  npig: Float64Array;
}): CocoClassResult[] {
  const all = summaryIndices(p, 'all', 100);
  return catIds.map((label, k) => {
    const apOver = (ts: number[]): number | null => {
      if (all === null || ts.length === 0 || npig[k] === 0) return null;
      const vals: number[] = [];
      for (const t of ts)
        for (let r = 0; r < R; r++) vals.push(acc.precision[(((t * R + r) * K + k) * A + all.a) * M + all.m]);
      return pairwiseSum(vals, 0, vals.length) / vals.length;
    };
    const tp = acc.classTp[k];
    const fp = acc.classFp[k];
    const measured = t50 >= 0 && aAll >= 0;
    return {
      label,
      ap: apOver(p.iouThrs.map((_, t) => t)),
      ap50: apOver(t50 >= 0 ? [t50] : []),
      precision: measured && tp + fp > 0 ? tp / (tp + fp) : null,
      recall: measured && npig[k] > 0 ? tp / npig[k] : null,
      support: support[k],
      tp,
      fp,
    };
  });
}
