// umap-js 1.4's smoothKNNDistance recomputes the mean of every row's distances once per row whenever
// rho is 0, which transform() forces for every row: quadratic in the batch. Same numbers, linear.

const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;

/**
 * umap-js's smoothKNNDistance with the all-rows mean computed once instead of once per row: the
 * same sigmas and rhos, linear in the number of rows.
 */
export function smoothKnnDistance(
  distances: number[][],
  k: number,
  localConnectivity = 1.0,
  nIter = 64,
  bandwidth = 1.0,
): { sigmas: number[]; rhos: number[] } {
  const target = (Math.log(k) / Math.log(2)) * bandwidth;
  const rho = new Array<number>(distances.length).fill(0);
  const result = new Array<number>(distances.length).fill(0);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  let meanAll: number | null = null;
  for (let i = 0; i < distances.length; i++) {
    let lo = 0.0;
    let hi = Number.POSITIVE_INFINITY;
    let mid = 1.0;
    const ith = distances[i];
    const nonZero = ith.filter((d) => d > 0.0);
    if (nonZero.length >= localConnectivity) {
      const index = Math.floor(localConnectivity);
      const interpolation = localConnectivity - index;
      if (index > 0) {
        rho[i] = nonZero[index - 1];
        if (interpolation > SMOOTH_K_TOLERANCE)
          rho[i] += interpolation * (nonZero[index] - nonZero[index - 1]);
      } else {
        rho[i] = interpolation * nonZero[0];
      }
    } else if (nonZero.length > 0) {
      rho[i] = Math.max(...nonZero);
    }
    for (let n = 0; n < nIter; n++) {
      let psum = 0.0;
      for (let j = 1; j < ith.length; j++) {
        const d = ith[j] - rho[i];
        psum += d > 0 ? Math.exp(-(d / mid)) : 1.0;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2.0;
      } else {
        lo = mid;
        mid = hi === Number.POSITIVE_INFINITY ? mid * 2 : (lo + hi) / 2.0;
      }
    }
    result[i] = mid;
    if (rho[i] > 0.0) {
      const m = mean(ith);
      if (result[i] < MIN_K_DIST_SCALE * m) result[i] = MIN_K_DIST_SCALE * m;
    } else {
      meanAll ??= mean(distances.map(mean));
      if (result[i] < MIN_K_DIST_SCALE * meanAll) result[i] = MIN_K_DIST_SCALE * meanAll;
    }
  }
  return { sigmas: result, rhos: rho };
}
