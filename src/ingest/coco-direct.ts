import type { DetectionInputs } from '../store/analysis.ts';
import { CopyWriter } from '../store/pgcopy.ts';
import type { CocoGroundTruth, CocoPrediction } from './coco-file.ts';

// A COCO import into a new dataset writes the real tables straight from the parsed files: row,
// annotation and prediction ids are reserved blocks, so row = rowBase + image position,
// annotation = annBase + position in the file, prediction = predBase + position in the file,
// and nothing joins back on the external id. Field order must match DIRECT_TARGET in
// src/store/ingest.ts.

/** Where a new dataset's COCO import puts its rows, boxes and detections. */
export interface CocoIdBlocks {
  datasetId: number;
  runId: number;
  rowBase: number;
  annBase: number;
  predBase: number;
}

const CHUNK = 20000;

/** Image position of each COCO image id (as text), for the boxes that name it. */
export function imagePositions(gt: CocoGroundTruth): Map<string, number> {
  return new Map(gt.images.map((img, i) => [img.externalId, i]));
}

/** `data_rows` tuples (id, dataset_id, external_id, labeled, image_url, width, height, metadata). */
export function* encodeImageRows(gt: CocoGroundTruth, ids: CocoIdBlocks): Generator<Buffer[]> {
  const w = new CopyWriter();
  gt.images.forEach((img, i) => {
    w.row(8);
    w.int8(ids.rowBase + i);
    w.int4(ids.datasetId);
    w.text(img.externalId);
    w.bool(true);
    w.textOrNull(img.imageUrl);
    w.int4OrNull(img.width);
    w.int4OrNull(img.height);
    w.jsonbOrNull(img.fileName === null ? null : { file_name: img.fileName });
  });
  yield w.take();
}

/** `annotations` tuples (id, row_id, ann_key, label, x, y, w, h, area, iscrowd). */
export function* encodeBoxes(
  gt: CocoGroundTruth,
  ids: CocoIdBlocks,
  position: Map<string, number>,
): Generator<Buffer[]> {
  const w = new CopyWriter();
  for (let i = 0; i < gt.annotations.length; i++) {
    const a = gt.annotations[i];
    w.row(10);
    w.int8(ids.annBase + i);
    w.int8(ids.rowBase + position.get(a.externalId)!);
    w.text(a.annKey);
    w.int4(a.label);
    w.float8(a.x);
    w.float8(a.y);
    w.float8(a.w);
    w.float8(a.h);
    w.float8(a.area);
    w.bool(a.iscrowd);
    if ((i + 1) % CHUNK === 0) yield w.take();
  }
  yield w.take();
}

/** `predictions` tuples (id, run_id, row_id, pred_key, label, score, x, y, w, h). */
export function* encodeBoxPredictions(
  preds: CocoPrediction[],
  ids: CocoIdBlocks,
  position: Map<string, number>,
): Generator<Buffer[]> {
  const w = new CopyWriter();
  for (let i = 0; i < preds.length; i++) {
    const p = preds[i];
    w.row(10);
    w.int8(ids.predBase + i);
    w.int4(ids.runId);
    w.int8(ids.rowBase + position.get(p.externalId)!);
    w.int4(p.predKey);
    w.int4(p.label);
    w.float8(p.score);
    w.float8(p.x);
    w.float8(p.y);
    w.float8(p.w);
    w.float8(p.h);
    if ((i + 1) % CHUNK === 0) yield w.take();
  }
  yield w.take();
}

/**
 * The analysis inputs of a new dataset's COCO import, from the parsed files: what
 * loadDetectionInputs would read back from the tables just written, in the order it reads them
 * (boxes by row then id; detections by their ordinal within the image, then id).
 *
 * @example
 * const inputs = cocoDetectionInputs(gt, preds, ids, imagePositions(gt));
 */
export function cocoDetectionInputs(
  gt: CocoGroundTruth,
  preds: CocoPrediction[],
  ids: CocoIdBlocks,
  position: Map<string, number>,
): DetectionInputs {
  const labeledRows = gt.images.map((_, i) => ids.rowBase + i);
  const externalIds = new Map(gt.images.map((img, i) => [ids.rowBase + i, img.externalId]));
  const annImage = gt.annotations.map((a) => position.get(a.externalId)!);
  const gts = stableOrder(annImage, gt.images.length).map((i) => {
    const a = gt.annotations[i];
    return {
      id: ids.annBase + i,
      imageId: ids.rowBase + annImage[i],
      label: a.label,
      x: a.x,
      y: a.y,
      w: a.w,
      h: a.h,
      area: a.area,
      iscrowd: a.iscrowd,
    };
  });
  let keys = 0;
  for (const p of preds) keys = Math.max(keys, p.predKey + 1);
  const dets = stableOrder(
    preds.map((p) => p.predKey),
    keys,
  ).map((i) => {
    const p = preds[i];
    return {
      id: ids.predBase + i,
      imageId: ids.rowBase + position.get(p.externalId)!,
      label: p.label,
      score: p.score,
      x: p.x,
      y: p.y,
      w: p.w,
      h: p.h,
    };
  });
  return { labeledRows, poolRows: [], gts, dets, poolDets: [], externalIds };
}

/**
 * Positions 0…n-1 ordered by `key` (integers in [0, keys)), ties in position order: a counting
 * sort, linear where a comparison sort of 100k boxes took a noticeable part of a second.
 */
function stableOrder(key: readonly number[], keys: number): number[] {
  const start = new Array<number>(keys + 1).fill(0);
  for (const k of key) start[k + 1]++;
  for (let k = 0; k < keys; k++) start[k + 1] += start[k];
  const out = new Array<number>(key.length);
  for (let i = 0; i < key.length; i++) out[start[key[i]]++] = i;
  return out;
}
