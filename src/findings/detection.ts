/**
 * Detection label flags for one image, from its ground-truth boxes and predictions. Boxes are COCO
 * `[x, y, w, h]`. Predictions are first matched greedily as COCO does (per class, most confident
 * first, each to the unmatched same-class box of highest IoU ≥ `matchIou`). Then every *unmatched*
 * prediction with score ≥ `confidenceFloor` is examined, most confident first, and flagged at most once:
 *
 * - **swap**: it overlaps, at IoU ≥ `matchIou`, a box of another class that no same-class prediction
 *   matched → the box's class is probably wrong. Score 1 − prediction score.
 * - **bad_location**: not a swap, and its best IoU with a same-class box that no prediction matched is in
 *   [`badLocationIou`, `matchIou`) → the box is probably drawn in the wrong place. Score = that IoU
 *   (in [0.1, 0.5) by default: the worse the overlap, the lower).
 * - **overlooked**: IoU < `matchIou` with every box of any class and not a bad location → an object
 *   nobody labeled. Score 1 − prediction score.
 *
 * A ground-truth box no prediction found ("missing prediction") is a model error, not a label error,
 * and is never flagged. Unmatched predictions that overlap an already matched box (duplicates) are not
 * flagged either. The image's label quality is the minimum of its flag scores, 1 without flags.
 */

export type Box = [number, number, number, number];

export interface GtBox {
  id: number;
  label: number;
  box: Box;
}

export interface DetBox {
  id: number;
  label: number;
  score: number;
  box: Box;
}

export type DetectionKind = 'swap' | 'overlooked' | 'bad_location';

export interface DetectionFlag {
  kind: DetectionKind;
  /** The ground-truth box concerned (null for overlooked). */
  annId: number | null;
  predId: number;
  /** The box's label (null for overlooked). */
  given: number | null;
  suggested: number;
  score: number;
  iou: number;
  predScore: number;
}

export interface DetectionFlagOptions {
  confidenceFloor?: number;
  matchIou?: number;
  badLocationIou?: number;
}

/** Intersection over union of two `[x, y, w, h]` boxes. */
export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * COCO-style greedy matching: returns, per prediction, the index of its matched ground-truth box or −1.
 */
export function greedyMatch(gts: GtBox[], dets: DetBox[], matchIou = 0.5): Int32Array {
  const detMatch = new Int32Array(dets.length).fill(-1);
  const gtTaken = new Uint8Array(gts.length);
  const order = dets.map((_, i) => i).sort((a, b) => dets[b].score - dets[a].score || a - b);
  for (const d of order) {
    let best = -1;
    let bestIou = Math.min(matchIou, 1 - 1e-10);
    for (let g = 0; g < gts.length; g++) {
      if (gtTaken[g] || gts[g].label !== dets[d].label) continue;
      const v = iou(gts[g].box, dets[d].box);
      if (v >= bestIou) {
        bestIou = v;
        best = g;
      }
    }
    if (best >= 0) {
      gtTaken[best] = 1;
      detMatch[d] = best;
    }
  }
  return detMatch;
}

/**
 * Flags for one image, most likely wrong first.
 *
 * @example
 * const flags = detectionFlags(gts, dets, { confidenceFloor: 0.9 });
 */
export function detectionFlags(
  gts: GtBox[],
  dets: DetBox[],
  { confidenceFloor = 0.9, matchIou = 0.5, badLocationIou = 0.1 }: DetectionFlagOptions = {},
): DetectionFlag[] {
  const detMatch = greedyMatch(gts, dets, matchIou);
  const gtMatched = new Uint8Array(gts.length);
  for (const g of detMatch) if (g >= 0) gtMatched[g] = 1;
  // A box carries at most one flag.
  const gtFlagged = new Uint8Array(gts.length);
  const order = dets
    .map((_, i) => i)
    .filter((d) => detMatch[d] < 0 && dets[d].score >= confidenceFloor)
    .sort((a, b) => dets[b].score - dets[a].score || a - b);
  const flags: DetectionFlag[] = [];
  for (const d of order) {
    const det = dets[d];
    const ious = gts.map((g) => iou(g.box, det.box));
    let swap = -1;
    let location = -1;
    let maxAny = 0;
    for (let g = 0; g < gts.length; g++) {
      maxAny = Math.max(maxAny, ious[g]);
      if (gtMatched[g] || gtFlagged[g]) continue;
      if (gts[g].label !== det.label) {
        if (ious[g] >= matchIou && (swap < 0 || ious[g] > ious[swap])) swap = g;
      } else if (
        ious[g] >= badLocationIou &&
        ious[g] < matchIou &&
        (location < 0 || ious[g] > ious[location])
      ) {
        location = g;
      }
    }
    const base = { predId: det.id, suggested: det.label, predScore: det.score };
    if (swap >= 0) {
      gtFlagged[swap] = 1;
      const g = gts[swap];
      flags.push({
        ...base,
        kind: 'swap',
        annId: g.id,
        given: g.label,
        score: 1 - det.score,
        iou: ious[swap],
      });
    } else if (location >= 0) {
      gtFlagged[location] = 1;
      const g = gts[location];
      flags.push({
        ...base,
        kind: 'bad_location',
        annId: g.id,
        given: g.label,
        score: ious[location],
        iou: ious[location],
      });
    } else if (maxAny < matchIou) {
      flags.push({
        ...base,
        kind: 'overlooked',
        annId: null,
        given: null,
        score: 1 - det.score,
        iou: maxAny,
      });
    }
  }
  return flags.sort((a, b) => a.score - b.score || a.predId - b.predId);
}

/** An image's label quality: the lowest flag score, 1 when nothing is flagged. */
export function imageLabelQuality(flags: DetectionFlag[]): number {
  return flags.reduce((m, f) => Math.min(m, f.score), 1);
}

/** Words a reviewer can check against the image. */
export function detectionEvidence(flag: DetectionFlag, name: (c: number) => string): string {
  const sure = `model ${flag.predScore.toFixed(2)} sure: ${name(flag.suggested)}`;
  if (flag.kind === 'swap')
    return `${sure}; the box it overlaps (IoU ${flag.iou.toFixed(2)}) is labeled ${name(flag.given ?? -1)}`;
  if (flag.kind === 'bad_location')
    return `${sure}; the nearest ${name(flag.given ?? -1)} box overlaps it at IoU ${flag.iou.toFixed(2)} only`;
  return `${sure}; no labeled box there (best IoU ${flag.iou.toFixed(2)})`;
}
