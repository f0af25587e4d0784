import { hasSharedData } from '../helpers/shared-data.ts';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  averageMetrics,
  classCounts,
  classificationReport,
  confusionMatrix,
  countsFromConfusion,
  perClassMetrics,
} from '../../src/metrics/classification.ts';
import {
  addToBins,
  calibrationBin,
  calibrationTable,
  emptyBinTotals,
  expectedCalibrationError,
} from '../../src/metrics/classification-calibration.ts';
import { topKAccuracy, topKHits, topKValues } from '../../src/metrics/classification-topk.ts';
import { readNpy } from '../helpers/npy.ts';

// y = [0,0,0,1,1,2,2,2], p = [0,1,0,1,2,2,2,0]
// confusion[y][p]: y=0 → p 0,1,0 = [2,1,0]; y=1 → p 1,2 = [0,1,1]; y=2 → p 2,2,0 = [1,0,2]
const y1 = [0, 0, 0, 1, 1, 2, 2, 2];
const p1 = [0, 1, 0, 1, 2, 2, 2, 0];

describe('classification metrics (hand-computed)', () => {
  it('confusion matrix and accuracy', () => {
    expect(confusionMatrix(y1, p1, 3)).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [1, 0, 2],
    ]);
    // correct = 2 + 1 + 2 = 5 of 8
    expect(accuracy(y1, p1)).toBe(5 / 8);
  });

  it('per-class precision, recall, F1, support and their averages', () => {
    const counts = classCounts(Int32Array.from(y1), Uint16Array.from(p1), 3);
    const classes = perClassMetrics(counts);
    // class 0: tp 2, predicted (column) 2+0+1 = 3, support 3 → P 2/3, R 2/3, F1 4/6
    // class 1: tp 1, predicted 1+1+0 = 2, support 2 → P 1/2, R 1/2, F1 2/4
    // class 2: tp 2, predicted 0+1+2 = 3, support 3 → P 2/3, R 2/3, F1 4/6
    expect(classes[0].precision).toBeCloseTo(2 / 3, 15);
    expect(classes[0].recall).toBeCloseTo(2 / 3, 15);
    expect(classes[0].f1).toBeCloseTo(2 / 3, 15);
    expect(classes[1]).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(classes[2].support).toBe(3);
    const { macro, weighted } = averageMetrics(classes, counts);
    // macro = (2/3 + 1/2 + 2/3) / 3 = 11/18; weighted = (3·2/3 + 2·1/2 + 3·2/3) / 8 = 5/8
    expect(macro.precision).toBeCloseTo(11 / 18, 15);
    expect(macro.f1).toBeCloseTo(11 / 18, 15);
    expect(weighted.recall).toBeCloseTo(5 / 8, 15);
    expect(weighted.f1).toBeCloseTo(5 / 8, 15);
    // the same report from the matrix a GROUP BY gives
    expect(classificationReport(countsFromConfusion(confusionMatrix(y1, p1, 3)))).toEqual(
      classificationReport(counts),
    );
  });

  it('zero division gives 0 and absent classes stay out of the macro average (sklearn labels=None)', () => {
    // y = [0,0,1], p = [0,2,1], K = 4
    // class 0: tp 1, predicted 1, support 2 → P 1, R 1/2, F1 2·1/(1+2) = 2/3
    // class 1: tp 1, predicted 1, support 1 → 1, 1, 1
    // class 2: tp 0, predicted 1, support 0 → P 0/1 = 0, R 0/0 → 0, F1 0/(1+0) = 0
    // class 3: never seen → all 0, not in the macro mean
    const r = classificationReport(classCounts([0, 0, 1], [0, 2, 1], 4));
    expect(r.classes[2]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(r.classes[3]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    // macro over classes 0..2: P (1+1+0)/3, R (1/2+1+0)/3, F1 (2/3+1+0)/3 = 5/9
    expect(r.macro.precision).toBeCloseTo(2 / 3, 15);
    expect(r.macro.recall).toBeCloseTo(0.5, 15);
    expect(r.macro.f1).toBeCloseTo(5 / 9, 15);
    // weighted by support 2,1,0,0: P (2·1+1)/3 = 1, R (2·1/2+1)/3 = 2/3, F1 (2·2/3+1)/3 = 7/9
    expect(r.weighted.precision).toBeCloseTo(1, 15);
    expect(r.weighted.recall).toBeCloseTo(2 / 3, 15);
    expect(r.weighted.f1).toBeCloseTo(7 / 9, 15);
    expect(r.accuracy).toBeCloseTo(2 / 3, 15);
  });

  it('an empty input has accuracy 0 and all-zero metrics', () => {
    const r = classificationReport(classCounts([], [], 2));
    expect(r.accuracy).toBe(0);
    expect(r.macro).toEqual({ precision: 0, recall: 0, f1: 0 });
  });

  it('rejects out-of-range classes and mismatched lengths, naming the position', () => {
    expect(() => classCounts([0, 3], [0, 1], 3)).toThrow(
      'labels[1] = 3: expected an integer class index in [0, 3)',
    );
    expect(() => classCounts([0, 1], [0, 1.5], 3)).toThrow('predicted[1] = 1.5');
    expect(() => confusionMatrix([0], [0, 1], 3)).toThrow('labels has 1 rows but predicted has 2');
  });
});

