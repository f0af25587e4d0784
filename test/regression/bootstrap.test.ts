import { describe, expect, it } from 'vitest';
import { evaluateCoco } from '../../src/metrics/coco-eval.ts';
import { syntheticDetections } from '../../src/metrics/detection-synthetic.ts';
import { createRandom } from '../../src/random.ts';
import { bootstrapF1Change, pairedCells } from '../../src/regression/classification.ts';
import { apData, bootstrapApChange, weightedAp } from '../../src/regression/detection.ts';
import { classCounts, perClassMetrics } from '../../src/metrics/classification.ts';
import { percentileInterval } from '../../src/stats/quantile.ts';

const names = ['cat', 'dog', 'fox'];

describe('paired bootstrap of per-class F1 (hand-computed cases)', () => {
  it('finds no change between identical runs: every replicate is 0', () => {
    const labels = [0, 0, 1, 1, 2, 2, 0, 1];
    const preds = [0, 1, 1, 1, 2, 0, 0, 2];
    const out = bootstrapF1Change(pairedCells(labels, preds, preds, 3), names, { minDrop: 0.02 });
    for (const c of out) expect([c.delta, c.low, c.high, c.regressed]).toEqual([0, 0, 0, false]);
  });

  it('computes the intervals of a case worked by hand', () => {
    // 5 cats and 5 dogs. Before: all right. Now: every cat called a dog.
    // cat: F1 1 → 0 in every replicate that has a cat (all but (1/2)^10 of them): interval [−1, −1].
    // dog: with b dogs drawn (b ~ Binomial(10, 1/2)) F1 goes 1 → 2b/(10 + b). P(b ≤ 1) = 11/1024 and
    // P(b ≤ 2) = 56/1024 put the 2.5% quantile at b = 2 (−2/3); P(b ≥ 8) = 56/1024 puts the 97.5% at
    // b = 8 (−1/9).
    const labels = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
    const before = labels.slice();
    const now = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const [cat, dog] = bootstrapF1Change(pairedCells(labels, before, now, 3), names, {
      minDrop: 0.02,
      resamples: 2000,
      seed: 11,
    });
    expect(cat).toMatchObject({
      name: 'cat',
      before: 1,
      now: 0,
      delta: -1,
      low: -1,
      high: -1,
      regressed: true,
    });
    expect(dog.before).toBe(1);
    expect(dog.now).toBeCloseTo(2 / 3, 15);
    expect(dog.low).toBeCloseTo(-2 / 3, 15);
    expect(dog.high).toBeCloseTo(-1 / 9, 15);
    expect(dog.regressed).toBe(true);
    // A drop below LOUPE_ALERT_MIN_DROP is no regression, however sure.
    const [, lenient] = bootstrapF1Change(pairedCells(labels, before, now, 3), names, {
      minDrop: 0.4,
      resamples: 2000,
      seed: 11,
    });
    expect(lenient.regressed).toBe(false);
  });

  it('point estimates are the F1 of src/metrics on the shared rows', () => {
    const r = createRandom(4);
    const n = 500;
    const labels = Array.from({ length: n }, () => r.int(3));
    const a = labels.map((y) => (r() < 0.8 ? y : r.int(3)));
    const b = labels.map((y) => (r() < 0.7 ? y : r.int(3)));
    const out = bootstrapF1Change(pairedCells(labels, a, b, 3), names, { minDrop: 0.02, resamples: 50 });
    const fa = perClassMetrics(classCounts(labels, a, 3));
    const fb = perClassMetrics(classCounts(labels, b, 3));
    out.forEach((c) => {
      expect(c.before).toBe(fa[c.label].f1);
      expect(c.now).toBe(fb[c.label].f1);
    });
  });

  it('agrees in distribution with resampling the rows one by one', () => {
    const r = createRandom(8);
    const n = 400;
    const labels = Array.from({ length: n }, () => r.int(3));
    const a = labels.map((y) => (r() < 0.85 ? y : r.int(3)));
    const b = labels.map((y) => (r() < 0.75 ? y : r.int(3)));
    const resamples = 4000;
    const cells = bootstrapF1Change(pairedCells(labels, a, b, 3), names, {
      minDrop: 0.02,
      resamples,
      seed: 2,
    });
    // The textbook row bootstrap, written out.
    const rr = createRandom(99);
    const deltas = [0, 1, 2].map(() => new Float64Array(resamples));
    for (let s = 0; s < resamples; s++) {
      const idx = Array.from({ length: n }, () => rr.int(n));
      const y = idx.map((i) => labels[i]);
      const fa = perClassMetrics(
        classCounts(
          y,
          idx.map((i) => a[i]),
          3,
        ),
      );
      const fb = perClassMetrics(
        classCounts(
          y,
          idx.map((i) => b[i]),
          3,
        ),
      );
      for (let c = 0; c < 3; c++) deltas[c][s] = fb[c].f1 - fa[c].f1;
    }
    for (const c of cells) {
      const [low, high] = percentileInterval(deltas[c.label]);
      // Two independent 4000-replicate estimates of the same quantiles: within Monte Carlo error.
      expect(Math.abs(c.low - low)).toBeLessThan(0.012);
      expect(Math.abs(c.high - high)).toBeLessThan(0.012);
    }
  });
});

