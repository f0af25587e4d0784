import { describe, expect, it } from 'vitest';
import {
  type DetBox,
  type GtBox,
  detectionEvidence,
  detectionFlags,
  greedyMatch,
  imageLabelQuality,
  iou,
} from '../../src/findings/detection.ts';

const CAT = 0;
const DOG = 1;
const names = ['cat', 'dog'];
const name = (c: number) => names[c];

/** Hand-built images: [gts, dets]. */
const images: Record<string, [GtBox[], DetBox[]]> = {
  // A dog box labeled "cat": the model is 0.95 sure it is a dog, IoU 1.
  swap: [
    [{ id: 1, label: CAT, box: [0, 0, 10, 10] }],
    [{ id: 11, label: DOG, score: 0.95, box: [0, 0, 10, 10] }],
  ],
  // A cat nobody labeled: the model is 0.97 sure, no box anywhere near.
  overlooked: [
    [{ id: 2, label: DOG, box: [0, 0, 10, 10] }],
    [
      { id: 12, label: DOG, score: 0.9, box: [0, 0, 10, 10] },
      { id: 13, label: CAT, score: 0.97, box: [50, 50, 10, 10] },
    ],
  ],
  // The labeled cat box is shifted: IoU = 50/150 = 1/3 with the confident cat prediction.
  badLocation: [
    [{ id: 3, label: CAT, box: [0, 0, 10, 10] }],
    [{ id: 14, label: CAT, score: 0.92, box: [5, 0, 10, 10] }],
  ],
  // No ground truth at all: a confident prediction is an overlooked object, a weak one is ignored.
  noGt: [
    [],
    [
      { id: 15, label: DOG, score: 0.99, box: [0, 0, 5, 5] },
      { id: 16, label: CAT, score: 0.5, box: [10, 10, 5, 5] },
    ],
  ],
  // No predictions: a missing prediction is a model error, never a label flag.
  noPred: [[{ id: 4, label: DOG, box: [0, 0, 10, 10] }], []],
  // Everything right: matched at IoU 1.
  clean: [
    [{ id: 5, label: CAT, box: [0, 0, 10, 10] }],
    [{ id: 17, label: CAT, score: 0.99, box: [0, 0, 10, 10] }],
  ],
  // Not confident enough: an unmatched 0.6 dog over a cat box is a disagreement but no flag.
  unsure: [
    [{ id: 6, label: CAT, box: [0, 0, 10, 10] }],
    [{ id: 19, label: DOG, score: 0.6, box: [0, 0, 10, 10] }],
  ],
};

describe('detection label flags', () => {
  it('computes IoU of [x, y, w, h] boxes', () => {
    expect(iou([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(1 / 3, 12);
    expect(iou([0, 0, 10, 10], [20, 20, 5, 5])).toBe(0);
  });

  // A duplicate of a matched box is a model error (false positive), not a label error.
  const duplicate: [GtBox[], DetBox[]] = [
    [{ id: 5, label: CAT, box: [0, 0, 10, 10] }],
    [
      { id: 17, label: CAT, score: 0.95, box: [0, 0, 10, 9] },
      { id: 18, label: CAT, score: 0.99, box: [0, 0, 10, 10] },
    ],
  ];

  it('matches greedily, most confident first, same class only', () => {
    expect(Array.from(greedyMatch(...duplicate))).toEqual([-1, 0]);
    expect(detectionFlags(...duplicate)).toEqual([]);
    expect(Array.from(greedyMatch(...images.swap))).toEqual([-1]);
  });

  it('swap: a confident prediction of another class on an unmatched box', () => {
    const flags = detectionFlags(...images.swap);
    expect(flags).toEqual([
      {
        kind: 'swap',
        annId: 1,
        predId: 11,
        given: CAT,
        suggested: DOG,
        score: 1 - 0.95,
        iou: 1,
        predScore: 0.95,
      },
    ]);
    expect(detectionEvidence(flags[0], name)).toBe(
      'model 0.95 sure: dog; the box it overlaps (IoU 1.00) is labeled cat',
    );
  });

  it('overlooked: a confident prediction far from every box', () => {
    const flags = detectionFlags(...images.overlooked);
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({
      kind: 'overlooked',
      annId: null,
      predId: 13,
      given: null,
      suggested: CAT,
    });
    expect(flags[0].score).toBeCloseTo(0.03, 12);
  });

  it('bad location: same class, best IoU in [0.1, 0.5); score = IoU', () => {
    const flags = detectionFlags(...images.badLocation);
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({
      kind: 'bad_location',
      annId: 3,
      predId: 14,
      given: CAT,
      suggested: CAT,
    });
    expect(flags[0].score).toBeCloseTo(1 / 3, 12);
    expect(detectionEvidence(flags[0], name)).toBe(
      'model 0.92 sure: cat; the nearest cat box overlaps it at IoU 0.33 only',
    );
  });

  it('image without ground truth: confident predictions are overlooked objects', () => {
    const flags = detectionFlags(...images.noGt);
    expect(flags.map((f) => [f.kind, f.predId])).toEqual([['overlooked', 15]]);
    expect(flags[0].score).toBeCloseTo(0.01, 12);
  });

  it('no flag for an image without predictions, a clean image, or an unsure prediction', () => {
    expect(detectionFlags(...images.noPred)).toEqual([]);
    expect(detectionFlags(...images.clean)).toEqual([]);
    expect(detectionFlags(...images.unsure)).toEqual([]);
    expect(imageLabelQuality([])).toBe(1);
  });

  it('thresholds are options', () => {
    expect(detectionFlags(...images.unsure, { confidenceFloor: 0.5 }).map((f) => f.kind)).toEqual(['swap']);
    expect(detectionFlags(...images.badLocation, { badLocationIou: 0.4 }).map((f) => f.kind)).toEqual([
      'overlooked',
    ]);
  });

  it('sorting the disagreements (IoU < 0.5) by confidence, descending, surfaces exactly the flagged rows', () => {
    // A row's disagreements (IoU < 0.5 after matching): unmatched predictions (at their score) and
    // unmatched boxes (confidence 0, the missing predictions).
    const disagreements = Object.entries(images).flatMap(([row, [gts, dets]]) => {
      const m = greedyMatch(gts, dets);
      const matchedGt = new Set(Array.from(m).filter((g) => g >= 0));
      const out = dets.filter((_, d) => m[d] < 0).map((d) => ({ row, confidence: d.score }));
      for (let g = 0; g < gts.length; g++) if (!matchedGt.has(g)) out.push({ row, confidence: 0 });
      return out;
    });
    disagreements.sort((a, b) => b.confidence - a.confidence);
    const confident = new Set(disagreements.filter((d) => d.confidence >= 0.9).map((d) => d.row));
    const flagged = new Set(
      Object.entries(images).flatMap(([row, [g, d]]) => (detectionFlags(g, d).length ? [row] : [])),
    );
    expect([...confident].sort()).toEqual([...flagged].sort());
    expect([...flagged].sort()).toEqual(['badLocation', 'noGt', 'overlooked', 'swap']);
    const q = Object.fromEntries(
      Object.entries(images).map(([row, [g, d]]) => [row, imageLabelQuality(detectionFlags(g, d))]),
    );
    expect(q.swap).toBeCloseTo(0.05, 12);
    expect(q.noPred).toBe(1);
  });
});
