/**
 * Axis-aligned boxes in COCO's `[x, y, w, h]` convention and their overlap, computed exactly as
 * pycocotools' `bbIou` in `maskApi.c` does, so thresholds tie the same way.
 */

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Width × height, which is what pycocotools' `loadRes` stores as a detection's `area`. */
export function boxArea(b: Box): number {
  return b.w * b.h;
}

/**
 * Overlap of a detection `d` with a ground-truth box `g`: intersection over union, or, when `g`
 * is a crowd region, intersection over the detection's own area (a detection inside a crowd
 * region covers it fully even though the region is much larger).
 *
 * @example
 * boxIou({ x: 0, y: 0, w: 2, h: 2 }, { x: 1, y: 0, w: 2, h: 2 }); // 2 / 6
 * boxIou({ x: 0, y: 0, w: 2, h: 2 }, { x: 0, y: 0, w: 10, h: 10 }, true); // 1
 */
export function boxIou(d: Box, g: Box, crowd = false): number {
  // Same operation order as maskApi.c so the floating-point result is bit-identical.
  const w = Math.min(d.w + d.x, g.w + g.x) - Math.max(d.x, g.x);
  if (w <= 0) return 0;
  const h = Math.min(d.h + d.y, g.h + g.y) - Math.max(d.y, g.y);
  if (h <= 0) return 0;
  const i = w * h;
  const da = d.w * d.h;
  const u = crowd ? da : da + g.w * g.h - i;
  return i / u;
}

/**
 * The D×G overlap matrix (row-major, `out[d * G + g]`) between detections and ground truths.
 *
 * @example
 * iouMatrix([{ x: 0, y: 0, w: 1, h: 1 }], [{ x: 0, y: 0, w: 1, h: 1 }], [false]); // Float64Array [1]
 */
export function iouMatrix(
  dets: readonly Box[],
  gts: readonly Box[],
  crowd: ArrayLike<boolean | number>,
  out: Float64Array = new Float64Array(dets.length * gts.length),
): Float64Array {
  const G = gts.length;
  for (let d = 0; d < dets.length; d++) {
    for (let g = 0; g < G; g++) out[d * G + g] = boxIou(dets[d], gts[g], Boolean(crowd[g]));
  }
  return out;
}