describe('paired bootstrap of per-class AP', () => {
  const data = syntheticDetections({ seed: 3, images: 60, numLabels: 4 });
  const worse = {
    ...data,
    // The second run places class 2 worse: its boxes of that class are shifted by 40% of their width.
    dets: data.dets.map((d) => (d.label === 2 ? { ...d, x: d.x + 0.4 * d.w } : d)),
  };
  const evalA = evaluateCoco(data, {}, { keepMatches: true });
  const evalB = evaluateCoco(worse, {}, { keepMatches: true });

  it('weighs every image once to give COCOeval’s AP to the bit', () => {
    const d = apData(data, evalA);
    const ones = new Float64Array(d.images).fill(1);
    const scratch = {
      rc: new Float64Array(10_000),
      pr: new Float64Array(10_000),
      vals: new Float64Array(1010),
    };
    d.classes.forEach((c, k) => {
      expect(weightedAp(c, ones, d.thresholds, d.recThrs, scratch)).toBe(evalA.perClass[k].ap);
    });
  });

  it('counts an image drawn twice as COCOeval counts a copy of it', () => {
    const d = apData(data, evalA);
    // Image 1 twice, image 2 left out: COCOeval over a copy of image 1 given the id just after it,
    // so score ties across images fall in the same order.
    const weights = new Float64Array(d.images).fill(1);
    weights[0] = 2;
    weights[1] = 0;
    const copyId = data.imageIds[0] + 0.5;
    const keep = (imageId: number) => imageId !== data.imageIds[1];
    const copied = {
      imageIds: [...data.imageIds.filter(keep), copyId],
      labels: data.labels,
      gts: [
        ...data.gts.filter((g) => keep(g.imageId)),
        ...data.gts
          .filter((g) => g.imageId === data.imageIds[0])
          .map((g) => ({ ...g, id: g.id + 1e6, imageId: copyId })),
      ],
      dets: [
        ...data.dets.filter((g) => keep(g.imageId)),
        ...data.dets
          .filter((g) => g.imageId === data.imageIds[0])
          .map((g) => ({ ...g, id: g.id + 1e6, imageId: copyId })),
      ],
    };
    const reference = evaluateCoco(copied);
    const scratch = {
      rc: new Float64Array(10_000),
      pr: new Float64Array(10_000),
      vals: new Float64Array(1010),
    };
    d.classes.forEach((c, k) => {
      const ap = weightedAp(c, weights, d.thresholds, d.recThrs, scratch);
      expect(ap).toBe(reference.perClass[k].ap);
    });
  });

  it('flags the class whose detections got worse, and only it', () => {
    const out = bootstrapApChange(apData(data, evalA), apData(worse, evalB), ['a', 'b', 'c', 'd'], {
      minDrop: 0.02,
      resamples: 300,
    });
    const byLabel = new Map(out.map((c) => [c.label, c]));
    expect(out.filter((c) => c.delta !== 0).map((c) => c.label)).toEqual([2]);
    expect(out.filter((c) => c.regressed).map((c) => c.name)).toEqual(['c']);
    expect(byLabel.get(2)!.high).toBeLessThan(0);
    expect(byLabel.get(1)).toMatchObject({ delta: 0, low: 0, high: 0, regressed: false });
  });
});
