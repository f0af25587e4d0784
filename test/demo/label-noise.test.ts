import { describe, expect, it } from 'vitest';
import { readDigits } from '../../src/demo/digits.ts';
import { planLabelNoise } from '../../src/demo/label-noise.ts';

describe('planLabelNoise', () => {
  it('holds out round(25%) and flips round(3%) of the rest on the 1797 digits', () => {
    const { labels } = readDigits();
    const plan = planLabelNoise(labels, { seed: 11, numClasses: 10 });
    // 0.25 × 1797 = 449.25 → 449 held out; 0.03 × (1797 − 449) = 40.44 → 40 flipped.
    expect(plan.heldOut).toHaveLength(449);
    expect(plan.flipped).toHaveLength(40);
    const held = new Set(plan.heldOut);
    const flipped = new Set(plan.flipped);
    expect(plan.flipped.some((i) => held.has(i))).toBe(false);
    plan.given.forEach((g, i) => {
      if (held.has(i)) expect(g).toBeNull();
      else if (flipped.has(i)) {
        expect(g).not.toBe(labels[i]);
        expect(Number.isInteger(g) && (g as number) >= 0 && (g as number) < 10).toBe(true);
      } else expect(g).toBe(labels[i]);
    });
    expect([...plan.heldOut].sort((a, b) => a - b)).toEqual(plan.heldOut);
  });

  it('counts by hand on a small case', () => {
    // 4 rows: 0.25 × 4 = 1 held out; 0.5 × 3 = 1.5 → 2 flipped (Math.round rounds half up).
    const plan = planLabelNoise([0, 1, 2, 1], { seed: 5, numClasses: 3, flipRate: 0.5, holdoutRate: 0.25 });
    expect(plan.heldOut).toHaveLength(1);
    expect(plan.flipped).toHaveLength(2);
    expect(plan.given.filter((g) => g === null)).toHaveLength(1);
  });

  it('is a pure function of the seed', () => {
    const labels = Array.from({ length: 300 }, (_, i) => i % 4);
    const a = planLabelNoise(labels, { seed: 1, numClasses: 4 });
    expect(planLabelNoise(labels, { seed: 1, numClasses: 4 })).toEqual(a);
    expect(planLabelNoise(labels, { seed: 2, numClasses: 4 }).heldOut).not.toEqual(a.heldOut);
  });

  it('refuses rates outside [0, 1] and a single class', () => {
    expect(() => planLabelNoise([0], { seed: 1, numClasses: 2, flipRate: 1.5 })).toThrow(/flipRate 1.5/);
    expect(() => planLabelNoise([0], { seed: 1, numClasses: 1 })).toThrow(/at least 2 classes/);
  });
});