describe('calibration (15 bins, upper edge inclusive)', () => {
  it('puts edge values in the bin below', () => {
    expect(calibrationBin(0)).toBe(0);
    expect(calibrationBin(1 / 15)).toBe(0);
    expect(calibrationBin(1 / 15 + 1e-12)).toBe(1);
    expect(calibrationBin(0.6)).toBe(8); // 0.6 = 9/15 exactly: (8/15, 9/15]
    expect(calibrationBin(0.5)).toBe(7); // (7/15, 8/15] = (0.4667, 0.5333]
    expect(calibrationBin(1)).toBe(14);
    for (let m = 1; m <= 15; m++) expect(calibrationBin(m / 15)).toBe(m - 1);
    expect(() => calibrationBin(1.2)).toThrow('expected a probability in [0, 1]');
    expect(() => calibrationBin(Number.NaN)).toThrow('expected a probability');
  });

  it('computes ECE and the reliability table', () => {
    const conf = [0.95, 0.9, 0.55, 0.6, 0.3];
    const correct = [1, 1, 0, 1, 0];
    // bins: 0.95 → 14, 0.9 → 13 (13.5 → ceil 14 − 1), 0.55 → 8, 0.6 → 8 (edge), 0.3 → 4
    // ECE = 1/5·|1−0.95| + 1/5·|1−0.9| + 2/5·|1/2 − 0.575| + 1/5·|0−0.3| = 0.01 + 0.02 + 0.03 + 0.06 = 0.12
    expect(expectedCalibrationError(conf, correct)).toBeCloseTo(0.12, 14);
    const table = calibrationTable(addToBins(emptyBinTotals(), conf, correct));
    expect(table).toHaveLength(15);
    expect(table[8]).toEqual({
      bin: 8,
      lower: 8 / 15,
      upper: 9 / 15,
      count: 2,
      accuracy: 0.5,
      confidence: 0.575,
    });
    expect(table[0]).toEqual({ bin: 0, lower: 0, upper: 1 / 15, count: 0, accuracy: null, confidence: null });
    expect(table.reduce((s, b) => s + b.count, 0)).toBe(5);
    // the example of the JSDoc: 0.5·|1−0.9| + 0.5·|0−0.6| = 0.35
    expect(expectedCalibrationError([0.9, 0.6], [true, false])).toBeCloseTo(0.35, 15);
    expect(expectedCalibrationError([], [])).toBe(0);
  });
});

