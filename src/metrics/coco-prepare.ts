import type { CocoParams } from './coco-params.ts';
import type { CocoDims, CocoInput, CocoMatches } from './coco-types.ts';
import type { DetBox, GtBox } from './detection-types.ts';

/** COCOeval's `_prepare` for iouType 'bbox': which images and categories, and the boxes of each pair. */

/** What `_prepare` sets up: the images and categories evaluated, and every box keyed by (category, image). */
export interface Prepared {
  p: CocoParams;
  imgIds: number[];
  catIds: number[];
  dims: CocoDims;
  /** Images evaluated. */
  I: number;
  /** `maxDets[-1]`: detections kept per image and category. */
  maxDet: number;
  gts: readonly GtBox[];
  dets: readonly DetBox[];
  /** `k * I + i` per box, −1 for boxes on an image or category not evaluated. */
  gtKeys: Float64Array;
  detKeys: Float64Array;
  /** Box indices by key, input order within a key. */
  gtOrder: number[];
  detOrder: number[];
  detsPerClass: Int32Array;
  /** Index of IoU 0.5 and of area range 'all' (−1 when absent): the per-class tally is taken there. */
  t50: number;
  aAll: number;
  /** The per-object outcome, filled in when asked for. */
  kept?: CocoMatches;
}

function uniqueSorted(values: readonly number[], what: string): number[] {
  for (let i = 0; i < values.length; i++)
    if (!Number.isFinite(values[i]))
      throw new TypeError(`evaluateCoco ${what}[${i}]: expected a finite number`);
  return [...new Set(values)].sort((a, b) => a - b);
}

/** Item indices grouped by `k * I + i`, ascending, input order within a group; −1 keys dropped. */
function groupOrder(keys: Float64Array): number[] {
  const idx: number[] = [];
  for (let j = 0; j < keys.length; j++) if (keys[j] >= 0) idx.push(j);
  return idx.sort((a, b) => keys[a] - keys[b]);
}

/** COCOeval `_prepare`: images and categories deduplicated and ascending, boxes grouped by them. */
export function prepare(input: CocoInput, p: CocoParams, keepMatches: boolean): Prepared {
  const imgIds = uniqueSorted(input.imageIds, 'imageIds');
  const catIds = uniqueSorted(input.labels, 'labels');
  const T = p.iouThrs.length;
  const K = catIds.length;
  const M = p.maxDets.length;
  const I = imgIds.length;
  const imgIndex = new Map(imgIds.map((id, i) => [id, i]));
  const catIndex = new Map(catIds.map((id, k) => [id, k]));
  const { gts, dets } = input;

  const keyOf = (b: { imageId: number; label: number }): number => {
    const i = imgIndex.get(b.imageId);
    const k = catIndex.get(b.label);
    return i === undefined || k === undefined ? -1 : k * I + i;
  };
  const gtKeys = Float64Array.from(gts, keyOf);
  const detKeys = Float64Array.from(dets, keyOf);
  const detOrder = groupOrder(detKeys);
  const detsPerClass = new Int32Array(K);
  for (const j of detOrder) detsPerClass[Math.floor(detKeys[j] / I)]++;

  const aAll = p.areaRanges.findIndex((r) => r.label === 'all');
  if (keepMatches && (aAll < 0 || T > 16))
    throw new RangeError("evaluateCoco keepMatches: needs an area range 'all' and at most 16 IoU thresholds");
  const allBits = (1 << T) - 1;
  const kept: CocoMatches | undefined = keepMatches
    ? {
        detTp: new Uint16Array(dets.length),
        detIgnored: new Uint16Array(dets.length).fill(allBits),
        detGt: new Int32Array(dets.length * T).fill(-1),
        gtTp: new Uint16Array(gts.length),
        gtIgnored: new Uint8Array(gts.length).fill(1),
        gtDet: new Int32Array(gts.length * T).fill(-1),
      }
    : undefined;
  return {
    p,
    imgIds,
    catIds,
    dims: { T, R: p.recThrs.length, K, A: p.areaRanges.length, M },
    I,
    maxDet: p.maxDets[M - 1],
    gts,
    dets,
    gtKeys,
    detKeys,
    gtOrder: groupOrder(gtKeys),
    detOrder,
    detsPerClass,
    t50: p.iouThrs.indexOf(0.5),
    aAll,
    kept,
  };
}
