import { describe, expect, it } from 'vitest';
import { evaluateCoco } from '../../src/metrics/coco-eval.ts';
import { deltaAp } from '../../src/metrics/detection-dap.ts';
import { classifyObjects, outcomeCounts } from '../../src/metrics/detection-errors.ts';
import type { DetBox, GtBox } from '../../src/metrics/detection-types.ts';
import { referenceCocoEval } from './coco-reference.ts';
import { loadSample } from './coco-sample-data.ts';
import { TIDE_REFERENCE } from './tide-reference.ts';
import { syntheticDetections } from '../../src/metrics/detection-synthetic.ts';
import { ERROR_TYPES } from '../../src/metrics/detection-errors.ts';

function outcomesOf(input: { imageIds: number[]; labels: number[]; gts: GtBox[]; dets: DetBox[] }) {
  const ev = evaluateCoco(input, {}, { keepMatches: true });
  const o = classifyObjects(input.gts, input.dets, ev.matches!, ev.params.iouThrs);
  return { ev, o };
}

let nextId = 1;
const gt = (
  imageId: number,
  label: number,
  x: number,
  y: number,
  w: number,
  h: number,
  iscrowd = false,
): GtBox => ({
  id: nextId++,
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

describe('per-object outcomes equal COCOeval evalImgs on the COCO sample', () => {
  const sample = loadSample();
  // The expected counts come from test/metrics/coco-reference.ts, a literal transcription of
  // pycocotools' COCOeval.evaluateImg (PythonAPI/pycocotools/cocoeval.py): per image and category
  // at area 'all' and maxDets 100, a detection is tp at threshold t when dtMatches[t] > 0 and not
  // dtIgnore[t], fp when dtMatches[t] == 0 and not dtIgnore[t]; a ground truth is fn when
  // gtMatches[t] == 0 and not gtIgnore. Summed per image over categories.
  const ref = referenceCocoEval(sample.imageIds, sample.labels, sample.gts, sample.dets);
  const { o } = outcomesOf(sample);
  const expectedAt = (t: number) => {
    const perImage = new Map<number, { tp: number; fp: number; fn: number }>();
    for (const e of ref.evalImgs) {
      const c = perImage.get(e.imageId) ?? { tp: 0, fp: 0, fn: 0 };
      e.dtIds.forEach((_, d) => {
        if (e.dtIgnore[t][d]) return;
        if (e.dtMatches[t][d] > 0) c.tp++;
        else c.fp++;
      });
      e.gtIds.forEach((_, g) => {
        if (!e.gtIgnore[g] && e.gtMatches[t][g] === 0) c.fn++;
      });
      perImage.set(e.imageId, c);
    }
    return perImage;
  };
  for (const [t, iou] of [
    [0, 0.5],
    [5, 0.75],
  ]) {
    it(`per image and in total at IoU ${iou}`, () => {
      const expected = expectedAt(t);
      const got = outcomeCounts(
        o,
        t,
        (j) => sample.dets[j].imageId,
        (g) => sample.gts[g].imageId,
      );
      const nonZero = (m: Map<number | null, { tp: number; fp: number; fn: number }>) =>
        new Map([...m].filter(([, c]) => c.tp + c.fp + c.fn > 0).sort((a, b) => Number(a[0]) - Number(b[0])));
      expect(nonZero(got)).toEqual(
        nonZero(expected as Map<number | null, { tp: number; fp: number; fn: number }>),
      );
      const total = outcomeCounts(o, t).get(null);
      const sum = [...expected.values()].reduce(
        (s, c) => ({ tp: s.tp + c.tp, fp: s.fp + c.fp, fn: s.fn + c.fn }),
        { tp: 0, fp: 0, fn: 0 },
      );
      expect(total).toEqual(sum);
    });
  }

  it('at IoU 0.5: 85 false positives and 181 missed boxes over 65 images', () => {
    const byImage = outcomeCounts(
      o,
      0,
      (j) => sample.dets[j].imageId,
      (g) => sample.gts[g].imageId,
    );
    const total = outcomeCounts(o, 0).get(null)!;
    expect([total.fp, total.fn]).toEqual([85, 181]);
    expect([...byImage.values()].filter((c) => c.fp + c.fn > 0).length).toBe(65);
  });

  it('the dAP base equals COCOeval AP50', () => {
    const { ev } = outcomesOf(sample);
    const d = deltaAp(sample.gts, sample.dets, ev.matches!, o, ev.labels);
    expect(d.base).toBe(ev.summary.AP50);
    for (const c of d.perClass) expect(c.ap50).toBe(ev.perClass.find((p) => p.label === c.label)!.ap50);
  });
});

describe('hand-built outcomes', () => {
  it('a detection inside a crowd region is ignored, the region is never a miss', () => {
    const input = {
      imageIds: [1],
      labels: [1],
      gts: [gt(1, 1, 0, 0, 100, 100, true)],
      dets: [det(1, 1, 10, 10, 20, 20, 0.9)],
    };
    const { o } = outcomesOf(input);
    expect(o.detCodes[0]).toBe('iiiiiiiiii');
    expect(o.gtCodes[0]).toBe('');
    expect(outcomeCounts(o, 0).get(null)).toBeUndefined();
  });

  it('equal scores: the first detection in input order takes the box, the second is a dupe', () => {
    const input = {
      imageIds: [1],
      labels: [1],
      gts: [gt(1, 1, 0, 0, 10, 10)],
      dets: [det(1, 1, 0, 0, 10, 10, 0.5), det(1, 1, 0, 0, 10, 10, 0.5)],
    };
    const { o } = outcomesOf(input);
    expect(o.detCodes).toEqual(['oooooooooo', 'dddddddddd']);
    expect(o.gtCodes).toEqual(['oooooooooo']);
  });

  it('an image with no ground truth: every detection is bkg', () => {
    const input = {
      imageIds: [1, 2],
      labels: [1],
      gts: [gt(2, 1, 0, 0, 10, 10)],
      dets: [det(1, 1, 0, 0, 10, 10, 0.9)],
    };
    const { o } = outcomesOf(input);
    expect(o.detCodes[0]).toBe('kkkkkkkkkk');
    expect(o.detGt[0]).toBe(-1);
    expect(o.gtCodes[0]).toBe('mmmmmmmmmm');
  });

  it('past 100 detections of a class on an image, the rest are ignored', () => {
    const dets = Array.from({ length: 102 }, (_, i) => det(1, 1, 200 + i * 20, 0, 10, 10, 1 - i / 1000));
    const input = { imageIds: [1], labels: [1], gts: [gt(1, 1, 0, 0, 10, 10)], dets };
    const { o } = outcomesOf(input);
    expect(o.detCodes.slice(0, 100).every((c) => c === 'kkkkkkkkkk')).toBe(true);
    expect(o.detCodes.slice(100)).toEqual(['iiiiiiiiii', 'iiiiiiiiii']);
    expect(outcomeCounts(o, 0).get(null)).toEqual({ tp: 0, fp: 100, fn: 1 });
  });

  it('a box at IoU 0.6 is tp up to .6, then loc, and its box tp then explained by loc', () => {
    // x offset 2.5 on a 10×10 box: intersection 75, union 125 → IoU 0.6.
    const input = {
      imageIds: [1],
      labels: [1],
      gts: [gt(1, 1, 0, 0, 10, 10)],
      dets: [det(1, 1, 2.5, 0, 10, 10, 0.9)],
    };
    const { o } = outcomesOf(input);
    expect(o.detCodes[0]).toBe('ooolllllll'); // 0.6 ≥ the third threshold
    expect(o.gtCodes[0]).toBe('ooolllllll');
    expect(o.detBestIou[0]).toBeCloseTo(0.6, 12);
  });
});

describe('TIDE error types and their precedence', () => {
  const one = (gts: GtBox[], dets: DetBox[]) => {
    const { o } = outcomesOf({ imageIds: [1], labels: [1, 2], gts, dets });
    return o;
  };
  const box = (x: number) => [x, 0, 10, 10] as const;

  it('cls: another class at IoU ≥ t_f; the box it sits on is explained, not missed', () => {
    const o = one([gt(1, 1, ...box(0))], [det(1, 2, ...box(0), 0.9)]);
    expect(o.detCodes[0][0]).toBe('c');
    expect(o.detGt[0]).toBe(0);
    expect(o.gtCodes[0][0]).toBe('c');
  });

  it('loc: right class at t_b ≤ IoU < t_f', () => {
    const o = one([gt(1, 1, ...box(0))], [det(1, 1, ...box(7), 0.9)]); // IoU 30/170 ≈ 0.18
    expect(o.detCodes[0]).toBe('llllllllll');
    expect(o.gtCodes[0]).toBe('llllllllll');
  });

  it('both: wrong class at t_b ≤ IoU < t_f; its box stays missed', () => {
    const o = one([gt(1, 1, ...box(0))], [det(1, 2, ...box(5), 0.9)]); // IoU 1/3
    expect(o.detCodes[0]).toBe('bbbbbbbbbb');
    expect(o.gtCodes[0]).toBe('mmmmmmmmmm');
  });

  it('dupe: right class at IoU ≥ t_f with a box a higher score already took', () => {
    const o = one([gt(1, 1, ...box(0))], [det(1, 1, ...box(0), 0.9), det(1, 1, ...box(1), 0.8)]);
    expect(o.detCodes[1][0]).toBe('d');
    // 0.8 IoU (81/… ) falls under .85: then the right class at t_b ≤ IoU < t_f is loc, before dupe.
    expect(o.detCodes[1][9]).toBe('l');
  });

  it('bkg: IoU < t_b with every box', () => {
    const o = one([gt(1, 1, ...box(0))], [det(1, 1, ...box(9.5), 0.9)]); // IoU 5/195
    expect(o.detCodes[0]).toBe('kkkkkkkkkk');
    expect(o.gtCodes[0]).toBe('mmmmmmmmmm');
  });

  it('missed: an unmatched box nothing points at', () => {
    const o = one([gt(1, 1, ...box(0)), gt(1, 2, ...box(100))], [det(1, 2, ...box(100), 0.9)]);
    expect(o.gtCodes[0]).toBe('mmmmmmmmmm');
    expect(o.gtCodes[1]).toBe('oooooooooo');
  });

  it('loc wins over cls when the right class overlaps within [t_b, t_f)', () => {
    // A class-1 detection on a class-2 box (IoU 1) that also overlaps a class-1 box by 1/3.
    const o = one([gt(1, 2, ...box(0)), gt(1, 1, ...box(5))], [det(1, 1, ...box(0), 0.9)]);
    expect(o.detCodes[0][0]).toBe('l');
    expect(o.detGt[0]).toBe(1);
  });

  it('cls wins over dupe', () => {
    // Class 1 box taken by the first detection; the second also sits on a class-2 box at IoU 1.
    const o = one(
      [gt(1, 1, ...box(0)), gt(1, 2, ...box(0))],
      [det(1, 1, ...box(0), 0.9), det(1, 1, ...box(0), 0.8)],
    );
    expect(o.detCodes[1][0]).toBe('c');
    expect(o.detGt[1 * 10]).toBe(1);
  });

  it('the highest-scoring of two cls/loc detections names the miss', () => {
    const o = one([gt(1, 1, ...box(0))], [det(1, 1, ...box(7), 0.5), det(1, 2, ...box(0), 0.6)]);
    expect(o.detCodes.map((c) => c[0])).toEqual(['l', 'c']);
    expect(o.gtCodes[0][0]).toBe('c');
  });
});

describe('dAP per type', () => {
  const evalAll = (gts: GtBox[], dets: DetBox[], labels = [1, 2]) => {
    const input = { imageIds: [1, 2], labels, gts, dets };
    const { ev, o } = outcomesOf(input);
    return deltaAp(gts, dets, ev.matches!, o, ev.labels);
  };

  it('one loc error on the only box: fixing loc takes AP50 from 0 to 1', () => {
    const d = evalAll([gt(1, 1, 0, 0, 10, 10)], [det(1, 1, 7, 0, 10, 10, 0.9)]);
    expect(d.base).toBe(0);
    expect(d.overall.loc).toBeCloseTo(1, 12);
    expect(d.overall.cls).toBe(0);
    expect(d.overall.missed).toBe(0); // the box is explained by the loc error
    expect(d.perClass).toEqual([
      { label: 1, ap50: 0, errors: expect.objectContaining({ loc: expect.any(Number) }) },
    ]);
  });

  it('a cls error counts in the box class once fixed; a bkg above the tp costs precision', () => {
    const d = evalAll(
      [gt(1, 1, 0, 0, 10, 10), gt(2, 2, 0, 0, 10, 10)],
      [det(1, 2, 0, 0, 10, 10, 0.9), det(2, 2, 0, 0, 10, 10, 0.8), det(2, 2, 50, 50, 10, 10, 0.95)],
    );
    // Class 1: no detection → AP 0; class 2: bkg (0.95) then cls (0.9, fp) then tp (0.8): 1/3 precision.
    expect(d.base).toBeCloseTo((0 + 1 / 3) / 2, 2);
    expect(d.overall.cls).toBeGreaterThan(0.4);
    expect(d.overall.bkg).toBeGreaterThan(0);
    expect(d.overall.dupe).toBe(0);
    expect(d.overall.missed).toBe(0);
  });

  it('a missed box fixed by its oracle no longer counts', () => {
    const d = evalAll(
      [gt(1, 1, 0, 0, 10, 10), gt(1, 1, 50, 50, 10, 10)],
      [det(1, 1, 0, 0, 10, 10, 0.9)],
      [1],
    );
    expect(d.base).toBeCloseTo(0.5, 2);
    expect(d.overall.missed).toBeCloseTo(1 - d.base, 12);
  });
});

describe("dAP agrees with TIDE's implementation to within 0.002", () => {
  const check = (
    input: { imageIds: number[]; labels: number[]; gts: GtBox[]; dets: DetBox[] },
    ref: { ap50: number; errors: Record<string, number> },
  ) => {
    const { ev, o } = outcomesOf(input);
    const d = deltaAp(input.gts, input.dets, ev.matches!, o, ev.labels);
    expect(Math.abs(d.base - ref.ap50 / 100)).toBeLessThan(2e-4);
    for (const type of ERROR_TYPES)
      expect(Math.abs(d.overall[type] - ref.errors[type] / 100), type).toBeLessThanOrEqual(0.002);
  };

  it('on the COCO sample without the results of classes that have no ground truth', () => {
    const sample = loadSample();
    const withGt = new Set(sample.gts.filter((g) => !g.iscrowd).map((g) => g.label));
    check({ ...sample, dets: sample.dets.filter((d) => withGt.has(d.label)) }, TIDE_REFERENCE.cocoSample);
  });

  it('on 400 synthetic images (many equal scores, crowds, every type)', () => {
    check(syntheticDetections({ seed: 7, images: 400 }), TIDE_REFERENCE.synthetic400);
  });
});
