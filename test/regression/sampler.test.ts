import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/random.ts';
import { binomial, multinomial } from '../../src/stats/binomial.ts';
import { percentileInterval, quantileSorted } from '../../src/stats/quantile.ts';

/** Exact Binomial(n, p) pmf by the ratio recurrence from the mode (no underflow at large n). */
function pmf(n: number, p: number): Float64Array {
  const out = new Float64Array(n + 1);
  const m = Math.floor((n + 1) * p);
  out[m] = 1;
  for (let x = m + 1; x <= n; x++) out[x] = (out[x - 1] * (n - x + 1) * p) / (x * (1 - p));
  for (let x = m - 1; x >= 0; x--) out[x] = (out[x + 1] * (x + 1) * (1 - p)) / ((n - x) * p);
  const total = out.reduce((s, v) => s + v, 0);
  return out.map((v) => v / total);
}

/** Pearson's chi-square of draws against the exact pmf, bins merged to expected counts ≥ 10. */
function chiSquare(draws: number[], probs: Float64Array): { stat: number; df: number } {
  const counts = new Float64Array(probs.length);
  for (const d of draws) counts[d]++;
  let stat = 0;
  let df = -1;
  let obs = 0;
  let exp = 0;
  for (let x = 0; x < probs.length; x++) {
    obs += counts[x];
    exp += probs[x] * draws.length;
    if (exp >= 10 || x === probs.length - 1) {
      stat += ((obs - exp) * (obs - exp)) / exp;
      df++;
      obs = 0;
      exp = 0;
    }
  }
  return { stat, df };
}

/** The chi-square 0.999 quantile (Wilson–Hilferty), the bound a correct sampler stays under. */
const chi999 = (df: number) => df * (1 - 2 / (9 * df) + 3.0902 * Math.sqrt(2 / (9 * df))) ** 3;

describe('binomial sampler', () => {
  it('handles the edges exactly', () => {
    const r = createRandom(1);
    expect(binomial(r, 0, 0.4)).toBe(0);
    expect(binomial(r, 17, 0)).toBe(0);
    expect(binomial(r, 17, 1)).toBe(17);
    expect(() => binomial(r, -1, 0.5)).toThrow(/n must be an integer/);
    expect(() => binomial(r, 3, 1.5)).toThrow(/p must be in/);
  });

  // Inversion (n·p ≤ 30), BTPE (n·p > 30) and the mirrored p > 0.5 paths.
  for (const [n, p] of [
    [20, 0.3],
    [40, 0.9],
    [1000, 0.3],
    [5000, 0.02],
    [200, 0.5],
    [3000, 0.85],
  ] as const) {
    it(`matches the exact pmf of Binomial(${n}, ${p})`, () => {
      const r = createRandom(1000 + n);
      const draws = Array.from({ length: 40_000 }, () => binomial(r, n, p));
      const { stat, df } = chiSquare(draws, pmf(n, p));
      expect(df).toBeGreaterThan(3);
      expect(stat).toBeLessThan(chi999(df));
      expect(draws.every((d) => Number.isInteger(d) && d >= 0 && d <= n)).toBe(true);
    });
  }

  it('has the mean and variance of Binomial(1e6, 0.37) (the bootstrap regime)', () => {
    const r = createRandom(5);
    const n = 1_000_000;
    const p = 0.37;
    const k = 20_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < k; i++) {
      const x = binomial(r, n, p);
      s += x;
      s2 += x * x;
    }
    const mean = s / k;
    const variance = s2 / k - mean * mean;
    const sd = Math.sqrt(n * p * (1 - p));
    // Mean within 4 standard errors; variance within 5%.
    expect(Math.abs(mean - n * p)).toBeLessThan((4 * sd) / Math.sqrt(k));
    expect(variance / (n * p * (1 - p))).toBeGreaterThan(0.95);
    expect(variance / (n * p * (1 - p))).toBeLessThan(1.05);
  });

  it('is a function of the seed', () => {
    const a = Array.from(
      { length: 5 },
      (
        (r) => () =>
          binomial(r, 10_000, 0.2)
      )(createRandom(9)),
    );
    const b = Array.from(
      { length: 5 },
      (
        (r) => () =>
          binomial(r, 10_000, 0.2)
      )(createRandom(9)),
    );
    expect(a).toEqual(b);
  });
});

describe('multinomial sampler', () => {
  it('puts n in the cells with the right marginals', () => {
    const r = createRandom(3);
    const weights = [5, 0, 1, 3, 1];
    const sums = new Float64Array(weights.length);
    const k = 5000;
    for (let i = 0; i < k; i++) {
      const x = multinomial(r, 1000, weights);
      expect(x.reduce((s, v) => s + v, 0)).toBe(1000);
      expect(x[1]).toBe(0);
      x.forEach((v, j) => {
        sums[j] += v;
      });
    }
    // Each marginal is Binomial(1000, w/10): its mean within 4 standard errors.
    weights.forEach((w, j) => {
      const p = w / 10;
      const se = Math.sqrt((1000 * p * (1 - p)) / k);
      expect(Math.abs(sums[j] / k - 1000 * p)).toBeLessThanOrEqual(4 * se + 1e-9);
    });
  });

  it('refuses weights that are not a distribution', () => {
    const r = createRandom(1);
    expect(() => multinomial(r, 3, [0, 0])).toThrow(/sum to 0/);
    expect(() => multinomial(r, 3, [1, -1])).toThrow(/weights\[1\]/);
  });
});

describe('quantiles', () => {
  it('interpolates like numpy', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantileSorted([1, 2, 3, 4], 1)).toBe(4);
    expect(percentileInterval(Float64Array.of(3, 1, 2, 5, 4), 0.5)).toEqual([2, 4]);
  });
});
