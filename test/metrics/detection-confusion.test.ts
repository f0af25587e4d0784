import { describe, expect, it } from 'vitest';
import { detectionConfusion } from '../../src/metrics/detection-confusion.ts';
import type { DetBox, GtBox } from '../../src/metrics/detection-types.ts';

let id = 1;
const gt = (imageId: number, label: number, x: number, y: number, iscrowd = false, size = 10): GtBox => ({
  id: id++,
  imageId,
  label,
  x,
  y,
  w: size,
  h: size,
  area: size * size,
  iscrowd,
});
const det = (imageId: number, label: number, x: number, y: number, score: number): DetBox => ({
  id: id++,
  imageId,
  label,
  x,
  y,
  w: 10,
  h: 10,
  score,
});

describe('detectionConfusion (hand-computed)', () => {
  it('counts correct, confused, missed and spurious detections', () => {
    // labels [1, 2] → indices 0, 1; background = 2.
    // Image 1: A (class 1) detected as class 2 → [0][1]; B (class 2) detected as 2 → [1][1];
    //          C (class 1) missed → [0][2]; a class-1 detection on empty space → [2][0].
    // Image 2: D (class 2) detected as 1 → [1][0]; a detection below the score threshold is dropped
    //          (were it kept it would be spurious).
    const gts = [gt(1, 1, 0, 0), gt(1, 2, 100, 0), gt(1, 1, 200, 0), gt(2, 2, 0, 0)];
    const dets = [
      det(1, 2, 0, 0, 0.9),
      det(1, 2, 100, 0, 0.8),
      det(1, 1, 400, 400, 0.7),
      det(2, 1, 0, 0, 0.6),
      det(2, 1, 300, 300, 0.1),
    ];
    const { labels, matrix } = detectionConfusion(gts, dets, [1, 2], { scoreThreshold: 0.2 });
    expect(labels).toEqual([1, 2]);
    expect(matrix).toEqual([
      [0, 1, 1],
      [1, 1, 0],
      [1, 0, 0],
    ]);
    // Without the score threshold the 0.1 detection is one more spurious class-1 box.
    expect(detectionConfusion(gts, dets, [1, 2]).matrix[2]).toEqual([2, 0, 0]);
  });

  it('matching ignores class: the higher-scoring detection takes the object', () => {
    // Object of class 1 at (0,0). A class-2 detection (2,0) scores 0.8 (IoU 2/3); a class-1
    // detection exactly on it scores 0.4. The class-2 one takes it → [0][1]; the other is spurious → [2][0].
    const { matrix } = detectionConfusion(
      [gt(1, 1, 0, 0)],
      [det(1, 1, 0, 0, 0.4), det(1, 2, 2, 0, 0.8)],
      [1, 2],
    );
    expect(matrix).toEqual([
      [0, 1, 0],
      [0, 0, 0],
      [1, 0, 0],
    ]);
  });

  it('crowd regions are neither missed nor produce spurious detections', () => {
    // A crowd region of class 1 (100×100) with a class-2 detection inside: nothing counted.
    const { matrix } = detectionConfusion([gt(1, 1, 0, 0, true, 100)], [det(1, 2, 10, 10, 0.9)], [1, 2]);
    expect(matrix.flat().reduce((s, x) => s + x, 0)).toBe(0);
  });

  it('the IoU threshold is an option', () => {
    // IoU of (5,0) with (0,0), both 10×10: 50 / 150 = 1/3.
    const gts = [gt(1, 1, 0, 0)];
    const dets = [det(1, 1, 5, 0, 0.9)];
    expect(detectionConfusion(gts, dets, [1]).matrix).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(detectionConfusion(gts, dets, [1], { iouThreshold: 0.3 }).matrix).toEqual([
      [1, 0],
      [0, 0],
    ]);
  });

  it('a label outside `labels` is an error naming the box', () => {
    expect(() => detectionConfusion([gt(1, 3, 0, 0)], [], [1, 2])).toThrow(
      'detectionConfusion gts[0].label = 3: not in labels',
    );
  });
});
