import { describe, expect, it } from 'vitest';
import { coverageDistance, selectDiverse } from '../../src/findings/diverse.ts';
import {
  boxUncertainty,
  classificationUncertainty,
  imageUncertainty,
  topK,
  uncertaintyScores,
} from '../../src/findings/uncertainty.ts';

describe('classification uncertainty', () => {
  it('least confidence, 1 − margin and normalised entropy', () => {
    const u = classificationUncertainty(new Float64Array([0.7, 0.2, 0.1, 1, 0, 0, 1 / 3, 1 / 3, 1 / 3]), 3);
    expect(u.least[0]).toBeCloseTo(0.3, 12);
    expect(u.margin[0]).toBeCloseTo(1 - 0.5, 12);
    const h = -(0.7 * Math.log(0.7) + 0.2 * Math.log(0.2) + 0.1 * Math.log(0.1)) / Math.log(3);
    expect(u.entropy[0]).toBeCloseTo(h, 12);
    expect([u.least[1], u.margin[1], u.entropy[1]]).toEqual([0, 0, 0]);
    expect(u.least[2]).toBeCloseTo(2 / 3, 12);
    expect(u.margin[2]).toBeCloseTo(1, 12);
    expect(u.entropy[2]).toBeCloseTo(1, 12);
  });

  it('rejects a probability array that is not N×K', () => {
    expect(() => classificationUncertainty(new Float64Array(5), 3)).toThrow(/not a multiple of K = 3/);
  });
});

describe('detection uncertainty', () => {
  it('reads a box score as a Bernoulli', () => {
    expect(boxUncertainty(0.9, 'least')).toBeCloseTo(0.1, 12);
    expect(boxUncertainty(0.3, 'least')).toBeCloseTo(0.3, 12);
    expect(boxUncertainty(0.5, 'margin')).toBe(1);
    expect(boxUncertainty(0.75, 'margin')).toBeCloseTo(0.5, 12);
    expect(boxUncertainty(0.5, 'entropy')).toBeCloseTo(1, 12);
    expect(boxUncertainty(1, 'entropy')).toBe(0);
  });

  it('aggregates boxes above the floor by max (default) or mean; none above → 1', () => {
    expect(imageUncertainty([0.95, 0.6, 0.1], 'least')).toBeCloseTo(0.4, 12);
    expect(imageUncertainty([0.95, 0.6, 0.1], 'least', { aggregate: 'mean' })).toBeCloseTo(
      (0.05 + 0.4) / 2,
      12,
    );
    expect(imageUncertainty([0.1, 0.15], 'entropy')).toBe(1);
    expect(imageUncertainty([], 'margin')).toBe(1);
  });
});

describe('top-k', () => {
  it('returns the n largest, largest first, ties by index, NaN skipped', () => {
    const s = new Float64Array([0.2, 0.9, Number.NaN, 0.5, 0.9, 0.1]);
    expect(Array.from(topK(s, 3))).toEqual([1, 4, 3]);
    expect(Array.from(topK(s, 10))).toEqual([1, 4, 3, 0, 5]);
    expect(Array.from(topK(s, 0))).toEqual([]);
  });

  it('agrees with a full sort on random data', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const s = Float64Array.from({ length: 5000 }, rnd);
    const sorted = Array.from(s.keys()).sort((a, b) => s[b] - s[a] || a - b);
    expect(Array.from(topK(s, 100))).toEqual(sorted.slice(0, 100));
  });
});

describe('diverse selection', () => {
  // Candidates sorted by uncertainty: three near-duplicates first, then two other directions.
  const deg = (a: number) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)];
  const vectors = [deg(0), deg(1), deg(2), deg(90), deg(45)];
  const ids = ['a', 'b', 'c', 'd', 'e'];

  it('starts from the most uncertain and takes the farthest next (greedy k-center)', () => {
    expect(selectDiverse(ids, vectors, 3)).toEqual(['a', 'd', 'e']);
  });

  it('only looks at the pool; ties go to the more uncertain candidate', () => {
    expect(selectDiverse(ids, vectors, 2, { pool: 3 })).toEqual(['a', 'c']);
    expect(selectDiverse(['x', 'y', 'z'], [deg(0), deg(90), deg(-90)], 2)).toEqual(['x', 'y']);
  });

  it('covers the pool better than the plain top-n', () => {
    const diverse = selectDiverse([0, 1, 2, 3, 4], vectors, 2);
    expect(coverageDistance(vectors, diverse)).toBeLessThan(coverageDistance(vectors, [0, 1]));
  });
});

describe('single-strategy scores', () => {
  it('equal the matching column of the three-score pass', () => {
    const probs = new Float64Array([0.7, 0.2, 0.1, 0.5, 0.5, 0, 0.2, 0.3, 0.5]);
    const all = classificationUncertainty(probs, 3);
    expect(Array.from(uncertaintyScores(probs, 3, 'least'))).toEqual(Array.from(all.least));
    expect(Array.from(uncertaintyScores(probs, 3, 'margin'))).toEqual(Array.from(all.margin));
    expect(Array.from(uncertaintyScores(probs, 3, 'entropy'))).toEqual(Array.from(all.entropy));
  });
});
