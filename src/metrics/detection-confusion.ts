/**
 * The detection confusion matrix: which class each object was detected as, with "background"
 * standing for "no object" on either side.
 */
import { iouMatrix } from './box.ts';
import { greedyMatch } from './detection-match.ts';
import { byScoreDesc, checkDetBoxes, checkGtBoxes, type DetBox, type GtBox } from './detection-types.ts';

export interface DetectionConfusion {
  /** Class ids for indices 0..K−1; index K is background. */
  labels: number[];
  /** (K+1)×(K+1) counts: `matrix[gtIndex][detIndex]`, rows = ground truth, columns = prediction. */
  matrix: number[][];
}

/**
 * Count, per image, how ground-truth objects were detected:
 * 1. detections scoring below `scoreThreshold` are dropped;
 * 2. the rest are matched class-agnostically with COCO's greedy rule: by score, highest first
 *    (ties in input order), each takes the not-yet-matched ground truth of any class with the
 *    highest IoU ≥ `iouThreshold`, non-crowd before crowd;
 * 3. a match adds 1 to (gt class, det class) — the diagonal when the classes agree, a confusion
 *    otherwise; an unmatched non-crowd ground truth adds 1 to (gt class, background) ("missed");
 *    an unmatched detection adds 1 to (background, det class) ("spurious"); a detection matched
 *    to a crowd region is not counted, and crowd regions themselves are never missed.
 * (background, background) stays 0. A label not in `labels` is an error.
 *
 * @example
 * const { matrix } = detectionConfusion(gts, dets, [1, 2], { iouThreshold: 0.5, scoreThreshold: 0.3 });
 * // matrix[0][1]: class-1 objects detected as class 2; matrix[0][2]: class-1 objects missed
 */
export function detectionConfusion(
  gts: readonly GtBox[],
  dets: readonly DetBox[],
  labels: readonly number[],
  { iouThreshold = 0.5, scoreThreshold = 0 }: { iouThreshold?: number; scoreThreshold?: number } = {},
): DetectionConfusion {
  checkGtBoxes(gts, 'detectionConfusion gts');
  checkDetBoxes(dets, 'detectionConfusion dets');
  const index = new Map<number, number>();
  labels.forEach((l, i) => {
    if (index.has(l)) throw new RangeError(`detectionConfusion labels[${i}] = ${l}: duplicate label`);
    index.set(l, i);
  });
  const K = labels.length;
  const at = (label: number, what: string, i: number): number => {
    const k = index.get(label);
    if (k === undefined)
      throw new RangeError(`detectionConfusion ${what}[${i}].label = ${label}: not in labels`);
    return k;
  };
  const gtClass = gts.map((g, i) => at(g.label, 'gts', i));
  const detClass = dets.map((d, i) => at(d.label, 'dets', i));
  const matrix = Array.from({ length: K + 1 }, () => new Array<number>(K + 1).fill(0));

  const byImage = new Map<number, { g: number[]; d: number[] }>();
  const slot = (imageId: number) => {
    const s = byImage.get(imageId) ?? { g: [], d: [] };
    byImage.set(imageId, s);
    return s;
  };
  for (let i = 0; i < gts.length; i++) slot(gts[i].imageId).g.push(i);
  for (let i = 0; i < dets.length; i++) if (dets[i].score >= scoreThreshold) slot(dets[i].imageId).d.push(i);

  for (const { g, d } of byImage.values()) {
    const gIdx = [...g].sort((a, b) => Number(gts[a].iscrowd) - Number(gts[b].iscrowd));
    const dIdx = byScoreDesc(d.map((i) => dets[i])).map((j) => d[j]);
    const G = gIdx.length;
    const D = dIdx.length;
    const crowd = Uint8Array.from(gIdx, (i) => (gts[i].iscrowd ? 1 : 0));
    const iou = iouMatrix(
      dIdx.map((i) => dets[i]),
      gIdx.map((i) => gts[i]),
      crowd,
    );
    const detMatch = new Int32Array(D);
    const taken = new Uint8Array(G);
    greedyMatch(iou, D, G, crowd, crowd, iouThreshold, detMatch, taken);
    for (let j = 0; j < D; j++) {
      const m = detMatch[j];
      if (m === -1) matrix[K][detClass[dIdx[j]]]++;
      else if (crowd[m] === 0) matrix[gtClass[gIdx[m]]][detClass[dIdx[j]]]++;
    }
    for (let m = 0; m < G; m++) if (taken[m] === 0 && crowd[m] === 0) matrix[gtClass[gIdx[m]]][K]++;
  }
  return { labels: [...labels], matrix };
}
