import { describe, expect, it } from 'vitest';
import { matchDetectionRows } from '../../src/metrics/detection-rows.ts';
import type { DetBox, GtBox } from '../../src/metrics/detection-types.ts';

const gt = (
  id: number,
  imageId: number,
  label: number,
  x: number,
  y: number,
  w: number,
  h: number,
  iscrowd = false,
): GtBox => ({
  id,
  imageId,
  label,
  x,
  y,
  w,
  h,
  area: w * h,
  iscrowd,
});
const det = (
  id: number,
  imageId: number,
  label: number,
  x: number,
  y: number,
  w: number,
  h: number,
  score: number,
): DetBox => ({
  id,
  imageId,
  label,
  x,
  y,
  w,
  h,
  score,
});

describe('matchDetectionRows (hand-computed)', () => {
  it('matches, misses and spurious detections; row IoU is their mean', () => {
    // Image 1, class 1: g1 (0,0,10,10) and g2 (100,100,10,10).
    //   d1 (0,0,10,10) 0.9 → g1, IoU 1.
    //   d2 (105,100,10,10) 0.8: overlap with g2 5×10 = 50 over 150 → 1/3 < 0.5 → spurious; g2 missed.
    // Class 2: d3 on g1's box is spurious (matching is per class).
    // Row IoU = (1 + 0 + 0 + 0) / 4 entries = 0.25.
    const gts = [gt(1, 1, 1, 0, 0, 10, 10), gt(2, 1, 1, 100, 100, 10, 10)];
    const dets = [
      det(11, 1, 1, 105, 100, 10, 10, 0.8),
      det(10, 1, 1, 0, 0, 10, 10, 0.9),
      det(12, 1, 2, 0, 0, 10, 10, 0.3),
    ];
    const { pairs, images } = matchDetectionRows(gts, dets, { imageIds: [2] });
    expect(pairs).toEqual([
      { imageId: 1, gtId: 1, detId: 10, gtLabel: 1, detLabel: 1, iou: 1, score: 0.9, kind: 'match' },
      { imageId: 1, gtId: null, detId: 11, gtLabel: null, detLabel: 1, iou: 0, score: 0.8, kind: 'spurious' },
      { imageId: 1, gtId: 2, detId: null, gtLabel: 1, detLabel: null, iou: 0, score: null, kind: 'missed' },
      { imageId: 1, gtId: null, detId: 12, gtLabel: null, detLabel: 2, iou: 0, score: 0.3, kind: 'spurious' },
    ]);
    expect(images).toEqual([
      { imageId: 1, iou: 0.25, minConf: 0.3, maxConf: 0.9, numGt: 2, numPred: 3 },
      // Listed through imageIds, with nothing on it: nothing to disagree with.
      { imageId: 2, iou: 1, minConf: null, maxConf: null, numGt: 0, numPred: 0 },
    ]);
  });

  it('the higher score takes the object even with a lower IoU', () => {
    // g (0,0,10,10); a (2,0,10,10) score 0.9: overlap 8×10 = 80 over 120 → 2/3; b exact, score 0.5.
    // a matches (2/3), b is spurious: row IoU = (2/3 + 0) / 2 = 1/3.
    const { pairs, images } = matchDetectionRows(
      [gt(1, 5, 1, 0, 0, 10, 10)],
      [det(2, 5, 1, 0, 0, 10, 10, 0.5), det(3, 5, 1, 2, 0, 10, 10, 0.9)],
    );
    expect(pairs.map((p) => [p.detId, p.kind, p.iou])).toEqual([
      [3, 'match', 80 / 120],
      [2, 'spurious', 0],
    ]);
    expect(images[0].iou).toBe(80 / 120 / 2);
  });

  it('equal scores: the detection given first is matched first', () => {
    const run = (order: DetBox[]) => matchDetectionRows([gt(1, 1, 1, 0, 0, 10, 10)], order).pairs[0].detId;
    const a = det(7, 1, 1, 0, 0, 10, 10, 0.5);
    const b = det(8, 1, 1, 1, 0, 10, 10, 0.5);
    expect(run([a, b])).toBe(7);
    expect(run([b, a])).toBe(8);
  });

  it('a detection inside a crowd region is ignored and does not count in the row IoU', () => {
    // g (0,0,10,10) hit by d1 (2,0,10,10) at 2/3; crowd region (200,200,100,100) with d2 inside
    // (IoU with a crowd region = 100/100 = 1) → ignored. Row IoU = 2/3 over one entry.
    const { pairs, images } = matchDetectionRows(
      [gt(1, 1, 1, 0, 0, 10, 10), gt(2, 1, 1, 200, 200, 100, 100, true)],
      [det(1, 1, 1, 2, 0, 10, 10, 0.6), det(2, 1, 1, 210, 210, 10, 10, 0.7)],
    );
    expect(pairs.map((p) => [p.detId, p.gtId, p.kind, p.iou])).toEqual([
      [2, 2, 'ignored', 1],
      [1, 1, 'match', 80 / 120],
    ]);
    expect(images[0]).toEqual({
      imageId: 1,
      iou: 80 / 120,
      minConf: 0.6,
      maxConf: 0.7,
      numGt: 1,
      numPred: 2,
    });
  });

  it('an image with ground truth and no detections scores 0; the threshold is an option', () => {
    const gts = [gt(1, 3, 1, 0, 0, 10, 10)];
    expect(matchDetectionRows(gts, []).images).toEqual([
      { imageId: 3, iou: 0, minConf: null, maxConf: null, numGt: 1, numPred: 0 },
    ]);
    // IoU 1/3 fails at 0.5, passes at 0.3.
    const dets = [det(1, 3, 1, 5, 0, 10, 10, 0.9)];
    expect(matchDetectionRows(gts, dets).images[0].iou).toBe(0);
    expect(matchDetectionRows(gts, dets, { iouThreshold: 0.3 }).images[0].iou).toBe(50 / 150);
  });

  it('bad input names the argument, the index and the field', () => {
    expect(() => matchDetectionRows([{ ...gt(1, 1, 1, 0, 0, 1, 1), x: Number.NaN }], [])).toThrow(
      'matchDetectionRows gts[0].x: expected a finite number, got NaN',
    );
  });
});
