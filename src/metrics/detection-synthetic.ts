/**
 * Seeded synthetic detection data for tests and benchmarks: ground truths of mixed sizes (small,
 * medium and large by COCO's ranges), some crowd regions, and detections that are jittered copies
 * (sometimes relabelled) plus background false positives. Scores are rounded to 2 decimals and a
 * share of the boxes sit on an integer grid, so equal scores and exact IoU ties occur often.
 */
import { createRandom } from '../random.ts';
import type { DetBox, GtBox } from './detection-types.ts';

export interface SyntheticDetections {
  imageIds: number[];
  labels: number[];
  gts: GtBox[];
  dets: DetBox[];
}

/**
 * Generate `images` images with about `gtsPerImage` ground truths and `detsPerImage` detections
 * each (both drawn uniformly from 0 to twice the mean). Ids start at 1, as in COCO files.
 *
 * @example
 * const data = syntheticDetections({ seed: 1, images: 10 });
 */
export function syntheticDetections({
  seed,
  images,
  gtsPerImage = 9,
  detsPerImage = 20,
  numLabels = 10,
  crowdRate = 0.03,
  emptyImageRate = 0.05,
}: {
  seed: number;
  images: number;
  gtsPerImage?: number;
  detsPerImage?: number;
  numLabels?: number;
  crowdRate?: number;
  emptyImageRate?: number;
}): SyntheticDetections {
  const rand = createRandom(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const labels = Array.from({ length: numLabels }, (_, i) => i + 1);
  const imageIds: number[] = [];
  const gts: GtBox[] = [];
  const dets: DetBox[] = [];
  for (let img = 1; img <= images; img++) {
    imageIds.push(img);
    const grid = rand() < 0.3;
    const q = (v: number) => (grid ? Math.round(v) : Math.round(v * 100) / 100);
    // Sizes spread over log scale from 4 to 400 px so every COCO area range gets boxes.
    const size = () => q(4 * 100 ** rand());
    const nGt = rand() < emptyImageRate ? 0 : int(2 * gtsPerImage + 1);
    const imageGts: GtBox[] = [];
    for (let g = 0; g < nGt; g++) {
      const w = Math.max(1, size());
      const h = Math.max(1, q(w * (0.5 + rand())));
      const crowd = rand() < crowdRate;
      const box = {
        id: gts.length + 1,
        imageId: img,
        label: labels[int(numLabels)],
        x: q(rand() * 600),
        y: q(rand() * 400),
        w: crowd ? w * 3 : w,
        h: crowd ? h * 3 : h,
        iscrowd: crowd,
        area: 0,
      };
      // COCO areas are segment areas, a bit under the box area; keep it exact on the grid images.
      box.area = grid ? box.w * box.h : box.w * box.h * (0.6 + 0.4 * rand());
      imageGts.push(box);
      gts.push(box);
    }
    const nDet = int(2 * detsPerImage + 1);
    for (let d = 0; d < nDet; d++) {
      const score = Math.round(rand() * 100) / 100;
      const src = imageGts.length > 0 && rand() < 0.7 ? imageGts[int(imageGts.length)] : null;
      if (src) {
        const jitter = (v: number, s: number) => q(v + (rand() - 0.5) * s * 0.4);
        dets.push({
          id: dets.length + 1,
          imageId: img,
          label: rand() < 0.15 ? labels[int(numLabels)] : src.label,
          x: jitter(src.x, src.w),
          y: jitter(src.y, src.h),
          w: Math.max(1, jitter(src.w, src.w)),
          h: Math.max(1, jitter(src.h, src.h)),
          score,
        });
      } else {
        const w = Math.max(1, size());
        dets.push({
          id: dets.length + 1,
          imageId: img,
          label: labels[int(numLabels)],
          x: q(rand() * 600),
          y: q(rand() * 400),
          w,
          h: Math.max(1, q(w * (0.5 + rand()))),
          score,
        });
      }
    }
  }
  return { imageIds, labels, gts, dets };
}
