/**
 * L2-penalised logistic regression fitted by Newton's method (IRLS): deterministic, exact to the
 * tolerance, no learning rate. The intercept is not penalised. For the few dozen to few thousand
 * verdicts a review queue collects, with a few dozen features.
 */
export interface LogisticModel {
  /** weights[0] is the intercept; weights[j + 1] goes with feature j. */
  weights: Float64Array;
  iterations: number;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Solve A x = b for a symmetric positive definite A (Cholesky), A row-major n × n. */
function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        // A tiny ridge keeps a singular Hessian (a constant feature, no penalty) solvable.
        l[i * n + i] = Math.sqrt(Math.max(s, 1e-12));
      } else l[i * n + j] = s / l[j * n + j];
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/**
 * Fit P(y = 1 | x) = σ(w₀ + w·x) minimising −log-likelihood + (l2 / 2)·|w|² (w₀ free).
 *
 * @example
 * // x = 0: 1 of 4 positive; x = 1: 3 of 4 → w₀ = log(1/3), w₁ = log 9 (no penalty).
 * fitLogistic([[0], [0], [0], [0], [1], [1], [1], [1]], [1, 0, 0, 0, 1, 1, 1, 0], { l2: 0 });
 */
export function fitLogistic(
  x: readonly (readonly number[])[],
  y: readonly number[],
  {
    l2 = 1,
    maxIterations = 100,
    tolerance = 1e-12,
  }: { l2?: number; maxIterations?: number; tolerance?: number } = {},
): LogisticModel {
  if (x.length !== y.length) throw new RangeError(`fitLogistic: ${x.length} rows but ${y.length} labels`);
  if (x.length === 0) throw new RangeError('fitLogistic: no rows');
  const d = x[0].length + 1;
  const w = new Float64Array(d);
  const grad = new Float64Array(d);
  const hess = new Float64Array(d * d);
  const row = new Float64Array(d);
  let it = 0;
  for (; it < maxIterations; it++) {
    grad.fill(0);
    hess.fill(0);
    for (let i = 0; i < x.length; i++) {
      row[0] = 1;
      for (let j = 1; j < d; j++) row[j] = x[i][j - 1];
      let z = 0;
      for (let j = 0; j < d; j++) z += w[j] * row[j];
      const p = sigmoid(z);
      const r = p - y[i];
      const s = p * (1 - p);
      for (let j = 0; j < d; j++) {
        grad[j] += r * row[j];
        for (let k = 0; k <= j; k++) hess[j * d + k] += s * row[j] * row[k];
      }
    }
    for (let j = 1; j < d; j++) {
      grad[j] += l2 * w[j];
      hess[j * d + j] += l2;
    }
    for (let j = 0; j < d; j++) for (let k = j + 1; k < d; k++) hess[j * d + k] = hess[k * d + j];
    const step = solveSpd(hess, grad, d);
    let change = 0;
    for (let j = 0; j < d; j++) {
      w[j] -= step[j];
      change = Math.max(change, Math.abs(step[j]));
    }
    if (change < tolerance) {
      it++;
      break;
    }
  }
  return { weights: w, iterations: it };
}

/** P(y = 1 | x) under a fitted model. */
export function predictLogistic(model: LogisticModel, x: readonly number[]): number {
  let z = model.weights[0];
  for (let j = 0; j < x.length; j++) z += model.weights[j + 1] * x[j];
  return sigmoid(z);
}
