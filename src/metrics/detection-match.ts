/**
 * The greedy matching rule of pycocotools' `COCOeval.evaluateImg`, for one image, one class and
 * one IoU threshold, over typed arrays so it can run millions of times without allocating.
 *
 * Detections are visited in the order given (callers pass them highest score first). Each takes
 * the ground truth with the highest overlap ≥ `threshold` (capped at 1 − 1e-10, so a threshold of
 * 1 still accepts perfect overlaps; on equal overlaps the later ground truth wins, as in
 * pycocotools) among those not yet taken; crowd ground truths can be taken any number of times.
 * Ground truths must be ordered with ignored ones last: once a detection has a candidate that is
 * not ignored, ignored ground truths are not considered.
 *
 * @param iou D×G overlaps, row-major (`iou[d * G + g]`), in the order of the ground truths given.
 * @param detMatch out: the matched ground-truth index per detection, or −1.
 * @param gtTaken scratch of length ≥ G.
 *
 * @example
 * const m = new Int32Array(1);
 * greedyMatch(new Float64Array([0.7]), 1, 1, new Uint8Array([0]), new Uint8Array([0]), 0.5, m, new Uint8Array(1));
 * // m[0] === 0
 */
export function greedyMatch(
  iou: Float64Array,
  D: number,
  G: number,
  gtIgnore: Uint8Array,
  gtCrowd: Uint8Array,
  threshold: number,
  detMatch: Int32Array,
  gtTaken: Uint8Array,
): void {
  gtTaken.fill(0, 0, G);
  const start = Math.min(threshold, 1 - 1e-10);
  for (let d = 0; d < D; d++) {
    let best = start;
    let m = -1;
    const row = d * G;
    for (let g = 0; g < G; g++) {
      if (gtTaken[g] === 1 && gtCrowd[g] === 0) continue;
      if (m > -1 && gtIgnore[m] === 0 && gtIgnore[g] === 1) break;
      const v = iou[row + g];
      if (v < best) continue;
      best = v;
      m = g;
    }
    detMatch[d] = m;
    if (m > -1) gtTaken[m] = 1;
  }
}
