/**
 * Per-image detection agreement for the "where does the model fail?" rows: which predicted box
 * went with which ground truth, and how well each image's boxes agree overall.
 */
import { iouMatrix } from './box.ts';
import { greedyMatch } from './detection-match.ts';
import { byScoreDesc, checkDetBoxes, checkGtBoxes, type DetBox, type GtBox } from './detection-types.ts';

/**
 * One entry of the matching. `kind`:
 * - 'match': a detection matched to a ground truth of its class (`iou` ≥ threshold);
 * - 'missed': a non-crowd ground truth no detection matched (`detId` null, `iou` 0);
 * - 'spurious': a detection that matched nothing (`gtId` null, `iou` 0);
 * - 'ignored': a detection that matched only a crowd region (`gtId` is the region, `iou` is
 *   intersection over the detection's area); it is neither right nor wrong.
 */
export interface DetectionPair {
  imageId: number;
  gtId: number | null;
  detId: number | null;
  gtLabel: number | null;
  detLabel: number | null;
  iou: number;
  score: number | null;
  kind: 'match' | 'missed' | 'spurious' | 'ignored';
}

/**
 * One image. `iou` is the mean over its matches, misses and spurious detections of the match IoU
 * (0 for a miss or a spurious detection): 1 when everything matched perfectly, 0 when nothing
 * did. An image with nothing to compare (no ground truth and no detection, or only crowd regions
 * and the detections inside them) has `iou` 1: there is no disagreement to show.
 * `numGt` counts non-crowd ground truths, `numPred` all detections; `minConf`/`maxConf` are the
 * lowest and highest detection scores (null without detections).
 */
export interface DetectionImageRow {
  imageId: number;
  iou: number;
  minConf: number | null;
  maxConf: number | null;
  numGt: number;
  numPred: number;
}

export interface DetectionRows {
  /** Ordered by image id, then label, then detections by score (highest first), then misses in input order. */
  pairs: DetectionPair[];
  /** Ordered by image id. */
  images: DetectionImageRow[];
}

function groupBy<T>(items: readonly T[], key: (item: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/**
 * Match detections to ground truth per image and class with COCO's greedy rule (detections by
 * score, highest first, ties in input order; each takes the unmatched ground truth of its class
 * with the highest IoU ≥ `iouThreshold`, non-crowd before crowd). All detections take part (no
 * per-image cap). `imageIds` adds images that have neither boxes nor predictions.
 *
 * @example
 * const { pairs, images } = matchDetectionRows(gts, dets, { iouThreshold: 0.5 });
 * // images[0] → { imageId, iou: 0.83, minConf: 0.4, maxConf: 0.97, numGt: 3, numPred: 4 }
 */
export function matchDetectionRows(
  gts: readonly GtBox[],
  dets: readonly DetBox[],
  { iouThreshold = 0.5, imageIds = [] }: { iouThreshold?: number; imageIds?: readonly number[] } = {},
): DetectionRows {
  if (!Number.isFinite(iouThreshold))
    throw new RangeError(`matchDetectionRows iouThreshold: expected a finite number, got ${iouThreshold}`);
  checkGtBoxes(gts, 'matchDetectionRows gts');
  checkDetBoxes(dets, 'matchDetectionRows dets');
  const gtsByImage = groupBy(gts, (g) => g.imageId);
  const detsByImage = groupBy(dets, (d) => d.imageId);
  const allImages = [...new Set([...imageIds, ...gtsByImage.keys(), ...detsByImage.keys()])].sort(
    (a, b) => a - b,
  );

  const pairs: DetectionPair[] = [];
  const images: DetectionImageRow[] = [];
  for (const imageId of allImages) {
    const imageGts = gtsByImage.get(imageId) ?? [];
    const imageDets = detsByImage.get(imageId) ?? [];
    const gtsByLabel = groupBy(imageGts, (g) => g.label);
    const detsByLabel = groupBy(imageDets, (d) => d.label);
    const labels = [...new Set([...gtsByLabel.keys(), ...detsByLabel.keys()])].sort((a, b) => a - b);
    let iouSum = 0;
    let entries = 0;
    for (const label of labels) {
      // Crowd regions last, so a detection prefers a real object over a region.
      const classGts = [...(gtsByLabel.get(label) ?? [])].sort(
        (a, b) => Number(a.iscrowd) - Number(b.iscrowd),
      );
      const unsorted = detsByLabel.get(label) ?? [];
      const classDets = byScoreDesc(unsorted).map((i) => unsorted[i]);
      const D = classDets.length;
      const G = classGts.length;
      const crowd = Uint8Array.from(classGts, (g) => (g.iscrowd ? 1 : 0));
      const iou = iouMatrix(classDets, classGts, crowd);
      const detMatch = new Int32Array(D);
      const taken = new Uint8Array(G);
      greedyMatch(iou, D, G, crowd, crowd, iouThreshold, detMatch, taken);
      for (let d = 0; d < D; d++) {
        const det = classDets[d];
        const m = detMatch[d];
        const gt = m > -1 ? classGts[m] : null;
        const kind = gt === null ? 'spurious' : gt.iscrowd ? 'ignored' : 'match';
        const v = gt === null ? 0 : iou[d * G + m];
        pairs.push({
          imageId,
          gtId: gt?.id ?? null,
          detId: det.id,
          gtLabel: gt?.label ?? null,
          detLabel: det.label,
          iou: v,
          score: det.score,
          kind,
        });
        if (kind !== 'ignored') {
          iouSum += v;
          entries++;
        }
      }
      for (let g = 0; g < G; g++) {
        if (taken[g] === 1 || crowd[g] === 1) continue;
        const gt = classGts[g];
        pairs.push({
          imageId,
          gtId: gt.id,
          detId: null,
          gtLabel: gt.label,
          detLabel: null,
          iou: 0,
          score: null,
          kind: 'missed',
        });
        entries++;
      }
    }
    let minConf: number | null = null;
    let maxConf: number | null = null;
    for (const d of imageDets) {
      if (minConf === null || d.score < minConf) minConf = d.score;
      if (maxConf === null || d.score > maxConf) maxConf = d.score;
    }
    images.push({
      imageId,
      iou: entries === 0 ? 1 : iouSum / entries,
      minConf,
      maxConf,
      numGt: imageGts.filter((g) => !g.iscrowd).length,
      numPred: imageDets.length,
    });
  }
  return { pairs, images };
}
