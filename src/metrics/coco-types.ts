import type { CocoParams } from './coco-params.ts';
import type { DetBox, GtBox } from './detection-types.ts';

/** What `evaluateCoco` takes and gives (pycocotools' inputs and `COCOeval.eval` / `.stats`). */

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

/** The sizes of `eval['precision']` and `eval['recall']`: IoU thresholds, recall thresholds, categories, area ranges, maxDets. */
export interface CocoDims {
  T: number;
  R: number;
  K: number;
  A: number;
  M: number;
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
  dims: CocoDims;
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
