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
 *
 * The steps keep cocoeval.py's names, to be read side by side with it: `prepare` (coco-prepare.ts),
 * `evaluate`, `computeIoU` and `evaluateImg` (coco-evaluate.ts), `accumulate` (coco-accumulate.ts),
 * `summarize` (coco-summarize.ts). Both of pycocotools' outer loops run over categories, so here
 * each category is evaluated and then accumulated before the next, which bounds the memory used.
 */
import { type Accumulation, accumulate, accumulateScratch, accumulation } from './coco-accumulate.ts';
import { evalScratch, evaluate } from './coco-evaluate.ts';
import { prepare } from './coco-prepare.ts';
import { type CocoParams, defaultCocoParams } from './coco-params.ts';
import { classResults, summarize } from './coco-summarize.ts';
import type { CocoEvaluation, CocoInput } from './coco-types.ts';
import { checkDetBoxes, checkGtBoxes } from './detection-types.ts';

export type { AreaRange, CocoParams } from './coco-params.ts';
export type {
  CocoClassResult,
  CocoEvaluation,
  CocoInput,
  CocoMatches,
  CocoSummary,
} from './coco-types.ts';

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

  const e = prepare(input, p, keepMatches);
  const { K } = e.dims;
  const acc: Accumulation = accumulation(e.dims);
  const support = new Int32Array(K);
  const npig = new Float64Array(K);
  const cursor = { gp: 0, dp: 0 };
  const scratch = evalScratch();
  const accScratch = accumulateScratch();
  for (let k = 0; k < K; k++) {
    const category = evaluate(e, k, cursor, scratch);
    support[k] = category.support;
    if (e.aAll >= 0) npig[k] = category.npig[e.aAll];
    accumulate(e, k, category, acc, accScratch);
  }

  return {
    summary: summarize(p, acc.precision, acc.recall, e.dims),
    perClass: classResults({
      p,
      catIds: e.catIds,
      dims: e.dims,
      t50: e.t50,
      aAll: e.aAll,
      acc,
      support,
      npig,
    }),
    params: p,
    imageIds: e.imgIds,
    labels: e.catIds,
    precision: acc.precision,
    recall: acc.recall,
    dims: e.dims,
    ...(e.kept ? { matches: e.kept } : {}),
  };
}
