import type { UMAP } from 'umap-js';
import { umapInternals } from './umap-internals.ts';

// umap-js 1.4 keeps the layout as an array of 2-element arrays and its per-edge state in plain
// arrays; its SGD (optimizeLayoutStep) then spends most of a 50k-point fit chasing pointers and
// missing caches on the random negative samples. fastOptimizeLayout runs the very same epochs —
// the same arithmetic in the same order, the same draws from the same random source — on flat
// Float64Arrays, and writes the result back where umap-js expects it, so coordinates are
// bit-identical (the pinned-coordinate tests hold) and fit and transform are faster.

function clip(x: number, c: number): number {
  if (x > c) return c;
  if (x < -c) return -c;
  return x;
}

function pack(points: number[][], dim: number): Float64Array {
  const out = new Float64Array(points.length * dim);
  for (let i = 0; i < points.length; i++) for (let d = 0; d < dim; d++) out[i * dim + d] = points[i][d];
  return out;
}

function unpack(flat: Float64Array, points: number[][], dim: number): void {
  for (let i = 0; i < points.length; i++) for (let d = 0; d < dim; d++) points[i][d] = flat[i * dim + d];
}

/**
 * Replace a umap-js instance's optimizeLayout (used by fit and transform) with the same SGD on
 * flat arrays.
 *
 * @example
 * const umap = new UMAP({ nEpochs: 200, random });
 * fastOptimizeLayout(umap);
 * const embedding = umap.fit(X);
 */
export function fastOptimizeLayout(umap: UMAP): void {
  const u = umapInternals(umap);
  u.optimizeLayout = () => {
    const st = u.optimizationState;
    const { dim, moveOther, initialAlpha, gamma, a, b, nEpochs, nVertices } = st;
    const random = u.random;
    const shared = st.headEmbedding === st.tailEmbedding;
    const headE = pack(st.headEmbedding, dim);
    const tailE = shared ? headE : pack(st.tailEmbedding, dim);
    const edges = st.epochsPerSample.length;
    const head = Int32Array.from(st.head);
    const tail = Int32Array.from(st.tail);
    const perSample = Float64Array.from(st.epochsPerSample);
    const nextSample = Float64Array.from(st.epochOfNextSample);
    const nextNegative = Float64Array.from(st.epochOfNextNegativeSample);
    const perNegative = Float64Array.from(st.epochsPerNegativeSample);
    const clipValue = 4.0;
    let alpha = st.alpha;
    let n = st.currentEpoch;
    while (n < nEpochs) {
      for (let i = 0; i < edges; i++) {
        if (nextSample[i] > n) continue;
        const j = head[i] * dim;
        const k = tail[i] * dim;
        let distSquared = 0.0;
        for (let d = 0; d < dim; d++) distSquared += (headE[j + d] - tailE[k + d]) ** 2;
        let gradCoeff = 0;
        if (distSquared > 0) {
          gradCoeff = -2.0 * a * b * distSquared ** (b - 1.0);
          gradCoeff /= a * distSquared ** b + 1.0;
        }
        for (let d = 0; d < dim; d++) {
          const gradD = clip(gradCoeff * (headE[j + d] - tailE[k + d]), clipValue);
          headE[j + d] += gradD * alpha;
          if (moveOther) tailE[k + d] += -gradD * alpha;
        }
        nextSample[i] += perSample[i];
        const nNegSamples = Math.floor((n - nextNegative[i]) / perNegative[i]);
        for (let p = 0; p < nNegSamples; p++) {
          const k1 = Math.floor(random() * nVertices);
          const o = k1 * dim;
          let dist1 = 0.0;
          for (let d = 0; d < dim; d++) dist1 += (headE[j + d] - tailE[o + d]) ** 2;
          let gradCoeff1 = 0.0;
          if (dist1 > 0.0) {
            gradCoeff1 = 2.0 * gamma * b;
            gradCoeff1 /= (0.001 + dist1) * (a * dist1 ** b + 1);
          } else if (head[i] === k1) {
            continue;
          }
          for (let d = 0; d < dim; d++) {
            let gradD = 4.0;
            if (gradCoeff1 > 0.0) gradD = clip(gradCoeff1 * (headE[j + d] - tailE[o + d]), clipValue);
            headE[j + d] += gradD * alpha;
          }
        }
        nextNegative[i] += nNegSamples * perNegative[i];
      }
      alpha = initialAlpha * (1.0 - n / nEpochs);
      n += 1;
    }
    unpack(headE, st.headEmbedding, dim);
    if (!shared && moveOther) unpack(tailE, st.tailEmbedding, dim);
    st.alpha = alpha;
    st.currentEpoch = n;
    for (let i = 0; i < edges; i++) {
      st.epochOfNextSample[i] = nextSample[i];
      st.epochOfNextNegativeSample[i] = nextNegative[i];
    }
    return st.headEmbedding;
  };
}
