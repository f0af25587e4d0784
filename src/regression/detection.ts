import type { CocoEvaluation, CocoInput } from '../metrics/coco-eval.ts';
import { pairwiseSum } from '../metrics/coco-params.ts';
import { createRandom } from '../random.ts';
import { multinomial } from '../stats/binomial.ts';
import { percentileInterval } from '../stats/quantile.ts';
import { type BootstrapSettings, type ClassRegression, DEFAULT_BOOTSTRAP, isRegression } from './types.ts';

const EPS = 2.220446049250313e-16; // np.spacing(1), as COCOeval's accumulate

/**
 * One class of one run, reduced to what COCOeval's accumulate reads (area 'all', the largest
 * maxDets): its detections in accumulate's order with their per-threshold outcome bits, and the
 * image of each non-ignored ground truth. Plain arrays, so it crosses to a pool thread.
 */
export interface ApClass {
  label: number;
  /** Image index (position in the evaluation's sorted image ids) of each detection, in score order. */
  detImage: Int32Array;
  /** Bit t set: true positive at IoU threshold t. */
  detTp: Uint16Array;
  /** Bit t set: ignored at threshold t (matched to a crowd region, beyond maxDets, …). */
  detIgnored: Uint16Array;
  /** Image index of each non-ignored ground truth. */
  gtImage: Int32Array;
}

export interface ApData {
  images: number;
  thresholds: number;
  recThrs: number[];
  classes: ApClass[];
}

/**
 * The accumulate inputs of an evaluation made with `keepMatches` (see evaluateCoco): per class, the
 * detections ordered as accumulate orders them (score descending; ties by image, then input order).
 *
 * @example
 * const data = apData(input, evaluateCoco(input, {}, { keepMatches: true }));
 */
export function apData(input: CocoInput, evaluation: CocoEvaluation): ApData {
  const m = evaluation.matches;
  if (!m) throw new Error('apData: the evaluation was made without keepMatches');
  const imageIndex = new Map(evaluation.imageIds.map((id, i) => [id, i]));
  const classes = evaluation.labels.map((label): ApClass => {
    const dets: number[] = [];
    input.dets.forEach((d, j) => {
      if (d.label === label && imageIndex.has(d.imageId)) dets.push(j);
    });
    dets.sort(
      (x, y) =>
        input.dets[y].score - input.dets[x].score ||
        (imageIndex.get(input.dets[x].imageId) as number) -
          (imageIndex.get(input.dets[y].imageId) as number) ||
        x - y,
    );
    const gtImage: number[] = [];
    input.gts.forEach((g, i) => {
      const img = imageIndex.get(g.imageId);
      if (g.label === label && img !== undefined && m.gtIgnored[i] === 0) gtImage.push(img);
    });
    return {
      label,
      detImage: Int32Array.from(dets, (j) => imageIndex.get(input.dets[j].imageId) as number),
      detTp: Uint16Array.from(dets, (j) => m.detTp[j]),
      detIgnored: Uint16Array.from(dets, (j) => m.detIgnored[j]),
      gtImage: Int32Array.from(gtImage),
    };
  });
  return {
    images: evaluation.imageIds.length,
    thresholds: evaluation.params.iouThrs.length,
    recThrs: [...evaluation.params.recThrs],
    classes,
  };
}

/**
 * COCOeval's AP@[.5:.95] of one class when image i appears `weights[i]` times (a bootstrap
 * replicate); null without ground truth. With every weight 1 it is evaluateCoco's `ap`, to the bit:
 * the same precision envelope, recall sampling and pairwise mean. A detection of an image drawn w
 * times is one step of w: the points in between never raise the envelope, so this is exact.
 */
