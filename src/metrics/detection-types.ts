import type { Box } from './box.ts';

/** A ground-truth box. `area` is the annotation's area (COCO: the segment area), used for area ranges. */
export interface GtBox extends Box {
  id: number;
  imageId: number;
  label: number;
  area: number;
  /** A crowd region: never a miss, and a detection inside it is neither right nor wrong. */
  iscrowd: boolean;
}

/** A predicted box with its confidence. */
export interface DetBox extends Box {
  id: number;
  imageId: number;
  label: number;
  score: number;
}

function finite(value: unknown, where: string, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new TypeError(`${where}.${field}: expected a finite number, got ${String(value)}`);
}

/**
 * Reject boxes that would silently corrupt matching: non-finite numbers, negative sizes,
 * non-boolean crowd flags. `name` names the argument in the message (e.g. `evaluateCoco gts`).
 *
 * @example
 * checkGtBoxes(gts, 'evaluateCoco gts'); // throws "evaluateCoco gts[3].w: expected ≥ 0, got -1"
 */
export function checkGtBoxes(gts: readonly GtBox[], name: string): void {
  for (let i = 0; i < gts.length; i++) {
    const g = gts[i];
    const where = `${name}[${i}]`;
    for (const f of ['id', 'imageId', 'label', 'x', 'y', 'w', 'h', 'area'] as const) finite(g[f], where, f);
    if (g.w < 0 || g.h < 0) throw new RangeError(`${where}: expected w ≥ 0 and h ≥ 0, got w=${g.w} h=${g.h}`);
    if (typeof g.iscrowd !== 'boolean')
      throw new TypeError(`${where}.iscrowd: expected a boolean, got ${String(g.iscrowd)}`);
  }
}

/** As {@link checkGtBoxes}, for detections (which carry `score` instead of `area`/`iscrowd`). */
export function checkDetBoxes(dets: readonly DetBox[], name: string): void {
  for (let i = 0; i < dets.length; i++) {
    const d = dets[i];
    const where = `${name}[${i}]`;
    for (const f of ['id', 'imageId', 'label', 'x', 'y', 'w', 'h', 'score'] as const) finite(d[f], where, f);
    if (d.w < 0 || d.h < 0) throw new RangeError(`${where}: expected w ≥ 0 and h ≥ 0, got w=${d.w} h=${d.h}`);
  }
}

/**
 * Indices of `dets` ordered by score, highest first; equal scores keep their input order
 * (numpy's `argsort(-score, kind='mergesort')`, which pycocotools uses).
 *
 * @example
 * byScoreDesc([{ score: 0.5 }, { score: 0.9 }, { score: 0.5 }]); // [1, 0, 2]
 */
export function byScoreDesc(dets: readonly { score: number }[]): number[] {
  const order = dets.map((_, i) => i);
  // Array.prototype.sort is stable (ES2019), which gives the mergesort tie rule.
  return order.sort((a, b) => dets[b].score - dets[a].score);
}
