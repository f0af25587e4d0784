import { PYCOCOTOOLS_SAMPLE_STATS } from './coco-sample-reference.ts';
import { describe, expect, it } from 'vitest';
import { boxIou } from '../../src/metrics/box.ts';
import { evaluateCoco } from '../../src/metrics/coco-eval.ts';
import { linspace, meanOfValid, pairwiseSum } from '../../src/metrics/coco-params.ts';
import type { DetBox, GtBox } from '../../src/metrics/detection-types.ts';
import { syntheticDetections } from '../../src/metrics/detection-synthetic.ts';
import { referenceCocoEval } from './coco-reference.ts';
import { loadSample } from './coco-sample-data.ts';

let nextId = 1;
const gt = (
  imageId: number,
  label: number,
  x: number,
  y: number,
  w: number,
  h: number,
  extra: Partial<GtBox> = {},
) => ({ id: nextId++, imageId, label, x, y, w, h, area: w * h, iscrowd: false, ...extra }) as GtBox;
const det = (
  imageId: number,
  label: number,
  x: number,
  y: number,
  w: number,
  h: number,
  score: number,
): DetBox => ({
  id: nextId++,
  imageId,
  label,
  x,
  y,
  w,
  h,
  score,
});

// pycocotools divides by (tp + fp + np.spacing(1)), so one true positive has precision 1/(1+2⁻⁵²),
// the double just below 1 — not 1.
const ONE = 1 / (1 + Number.EPSILON);

describe('numpy arithmetic the evaluation depends on', () => {
  it('linspace matches numpy.linspace bit for bit', () => {
    // np.linspace(.5, .95, 10).tolist() with numpy 2.4.6
    expect(linspace(0.5, 0.95, 10)).toEqual([
      0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95,
    ]);
    const rec = linspace(0, 1, 101);
    expect(rec.length).toBe(101);
    expect(rec[7]).toBe(0.07); // 7 * 0.01
    expect(rec[100]).toBe(1);
    expect(linspace(3, 3, 1)).toEqual([3]);
  });

  it("pairwiseSum is numpy's pairwise summation, not a plain loop", () => {
    // np.sum(1.0 / np.arange(1, n + 1)) with numpy 2.4.6; a left-to-right loop gives the third value.
    const harmonic = (n: number) => Array.from({ length: n }, (_, i) => 1 / (i + 1));
    const plain = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    for (const [n, numpy, loop] of [
      [7, 2.5928571428571425, 2.5928571428571425],
      [100, 5.187377517639621, 5.187377517639621],
      [1000, 7.485470860550345, 7.485470860550343],
      [80800, 11.876954097516766, 11.876954097516805],
    ]) {
      const xs = harmonic(n);
      expect(pairwiseSum(xs, 0, n)).toBe(numpy);
      expect(plain(xs)).toBe(loop);
    }
    // np.mean(1.0 / np.arange(1, 80801)) = 0.00014699200615738572
    expect(meanOfValid(harmonic(80800))).toBe(0.00014699200615738572);
    expect(meanOfValid([-1, -1])).toBe(-1);
  });

  it('boxIou follows maskApi.c bbIou, crowd regions use the detection area', () => {
    const d = { x: 0, y: 0, w: 2, h: 2 };
    expect(boxIou(d, { x: 1, y: 0, w: 2, h: 2 })).toBe(2 / 6); // 1×2 over 4+4−2
    expect(boxIou(d, { x: 2, y: 0, w: 2, h: 2 })).toBe(0); // touching edges
    expect(boxIou({ x: 190, y: 190, w: 20, h: 20 }, { x: 200, y: 200, w: 100, h: 100 }, true)).toBe(0.25); // 100/400
    expect(boxIou({ x: 210, y: 210, w: 10, h: 10 }, { x: 200, y: 200, w: 100, h: 100 }, true)).toBe(1);
  });
});