export function weightedAp(
  cls: ApClass,
  weights: ArrayLike<number>,
  thresholds: number,
  recThrs: readonly number[],
  scratch: { rc: Float64Array; pr: Float64Array; vals: Float64Array },
): number | null {
  let npig = 0;
  for (let g = 0; g < cls.gtImage.length; g++) npig += weights[cls.gtImage[g]];
  if (npig === 0) return null;
  const { rc, pr, vals } = scratch;
  const R = recThrs.length;
  const D = cls.detImage.length;
  for (let t = 0; t < thresholds; t++) {
    const bit = 1 << t;
    let tp = 0;
    let fp = 0;
    let nd = 0;
    for (let o = 0; o < D; o++) {
      if (cls.detIgnored[o] & bit) continue;
      const w = weights[cls.detImage[o]];
      if (w === 0) continue;
      if (cls.detTp[o] & bit) tp += w;
      else fp += w;
      rc[nd] = tp / npig;
      pr[nd] = tp / (fp + tp + EPS);
      nd++;
    }
    for (let i = nd - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
    let pi = 0;
    for (let r = 0; r < R; r++) {
      // recThrs ascend, so the searchsorted position only moves right.
      while (pi < nd && rc[pi] < recThrs[r]) pi++;
      vals[t * R + r] = pi >= nd ? 0 : pr[pi];
    }
  }
  return pairwiseSum(vals, 0, thresholds * R) / (thresholds * R);
}

/**
 * The paired bootstrap of per-class AP change (new − previous) over the images both runs were
 * evaluated on: each replicate draws the images with replacement (a multinomial over images) and
 * weighs both runs' detections and ground truths by it. Replicates where a class has no ground
 * truth are left out of its interval.
 */
export function bootstrapApChange(
  before: ApData,
  now: ApData,
  classNames: readonly string[],
  { minDrop, ...settings }: Partial<BootstrapSettings> & { minDrop: number },
): ClassRegression[] {
  const { resamples, seed, level } = { ...DEFAULT_BOOTSTRAP, ...settings };
  if (before.images !== now.images)
    throw new RangeError(`bootstrapApChange: ${before.images} and ${now.images} images; expected the same`);
  const I = before.images;
  const maxDets = Math.max(
    1,
    ...before.classes.map((c) => c.detImage.length),
    ...now.classes.map((c) => c.detImage.length),
  );
  const T = before.thresholds;
  const scratch = {
    rc: new Float64Array(maxDets),
    pr: new Float64Array(maxDets),
    vals: new Float64Array(T * before.recThrs.length),
  };
  const ones = new Float64Array(I).fill(1);
  const nowByLabel = new Map(now.classes.map((c) => [c.label, c]));
  const pairs = before.classes
    .map((b) => ({ b, n: nowByLabel.get(b.label) }))
    .filter((p): p is { b: ApClass; n: ApClass } => p.n !== undefined && p.b.gtImage.length > 0);
  const points = pairs.map(({ b, n }) => ({
    before: weightedAp(b, ones, T, before.recThrs, scratch) as number,
    now: weightedAp(n, ones, T, now.recThrs, scratch) as number,
  }));
  const random = createRandom(seed);
  const weights = new Int32Array(I);
  const deltas = pairs.map(() => new Float64Array(resamples));
  const kept = new Int32Array(pairs.length);
  for (let r = 0; r < resamples; r++) {
    multinomial(random, I, ones, weights);
    pairs.forEach(({ b, n }, j) => {
      const a = weightedAp(b, weights, T, before.recThrs, scratch);
      if (a === null) return;
      const c = weightedAp(n, weights, T, now.recThrs, scratch) as number;
      deltas[j][kept[j]++] = c - a;
    });
  }
  return pairs.map(({ b }, j) => {
    const { before: x, now: y } = points[j];
    const delta = y - x;
    const [low, high] = kept[j] ? percentileInterval(deltas[j].subarray(0, kept[j]), level) : [delta, delta];
    return {
      label: b.label,
      name: classNames[b.label] ?? String(b.label),
      metric: 'ap' as const,
      before: x,
      now: y,
      delta,
      low,
      high,
      support: b.gtImage.length,
      regressed: isRegression({ delta, high }, minDrop),
    };
  });
}
