import { type CocoInput, evaluateCoco } from './coco-eval.ts';

/** COCOeval's two headline numbers on a set of images, and what they were measured on. */
export interface CocoHeadline {
  /** AP@[.5:.95] (area all, 100 detections per image); null when no class has a ground truth (−1). */
  AP: number | null;
  /** AP at IoU 0.5; null as AP. */
  AP50: number | null;
  images: number;
  /** Non-crowd ground-truth boxes on those images. */
  boxes: number;
}

/**
 * `COCOeval.stats[0]` and `[1]` of the input, with pycocotools' −1 (nothing to measure) as null.
 *
 * @example
 * cocoHeadline({ imageIds: [1], labels: [0], gts: [gt], dets: [sameBox] }); // { AP: 1, AP50: 1, images: 1, boxes: 1 }
 */
export function cocoHeadline(input: CocoInput): CocoHeadline {
  const { summary } = evaluateCoco(input);
  const measured = (x: number) => (x < 0 ? null : x);
  return {
    AP: measured(summary.AP),
    AP50: measured(summary.AP50),
    images: new Set(input.imageIds).size,
    boxes: input.gts.filter((g) => !g.iscrowd).length,
  };
}
