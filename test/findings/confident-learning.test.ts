import { hasSharedData } from '../helpers/shared-data.ts';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  calibrateConfidentJoint,
  confidentJoint,
  confidentThresholds,
  findLabelIssues,
  labelQualityScores,
  pairwiseSum,
  pruneCounts,
  rankIssues,
  roundPreservingSum,
} from '../../src/findings/confident-learning.ts';
import { readNpy, SHARED_DATA } from '../helpers/npy.ts';

// Two classes, six rows; row 2 is labeled 0 but looks like 1, row 5 is labeled 1 and leans to 0.
const labels2 = new Int32Array([0, 0, 0, 1, 1, 1]);
const probs2 = new Float64Array([0.9, 0.1, 0.8, 0.2, 0.2, 0.8, 0.1, 0.9, 0.3, 0.7, 0.6, 0.4]);

describe('confident learning, by hand', () => {
  it('thresholds are the mean self-probability per class', () => {
    const t = confidentThresholds(labels2, probs2, 2);
    expect(t[0]).toBeCloseTo((0.9 + 0.8 + 0.2) / 3, 12);
    expect(t[1]).toBeCloseTo((0.9 + 0.7 + 0.4) / 3, 12);
  });

  it('counts rows above threshold into the confident joint and skips rows above none', () => {
    const t = confidentThresholds(labels2, probs2, 2);
    const { joint, guess } = confidentJoint(labels2, probs2, 2, t);
    // r0,r1 → 0; r2 → 1 (0.8 ≥ 0.667); r3,r4 → 1; r5: 0.6 < 0.633 and 0.4 < 0.667 → none.
    expect(Array.from(guess)).toEqual([0, 0, 1, 1, 1, -1]);
    expect(Array.from(joint)).toEqual([2, 1, 0, 2]);
  });

  it('calibrates rows to the label counts and the total to N', () => {
    // Row 1 [0, 2] scaled to its 3 rows → [0, 3].
    expect(
      Array.from(calibrateConfidentJoint(new Int32Array([2, 1, 0, 2]), new Int32Array([3, 3]), 2)),
    ).toEqual([2, 1, 0, 3]);
  });

  it('prunes the largest-margin row per off-diagonal count; argmax≠label alone is not enough', () => {
    const res = findLabelIssues(labels2, probs2, 2);
    expect(Array.from(res.mask)).toEqual([0, 0, 1, 0, 0, 0]);
    expect(Array.from(res.prune)).toEqual([2, 0, 1, 3]);
    expect(Array.from(res.noise.issuesPerClass)).toEqual([1, 0]);
    // P(given=0 | true=1) = 1 / (1 + 3).
    expect(res.noise.noiseMatrix[0 * 2 + 1]).toBeCloseTo(0.25, 12);
  });

  it('never prunes a class with min_examples_per_class rows or fewer', () => {
    expect(Array.from(findLabelIssues(labels2, probs2, 2, { minExamplesPerClass: 3 }).mask)).toEqual([
      0, 0, 0, 0, 0, 0,
    ]);
  });

  it('scores by self-confidence or normalized margin', () => {
    expect(labelQualityScores(labels2, probs2, 2, 'self_confidence')[2]).toBeCloseTo(0.2, 12);
    expect(labelQualityScores(labels2, probs2, 2, 'normalized_margin')[2]).toBeCloseTo(
      (0.2 - 0.8 + 1) / 2,
      12,
    );
    expect(labelQualityScores(labels2, probs2, 2, 'normalized_margin')[0]).toBeCloseTo(
      (0.9 - 0.1 + 1) / 2,
      12,
    );
  });

  it('an ambiguous row is not pruned; a confident other class is', () => {
    const labels = new Int32Array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
    const probs = new Float64Array(
      [
        [0.9, 0.05, 0.05],
        [0.8, 0.1, 0.1],
        [0.1, 0.45, 0.45],
        [0.1, 0.1, 0.8],
        [0.1, 0.8, 0.1],
        [0.1, 0.9, 0.0],
        [0.2, 0.7, 0.1],
        [0.1, 0.1, 0.8],
        [0.0, 0.1, 0.9],
        [0.1, 0.2, 0.7],
      ].flat(),
    );
    const res = findLabelIssues(labels, probs, 3);
    // Joint rows: [2,0,1], [0,2,0], [0,0,2]; row 0 calibrated to 4 rows: [2.67, 0, 1.33] → [3, 0, 1].
    expect(Array.from(res.joint)).toEqual([2, 0, 1, 0, 2, 0, 0, 0, 2]);
    expect(Array.from(res.calibrated)).toEqual([3, 0, 1, 0, 3, 0, 0, 0, 3]);
    expect(Array.from(res.mask)).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('rounds like numpy: halves to even, then nudges the largest remainders', () => {
    // 0,2,2,0 sums to 4 < 5: the last of the tied remainders (index 3) goes up, as numpy's [::-1] picks.
    expect(Array.from(roundPreservingSum(new Float64Array([0.5, 1.5, 2.5, 0.5])))).toEqual([0, 2, 2, 1]);
  });

  it('sums pairwise like numpy', () => {
    // numpy: np.sum(np.full(10, 0.1)) == 1.0, while a running sum gives 0.9999999999999999.
    expect(pairwiseSum(new Float64Array(10).fill(0.1), 0, 10)).toBe(1);
    const big = new Float64Array(300).map((_, i) => 0.1 * (i % 7));
    expect(pairwiseSum(big, 0, 300)).toBeCloseTo(
      big.reduce((a, b) => a + b, 0),
      9,
    );
  });

  it('rejects bad shapes and labels with a clear message', () => {
    expect(() => findLabelIssues(new Int32Array([0, 2]), new Float64Array(4), 2)).toThrow(/label 2 at row 1/);
    expect(() => findLabelIssues(new Int32Array([0, 1]), new Float64Array(3), 2)).toThrow(
      /expected N×K = 2×2/,
    );
  });

  it('flags each row at most once and no more rows than the prune counts', () => {
    const k = 2;
    const res = findLabelIssues(labels2, probs2, k);
    const offDiag = Array.from(res.prune).reduce((s, v, i) => s + (i % (k + 1) === 0 ? 0 : v), 0);
    const ranked = rankIssues(res.mask, labelQualityScores(labels2, probs2, k, 'self_confidence'));
    expect(new Set(ranked).size).toBe(ranked.length);
    expect(ranked.length).toBeLessThanOrEqual(offDiag);
  });

  it('prune counts take min_examples_per_class from the noise cells', () => {
    // Column 0 of the transposed matrix is [0, 3, 4]: the diagonal is raised to 2 and, as in cleanlab,
    // the 2 is divided by (non-zero cells − 1) = 1, so each noise cell loses 2 (numpy: [[2,0,0],[1,5,0],[2,0,5]]).
    const cal = new Int32Array([0, 3, 4, 0, 5, 0, 0, 0, 5]);
    expect(Array.from(pruneCounts(cal, 3, 2))).toEqual([2, 0, 0, 1, 5, 0, 2, 0, 5]);
  });
});

const DATASETS = ['mnist', 'cifar10', '20news', 'imdb'] as const;
const have = hasSharedData(
  'label-errors/mnist/labels.npy',
  'confident learning on the published predictions',
);

describe.skipIf(!have)('confident learning on the published label-errors predictions', () => {
  for (const name of DATASETS) {
    it(`${name}: flags exactly the pinned prune-by-noise-rate set, in self-confidence order`, () => {
      const labels = readNpy(`${SHARED_DATA}label-errors/${name}/labels.npy`).data as Int32Array;
      const probs = readNpy(`${SHARED_DATA}label-errors/${name}/pred_probs.npy`);
      const k = probs.shape[1];
      const res = findLabelIssues(labels, probs.data as Float64Array, k);
      const ranked = Array.from(
        rankIssues(res.mask, labelQualityScores(labels, probs.data as Float64Array, k, 'self_confidence')),
      );
      const [count, ids] = readFileSync(new URL(`./reference/${name}.txt`, import.meta.url), 'utf8')
        .trim()
        .split('\n');
      expect(ranked.length).toBe(Number(count));
      expect(ranked).toEqual(ids.split(',').map(Number));
      // Every flagged row disagrees with the model's argmax.
      for (const r of ranked) {
        let best = 0;
        for (let j = 1; j < k; j++) if (probs.data[r * k + j] > probs.data[r * k + best]) best = j;
        expect(best).not.toBe(labels[r]);
      }
    });
  }

  it('pinned counts: mnist 15, cifar10 284, 20news 95, imdb 1309', () => {
    const counts = DATASETS.map((d) =>
      Number(readFileSync(new URL(`./reference/${d}.txt`, import.meta.url), 'utf8').split('\n')[0]),
    );
    expect(counts).toEqual([15, 284, 95, 1309]);
  });
});