describe('evaluateCoco on the published COCO sample', () => {
  const sample = loadSample();
  const e = evaluateCoco(sample);

  it('reproduces pycocotools on val2014-100 + fakebbox100 results', () => {
    const published = PYCOCOTOOLS_SAMPLE_STATS;
    for (const [key, value] of Object.entries(published))
      expect(Math.abs(e.summary[key as keyof typeof published] - value), key).toBeLessThan(1e-6);
  });

  it('agrees bit for bit with the literal transcription of cocoeval.py', () => {
    const ref = referenceCocoEval(sample.imageIds, sample.labels, sample.gts, sample.dets);
    expect(Object.values(e.summary)).toEqual(ref.stats);
    const { T, R, K, A, M } = e.dims;
    expect([T, R, K, A, M]).toEqual([10, 101, 80, 4, 3]);
    for (let k = 0; k < K; k++) {
      const c = e.perClass[k];
      expect(c.recall ?? -1).toBe(ref.recall[0][k][0][2]);
      if (c.ap !== null) {
        const row = ref.precision.flatMap((byR) => byR.map((byK) => byK[k][0][2]));
        expect(c.ap).toBe(pairwiseSum(row, 0, row.length) / row.length); // np.mean(precision[:, :, k, 0, 2])
      }
    }
  });

  it('per class: 70 of 80 categories have ground truth; support adds up to the 830 boxes', () => {
    expect(e.perClass.filter((c) => c.ap !== null)).toHaveLength(70);
    expect(e.perClass.reduce((s, c) => s + c.support, 0)).toBe(830);
    for (const c of e.perClass) {
      if (c.support === 0) expect([c.ap, c.ap50, c.recall]).toEqual([null, null, null]);
      if (c.tp + c.fp > 0) expect(c.precision).toBe(c.tp / (c.tp + c.fp));
    }
    // The mean of per-class ap over classes with ground truth is AP (up to summation order).
    const aps = e.perClass.flatMap((c) => (c.ap === null ? [] : [c.ap]));
    expect(aps.reduce((s, x) => s + x, 0) / aps.length).toBeCloseTo(e.summary.AP, 14);
  });
});

describe('evaluateCoco agrees with the cocoeval.py transcription on random data', () => {
  const cases = [
    { seed: 1, images: 20 },
    { seed: 2, images: 20, crowdRate: 0.3 },
    { seed: 3, images: 15, numLabels: 1, detsPerImage: 80 }, // >100 detections per image and class
    { seed: 4, images: 20, numLabels: 3, gtsPerImage: 2, emptyImageRate: 0.5 },
    { seed: 5, images: 20, numLabels: 20 }, // categories without any ground truth
  ];
  for (const c of cases) {
    it(`seed ${c.seed}`, () => {
      const data = syntheticDetections(c);
      const e = evaluateCoco(data);
      const ref = referenceCocoEval(data.imageIds, data.labels, data.gts, data.dets);
      expect(Object.values(e.summary)).toEqual(ref.stats);
      expect(Array.from(e.recall)).toEqual(ref.recall.flat(3));
      expect(Array.from(e.precision)).toEqual(ref.precision.flat(4));
    });
  }

  it('the random data really has score ties, crowd regions and images over 100 detections', () => {
    const data = syntheticDetections({ seed: 3, images: 15, numLabels: 1, detsPerImage: 80 });
    const perImage = new Map<number, number>();
    for (const d of data.dets) perImage.set(d.imageId, (perImage.get(d.imageId) ?? 0) + 1);
    expect(Math.max(...perImage.values())).toBeGreaterThan(100);
    expect(new Set(data.dets.map((d) => d.score)).size).toBeLessThan(data.dets.length);
    expect(syntheticDetections({ seed: 2, images: 20, crowdRate: 0.3 }).gts.some((g) => g.iscrowd)).toBe(
      true,
    );
  });
});

