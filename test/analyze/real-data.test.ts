import { hasSharedData } from '../helpers/shared-data.ts';
import { expect, it } from 'vitest';
import { analyzeRun } from '../../src/analyze/run.ts';
import { classCounts, classificationReport } from '../../src/metrics/classification.ts';
import { expectedCalibrationError } from '../../src/metrics/classification-calibration.ts';
import type { ClassificationMetricsDoc } from '../../src/metrics/classification-document.ts';
import { topKAccuracy } from '../../src/metrics/classification-topk.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { type ClassRow, seedClassification } from './fixtures.ts';
import { readNpy } from '../helpers/npy.ts';

const news = new URL('../../../shared/data/label-errors/20news', import.meta.url).pathname;

// The SQL path (INSERT … SELECT, GROUP BY aggregates, keyset-streamed top-k) against the pure
// functions (checked against scikit-learn in test/metrics) on the first 1500 of the published
// 20news predictions, a size that keeps the test quick.
describeEachDriver('analyzeRun on 20news', (ctx) => {
  it.runIf(hasSharedData('label-errors/20news/labels.npy', '20news analysis'))(
    'agrees with the pure metrics and scikit-learn',
    async () => {
      const labels = readNpy(`${news}/labels.npy`).data;
      const { shape, data } = readNpy(`${news}/pred_probs.npy`);
      const k = shape[1];
      const n = 1500;
      const rows: ClassRow[] = Array.from({ length: n }, (_, i) => ({
        id: String(i),
        label: labels[i],
        probs: Array.from(data.subarray(i * k, (i + 1) * k)),
      }));
      const deps = testDeps(ctx().database);
      const classNames = Array.from({ length: k }, (_, c) => `topic-${c}`);
      const { runId } = await seedClassification(deps.db, { name: '20news', classNames, rows });
      const m = (await analyzeRun(deps, runId)) as ClassificationMetricsDoc;

      const predicted = rows.map((r) => r.probs!.indexOf(Math.max(...r.probs!)));
      const conf = rows.map((r) => Math.max(...r.probs!));
      const y = labels.subarray(0, n);
      const pure = classificationReport(classCounts(y, predicted, k));
      expect(m.accuracy).toBe(pure.accuracy);
      expect(m.macro.f1).toBeCloseTo(pure.macro.f1, 14);
      expect(m.weighted.precision).toBeCloseTo(pure.weighted.precision, 14);
      for (const [c, cls] of m.classes.entries()) {
        expect(cls.f1).toBeCloseTo(pure.classes[c].f1, 14);
        expect(cls.support).toBe(pure.classes[c].support);
      }
      expect([m.labeled, m.unlabeled]).toEqual([n, 0]);
      // ECE by SQL bins equals the pure function on the same (float64) scores, up to summation order
      const correct = predicted.map((p, i) => (p === y[i] ? 1 : 0));
      expect(m.ece).toBeCloseTo(expectedCalibrationError(conf, correct), 12);
      expect(m.calibration.reduce((s, b) => s + b.count, 0)).toBe(n);
      // top-k reads the stored float32 vectors: equal to the pure function on float32-rounded scores
      const f32 = Float32Array.from(data.subarray(0, n * k));
      expect(m.topK['3']).toBe(topKAccuracy(f32, k, y, 3));
      expect(m.topK['5']).toBe(topKAccuracy(f32, k, y, 5));
      expect(m.topK['1']).toBe(m.accuracy);
    },
  );
});