describe('top-k accuracy (sklearn tie rule)', () => {
  it('ranks by score, higher class index first among ties', () => {
    // row 0: [0.1, 0.7, 0.2], label 2 → one score above → rank 1: miss at k=1, hit at k=2
    // row 1: [0.5, 0.5, 0.0], label 0 → equal score at the higher index 1 ranks first → rank 1
    // row 2: [0.5, 0.5, 0.0], label 1 → rank 0
    const s = new Float64Array([0.1, 0.7, 0.2, 0.5, 0.5, 0, 0.5, 0.5, 0]);
    expect(topKHits(s, 3, [2, 0, 1], [1, 2])).toEqual([1, 3]);
    expect(topKAccuracy(s, 3, [2, 0, 1], 1)).toBeCloseTo(1 / 3, 15);
    expect(() => topKHits(s, 3, [0, 1], [1])).toThrow('expected 2 rows × 3 classes');
  });

  it('reports k = 1, 3, 5 only below the class count', () => {
    expect(topKValues(2)).toEqual([1]);
    expect(topKValues(5)).toEqual([1, 3]);
    expect(topKValues(10)).toEqual([1, 3, 5]);
  });
});

const news = new URL('../../../shared/data/label-errors/20news', import.meta.url).pathname;
describe.runIf(hasSharedData('label-errors/20news/labels.npy', '20news published predictions'))(
  '20news published predictions',
  () => {
    it('matches the data README accuracy (0.9234) and scikit-learn on every metric', () => {
      const labels = readNpy(`${news}/labels.npy`).data;
      const probs = readNpy(`${news}/pred_probs.npy`);
      const [n, k] = probs.shape;
      expect([n, k]).toEqual([7532, 20]);
      const predicted = new Uint16Array(n);
      const conf = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let j = 1; j < k; j++) if (probs.data[i * k + j] > probs.data[i * k + best]) best = j;
        predicted[i] = best;
        conf[i] = probs.data[i * k + best];
      }
      const report = classificationReport(classCounts(labels, predicted, k));
      expect(report.accuracy.toFixed(4)).toBe('0.9234');
      // Reference values from scikit-learn 1.2.1 on the same files (Debian python3-sklearn):
      // accuracy_score, precision_recall_fscore_support(average=…, zero_division=0), top_k_accuracy_score.
      expect(report.accuracy).toBeCloseTo(0.9233935209771641, 14);
      expect(report.macro.precision).toBeCloseTo(0.923528354892631, 14);
      expect(report.macro.recall).toBeCloseTo(0.9213253188543635, 14);
      expect(report.macro.f1).toBeCloseTo(0.9222013265406884, 14);
      expect(report.weighted.precision).toBeCloseTo(0.9235782645783992, 14);
      expect(report.weighted.f1).toBeCloseTo(0.9233017300042252, 14);
      expect(report.classes[0].precision).toBeCloseTo(0.9071207430340558, 14);
      expect(report.classes[0].f1).toBeCloseTo(0.9127725856697819, 14);
      expect(report.classes[19].recall).toBeCloseTo(0.8247011952191236, 14);
      expect(report.classes[19].support).toBe(251);
      expect(topKAccuracy(probs.data, k, labels, 3)).toBeCloseTo(0.9767657992565055, 14);
      expect(topKAccuracy(probs.data, k, labels, 5)).toBeCloseTo(0.985926712692512, 14);
      // top-1 with sklearn's tie rule equals argmax accuracy when no row has a tied maximum
      expect(topKAccuracy(probs.data, k, labels, 1)).toBeCloseTo(report.accuracy, 12);
      // weighted recall is accuracy (Σ support·tp/support / n)
      expect(report.weighted.recall).toBeCloseTo(report.accuracy, 12);
      const correct = Array.from(labels, (y, i) => (y === predicted[i] ? 1 : 0));
      // ECE by an independent numpy computation of Guo et al.'s definition (masks per bin over
      // np.linspace(0, 1, 16) edges, upper edge inclusive) on the same files.
      expect(expectedCalibrationError(conf, correct)).toBeCloseTo(0.20113596426782715, 12);
    });
  },
);