describe('evaluateCoco, hand-computed cases', () => {
  it('a perfect detection: every threshold and recall point has precision 1/(1+eps)', () => {
    const e = evaluateCoco({
      imageIds: [1],
      labels: [1],
      gts: [gt(1, 1, 0, 0, 10, 10)],
      dets: [det(1, 1, 0, 0, 10, 10, 0.9)],
    });
    // 1010 equal values of ONE, averaged.
    expect(e.summary.AP).toBeCloseTo(ONE, 15);
    expect(e.summary.AP50).toBeCloseTo(ONE, 15);
    expect(e.summary.APsmall).toBeCloseTo(ONE, 15); // area 100 ≤ 32²
    expect([e.summary.APmedium, e.summary.APlarge, e.summary.ARmedium, e.summary.ARlarge]).toEqual([
      -1, -1, -1, -1,
    ]);
    expect([e.summary.AR1, e.summary.AR10, e.summary.AR100, e.summary.ARsmall]).toEqual([1, 1, 1, 1]);
    expect(e.perClass[0]).toMatchObject({ label: 1, precision: 1, recall: 1, support: 1, tp: 1, fp: 0 });
  });

  it('IoU thresholds are numpy.linspace values: an IoU of exactly 0.85 passes the 8th threshold', () => {
    // A 17×1 box inside a 20×1 box: IoU = 17/20, the double 0.85. linspace's 8th threshold is 0.85
    // (0.5 + 7·step), while 0.5 + 0.05·7 would be 0.8500000000000001 and reject it.
    // Matched at 0.50 … 0.85 (8 thresholds, precision ONE everywhere), unmatched at 0.90 and 0.95
    // (precision 0) → AP = 8/10 · ONE; with 0.5 + 0.05·i thresholds it would be 7/10.
    const data = {
      imageIds: [1],
      labels: [1],
      gts: [gt(1, 1, 0, 0, 20, 1)],
      dets: [det(1, 1, 0, 0, 17, 1, 0.9)],
    };
    expect(17 / 20).toBe(0.85);
    expect(evaluateCoco(data).summary.AP).toBeCloseTo(0.8 * ONE, 15);
    const naive = Array.from({ length: 10 }, (_, i) => 0.5 + 0.05 * i);
    expect(evaluateCoco(data, { iouThrs: naive }).summary.AP).toBeCloseTo(0.7 * ONE, 15);
  });

  it('a detection on a crowd region is ignored, not a false positive', () => {
    // Scores: crowd hit 0.95 (IoU with crowd = 100/100 = 1 → ignored), true positive 0.9,
    // background 0.7 (FP). Non-ignored sequence TP, FP: rc = [1, 1], pr = [ONE, 1/2];
    // every recall point lands on index 0 → AP = ONE. Were the crowd hit a FP, pr would start at
    // 0 then 1/2 and AP would be 1/2.
    const gts = [gt(1, 1, 0, 0, 10, 10), gt(1, 1, 200, 200, 100, 100, { iscrowd: true })];
    const dets = [
      det(1, 1, 210, 210, 10, 10, 0.95),
      det(1, 1, 0, 0, 10, 10, 0.9),
      det(1, 1, 400, 0, 10, 10, 0.7),
    ];
    const e = evaluateCoco({ imageIds: [1], labels: [1], gts, dets });
    expect(e.summary.AP).toBeCloseTo(ONE, 15);
    expect(e.summary.AR100).toBe(1);
    expect(e.perClass[0]).toMatchObject({ tp: 1, fp: 1, precision: 0.5, recall: 1, support: 1 });
  });

  it('equal scores keep input order within an image', () => {
    // Two detections with score 0.5 on one gt: a miss (far away) and a hit.
    // miss first: rc = [0, 1], pr = [0, 1/(2+eps) = 0.5] → envelope [0.5, 0.5] → AP = 0.5.
    // hit first:  rc = [1, 1], pr = [ONE, 0.5] → AP = ONE.
    const g = gt(1, 1, 0, 0, 10, 10);
    const miss = det(1, 1, 100, 100, 10, 10, 0.5);
    const hit = det(1, 1, 0, 0, 10, 10, 0.5);
    expect(evaluateCoco({ imageIds: [1], labels: [1], gts: [g], dets: [miss, hit] }).summary.AP).toBe(0.5);
    expect(evaluateCoco({ imageIds: [1], labels: [1], gts: [g], dets: [hit, miss] }).summary.AP).toBeCloseTo(
      ONE,
      15,
    );
  });

  it('equal scores across images follow ascending image id', () => {
    // One gt per image; image 1 has a hit, image 2 a miss, both score 0.5.
    // Order [hit, miss]: rc = [0.5, 0.5], pr = [ONE, 0.5]; recall points 0 … 0.50 (51 of 101) read
    // ONE, the rest are past the end → 0. AP = 51/101 · ONE.
    // Image ids swapped ([miss, hit]): rc = [0, 0.5], pr = [0, 0.5] → envelope 0.5 → AP = 51/101 · 0.5.
    const run = (hitImage: number, missImage: number) =>
      evaluateCoco({
        imageIds: [1, 2],
        labels: [1],
        gts: [gt(1, 1, 0, 0, 10, 10), gt(2, 1, 0, 0, 10, 10)],
        dets: [det(hitImage, 1, 0, 0, 10, 10, 0.5), det(missImage, 1, 100, 100, 10, 10, 0.5)],
      }).summary;
    expect(run(1, 2).AP).toBeCloseTo((51 / 101) * ONE, 15);
    expect(run(2, 1).AP).toBeCloseTo((51 / 101) * 0.5, 15);
    expect(run(1, 2).AR100).toBe(0.5);
  });

  it('detections on an image without ground truth are all false positives', () => {
    // Image 2 has no gt and a detection scoring 0.9; image 1 a hit at 0.6.
    // Order [FP, TP]: rc = [0, 1], pr = [0, 0.5] → AP = 0.5; AR = 1.
    const e = evaluateCoco({
      imageIds: [1, 2],
      labels: [1],
      gts: [gt(1, 1, 0, 0, 10, 10)],
      dets: [det(2, 1, 0, 0, 10, 10, 0.9), det(1, 1, 0, 0, 10, 10, 0.6)],
    });
    expect(e.summary.AP).toBe(0.5);
    expect(e.summary.AR100).toBe(1);
    expect(e.perClass[0]).toMatchObject({ tp: 1, fp: 1, precision: 0.5, recall: 1 });
  });

  it('only the top maxDets detections per image count', () => {
    // FP at 0.9 then TP at 0.8: with 1 detection per image only the FP counts → AR1 = 0; AR10 = 1.
    const two = evaluateCoco({
      imageIds: [1],
      labels: [1],
      gts: [gt(1, 1, 0, 0, 10, 10)],
      dets: [det(1, 1, 50, 50, 10, 10, 0.9), det(1, 1, 0, 0, 10, 10, 0.8)],
    });
    expect([two.summary.AR1, two.summary.AR10, two.summary.AR100]).toEqual([0, 1, 1]);
    expect(two.summary.AP).toBe(0.5);
    // 100 false positives scoring above the only hit: the hit is the 101st and is dropped.
    const fps = Array.from({ length: 100 }, (_, i) => det(1, 1, 50 + i * 20, 50, 10, 10, 0.99 - i * 0.001));
    const many = evaluateCoco({
      imageIds: [1],
      labels: [1],
      gts: [gt(1, 1, 0, 0, 10, 10)],
      dets: [...fps, det(1, 1, 0, 0, 10, 10, 0.5)],
    });
    expect([many.summary.AP, many.summary.AR100]).toEqual([0, 0]);
    expect(many.perClass[0]).toMatchObject({ tp: 0, fp: 100, precision: 0, recall: 0 });
  });

  it('a category without ground truth is −1 and left out of the means', () => {
    // Class 1: one hit (AP = ONE). Class 2: only a detection → precision −1, excluded: AP = ONE.
    const e = evaluateCoco({
      imageIds: [1],
      labels: [1, 2],
      gts: [gt(1, 1, 0, 0, 10, 10)],
      dets: [det(1, 1, 0, 0, 10, 10, 0.9), det(1, 2, 0, 0, 10, 10, 0.8)],
    });
    expect(e.summary.AP).toBeCloseTo(ONE, 15);
    expect(e.summary.AR100).toBe(1);
    expect(e.perClass[1]).toMatchObject({
      label: 2,
      ap: null,
      ap50: null,
      recall: null,
      precision: 0,
      support: 0,
      fp: 1,
    });
    // precision[t=0, r=0, k=1, a=0, m=0] sits at ((0·R + 0)·K + 1)·A·M = 12.
    expect(e.precision[12]).toBe(-1);
    expect(e.precision[0]).toBeCloseTo(ONE, 15);
  });

  it('area ranges use the annotation area; detections on out-of-range objects are ignored', () => {
    // Class 1 on one image: small gt (16×16 = 256), medium gt (50×50 = 2500), large gt
    // (200×200 = 40000); hits on the small (0.9) and the large (0.8) one.
    // all:    npig 3, rc = [1/3, 2/3], pr = [ONE, ONE]; recall points 0 … 0.66 (67) → AP = 67/101·ONE; AR = 2/3.
    // small:  large gt ignored, its hit is matched to an ignored gt → ignored; rc = [1] → AP = ONE, AR = 1.
    // medium: the small hit is unmatched and outside [32², 96²] → ignored; large hit ignored;
    //         no detection counts → AP = 0, AR = 0.
    // large:  symmetric to small → AP = ONE, AR = 1.
    const e = evaluateCoco({
      imageIds: [1],
      labels: [1],
      gts: [gt(1, 1, 0, 0, 16, 16), gt(1, 1, 100, 0, 50, 50), gt(1, 1, 300, 0, 200, 200)],
      dets: [det(1, 1, 0, 0, 16, 16, 0.9), det(1, 1, 300, 0, 200, 200, 0.8)],
    });
    expect(e.summary.AP).toBeCloseTo((67 / 101) * ONE, 15);
    expect(e.summary.AR100).toBeCloseTo(2 / 3, 15); // mean of ten copies of 2/3
    expect(e.summary.APsmall).toBeCloseTo(ONE, 15);
    expect([e.summary.APmedium, e.summary.ARmedium]).toEqual([0, 0]);
    expect(e.summary.APlarge).toBeCloseTo(ONE, 15);
    expect([e.summary.ARsmall, e.summary.ARlarge]).toEqual([1, 1]);

    // A 40×40 box (1600 px, medium) whose annotation area is 900 (small) counts as small; in the
    // medium range its gt is ignored, so is the hit on it, and there is nothing to measure: −1.
    const byArea = evaluateCoco({
      imageIds: [1],
      labels: [1],
      gts: [gt(1, 1, 0, 0, 40, 40, { area: 900 })],
      dets: [det(1, 1, 0, 0, 40, 40, 0.9)],
    });
    expect(byArea.summary.APsmall).toBeCloseTo(ONE, 15);
    expect([byArea.summary.APmedium, byArea.summary.ARmedium]).toEqual([-1, -1]);
  });

  it('bad input names the field and the index', () => {
    const base = {
      imageIds: [1],
      labels: [1],
      gts: [gt(1, 1, 0, 0, 10, 10)],
      dets: [det(1, 1, 0, 0, 10, 10, 0.9)],
    };
    expect(() => evaluateCoco({ ...base, dets: [{ ...base.dets[0], score: Number.NaN }] })).toThrow(
      'evaluateCoco dets[0].score: expected a finite number, got NaN',
    );
    expect(() => evaluateCoco({ ...base, gts: [{ ...base.gts[0], w: -1 }] })).toThrow(
      'evaluateCoco gts[0]: expected w ≥ 0 and h ≥ 0, got w=-1 h=10',
    );
    expect(() => evaluateCoco(base, { maxDets: [] })).toThrow(
      'evaluateCoco params.maxDets: expected at least one value',
    );
  });
});
