import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/random.ts';
import { type FlagFeatures, flagPrecision, learnedRanking } from '../../src/review/learned-ranking.ts';
import { fitLogistic, predictLogistic } from '../../src/review/logistic.ts';

describe('logistic regression', () => {
  it('reaches the closed-form maximum likelihood of a two-group case', () => {
    // x = 0: 1 of 4 positive → σ(w₀) = 1/4; x = 1: 3 of 4 → σ(w₀ + w₁) = 3/4.
    const m = fitLogistic([[0], [0], [0], [0], [1], [1], [1], [1]], [1, 0, 0, 0, 1, 1, 1, 0], { l2: 0 });
    expect(m.weights[0]).toBeCloseTo(Math.log(1 / 3), 12);
    expect(m.weights[1]).toBeCloseTo(Math.log(9), 12);
    expect(predictLogistic(m, [1])).toBeCloseTo(0.75, 12);
  });

  it('with a penalty, stops where the penalised gradient is zero', () => {
    const r = createRandom(2);
    const x = Array.from({ length: 60 }, () => [r() * 2 - 1, r() * 2 - 1]);
    const y = x.map(([a, b]) => (r() < 1 / (1 + Math.exp(-(2 * a - b))) ? 1 : 0));
    const l2 = 0.7;
    const m = fitLogistic(x, y, { l2 });
    const g = [0, 0, 0];
    x.forEach((row, i) => {
      const p = predictLogistic(m, row);
      g[0] += p - y[i];
      g[1] += (p - y[i]) * row[0];
      g[2] += (p - y[i]) * row[1];
    });
    g[1] += l2 * m.weights[1];
    g[2] += l2 * m.weights[2];
    for (const v of g) expect(Math.abs(v)).toBeLessThan(1e-10);
    expect(m.iterations).toBeLessThan(20);
  });
});

const flag = (i: number, over: Partial<FlagFeatures>): FlagFeatures => ({
  flagId: i,
  rowId: i,
  rank: i,
  given: 0,
  methods: ['confident_learning'],
  margin: -0.5,
  selfConfidence: 0.2,
  neighbourDisagreement: 0.5,
  verdict: null,
  ...over,
});

describe('flag precision and the learned ranking', () => {
  it('counts verdicts per method and per class', () => {
    const flags = [
      flag(1, { verdict: 1, methods: ['confident_learning', 'neighbours'] }),
      flag(2, { verdict: 0 }),
      flag(3, { verdict: 1, given: 1 }),
      flag(4, { verdict: null }),
    ];
    const p = flagPrecision(flags, ['cat', 'dog']);
    expect(p.all).toEqual({ key: 'all', confirmed: 2, decided: 3 });
    expect(p.methods).toEqual([
      { key: 'confident_learning', confirmed: 2, decided: 3 },
      { key: 'neighbours', confirmed: 1, decided: 1 },
    ]);
    expect(p.classes).toEqual([
      { key: 'cat', confirmed: 1, decided: 2 },
      { key: 'dog', confirmed: 1, decided: 1 },
    ]);
  });

  it('waits for 30 verdicts, then puts the flags like the confirmed ones first', () => {
    const r = createRandom(3);
    // Truth: a flag is right when neighbours disagree; the original rank ignores that.
    const flags = Array.from({ length: 120 }, (_, i) => {
      const nd = r();
      return flag(i + 1, {
        neighbourDisagreement: nd,
        margin: -r(),
        verdict: null,
        _truth: nd > 0.5 ? 1 : 0,
      } as never);
    });
    const truth = (f: FlagFeatures) => (f as unknown as { _truth: 0 | 1 })._truth;
    const decide = (n: number) => flags.map((f, i) => (i < n ? { ...f, verdict: truth(f) } : f));
    expect(learnedRanking(decide(29), { classes: 2 })).toBeNull();
    const learned = learnedRanking(decide(40), { classes: 2 })!;
    expect(learned.verdicts).toBe(40);
    expect(learned.order).toHaveLength(80);
    const top = learned.order.slice(0, 20);
    expect(top.filter((f) => truth(f) === 1).length).toBeGreaterThanOrEqual(18);
    expect(learned.cv.model).toBeGreaterThan(learned.cv.original);
    // Seeded: the same answer twice.
    expect(learnedRanking(decide(40), { classes: 2 })!.cv).toEqual(learned.cv);
  });
});
