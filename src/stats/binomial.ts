import type { Random } from '../random.ts';

/**
 * Exact binomial and multinomial draws from an injected uniform source (src/random.ts), so a
 * bootstrap over a million rows costs a few draws per distinct cell instead of a million.
 *
 * Binomial(n, p) is drawn as numpy's `random_binomial` does: by inversion when the mean of the
 * smaller tail is ≤ 30 (walking the pmf from 0), else by BTPE, the triangle/parallelogram/
 * exponential rejection sampler of Kachitvichyanukul & Schmeiser (1988), whose acceptance test
 * compares against the exact pmf ratio (or Stirling bounds far from the mode), so both are exact
 * in distribution.
 */

/** Inversion: walk P(X = 0), P(X = 1), … until the uniform is used up (mean ≤ 30, so a short walk). */
function inversion(random: Random, n: number, p: number): number {
  const q = 1 - p;
  const qn = Math.exp(n * Math.log(q));
  const np = n * p;
  // Beyond this the remaining mass is negligible; restarting there keeps the walk bounded.
  const bound = Math.min(n, Math.floor(np + 10 * Math.sqrt(np * q + 1)));
  for (;;) {
    let x = 0;
    let px = qn;
    let u = random();
    while (u > px) {
      x++;
      if (x > bound) break;
      u -= px;
      px = ((n - x + 1) * p * px) / (x * q);
    }
    if (x <= bound) return x;
  }
}

/** Stirling-series correction term used by BTPE's final acceptance test. */
const stirling = (x: number) => {
  const x2 = x * x;
  return (13680 - (462 - (132 - (99 - 140 / x2) / x2) / x2) / x2) / x / 166320;
};

/** BTPE for p ≤ 0.5 and n·p > 30. */
function btpe(random: Random, n: number, p: number): number {
  const r = p;
  const q = 1 - r;
  const nrq = n * r * q;
  const fm = n * r + r;
  const m = Math.floor(fm);
  const p1 = Math.floor(2.195 * Math.sqrt(nrq) - 4.6 * q) + 0.5;
  const xm = m + 0.5;
  const xl = xm - p1;
  const xr = xm + p1;
  const c = 0.134 + 20.5 / (15.3 + m);
  let a = (fm - xl) / (fm - xl * r);
  const laml = a * (1 + a / 2);
  a = (xr - fm) / (xr * q);
  const lamr = a * (1 + a / 2);
  const p2 = p1 * (1 + 2 * c);
  const p3 = p2 + c / laml;
  const p4 = p3 + c / lamr;
  for (;;) {
    const u = random() * p4;
    let v = random();
    let y: number;
    if (u <= p1) {
      // The triangle: accepted at once.
      return Math.floor(xm - p1 * v + u);
    }
    if (u <= p2) {
      const x = xl + (u - p1) / c;
      v = v * c + 1 - Math.abs(m - x + 0.5) / p1;
      if (v > 1) continue;
      y = Math.floor(x);
    } else if (u <= p3) {
      if (v === 0) continue;
      y = Math.floor(xl + Math.log(v) / laml);
      if (y < 0) continue;
      v = v * (u - p2) * laml;
    } else {
      if (v === 0) continue;
      y = Math.floor(xr - Math.log(v) / lamr);
      if (y > n) continue;
      v = v * (u - p3) * lamr;
    }
    const k = Math.abs(y - m);
    if (k <= 20 || k >= nrq / 2 - 1) {
      // Near the mode: the exact ratio f(y)/f(m) by recursion.
      const s = r / q;
      const aa = s * (n + 1);
      let f = 1;
      if (m < y) for (let i = m + 1; i <= y; i++) f *= aa / i - s;
      else if (m > y) for (let i = y + 1; i <= m; i++) f /= aa / i - s;
      if (v > f) continue;
      return y;
    }
    // Far from the mode: squeeze with bounds on log f(y)/f(m), then the Stirling-based exact test.
    const rho = (k / nrq) * ((k * (k / 3 + 0.625) + 0.16666666666666666) / nrq + 0.5);
    const t = (-k * k) / (2 * nrq);
    const logv = Math.log(v);
    if (logv < t - rho) return y;
    if (logv > t + rho) continue;
    const x1 = y + 1;
    const f1 = m + 1;
    const z = n + 1 - m;
    const w = n - y + 1;
    const bound =
      xm * Math.log(f1 / x1) +
      (n - m + 0.5) * Math.log(z / w) +
      (y - m) * Math.log((w * r) / (x1 * q)) +
      stirling(f1) +
      stirling(z) +
      stirling(x1) +
      stirling(w);
    if (logv > bound) continue;
    return y;
  }
}

/**
 * One draw of Binomial(n, p): the number of successes in n independent trials of probability p.
 *
 * @example
 * binomial(createRandom(1), 1_000_000, 0.3); // ≈ 300000
 */
export function binomial(random: Random, n: number, p: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`binomial: n must be an integer ≥ 0, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomial: p must be in [0, 1], got ${p}`);
  if (n === 0 || p === 0) return 0;
  if (p === 1) return n;
  if (p <= 0.5) return p * n <= 30 ? inversion(random, n, p) : btpe(random, n, p);
  const q = 1 - p;
  return n - (q * n <= 30 ? inversion(random, n, q) : btpe(random, n, q));
}

/**
 * One draw of Multinomial(n, weights / Σ weights) into `out` (allocated when absent), by the
 * chain of conditional binomials: cell i gets Binomial(left, w_i / Σ_{j≥i} w_j).
 *
 * @example
 * multinomial(createRandom(1), 100, [1, 1, 2]); // e.g. Int32Array [24, 27, 49]
 */
export function multinomial(
  random: Random,
  n: number,
  weights: ArrayLike<number>,
  out: Int32Array = new Int32Array(weights.length),
): Int32Array {
  let rest = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i];
    if (!(w >= 0) || !Number.isFinite(w))
      throw new RangeError(`multinomial: weights[${i}] must be a finite number ≥ 0, got ${w}`);
    rest += w;
  }
  if (n > 0 && rest <= 0) throw new RangeError('multinomial: the weights sum to 0');
  let left = n;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i];
    if (left === 0 || w === 0) {
      out[i] = 0;
    } else if (i === weights.length - 1 || w >= rest) {
      out[i] = left;
      left = 0;
    } else {
      const x = binomial(random, left, w / rest);
      out[i] = x;
      left -= x;
    }
    rest -= w;
  }
  return out;
}
