/**
 * Uncertainty scores, all "higher = more uncertain", in [0, 1]:
 * - least confidence: 1 − p_max
 * - margin: 1 − (p_1 − p_2), the top two probabilities (stored this way so all three sort alike)
 * - entropy: −Σ p log p / log K (0 for K = 1)
 * A detection box is a Bernoulli with p = its score: least 1 − max(s, 1 − s), margin 1 − |2s − 1|,
 * entropy H(s) / log 2.
 */
import type { Probs } from './confident-learning.ts';

/** The uncertainty measures, in the order the CLI, bot and board offer them. */
export const STRATEGIES = ['least', 'margin', 'entropy'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface Uncertainty {
  least: Float64Array;
  margin: Float64Array;
  entropy: Float64Array;
}

/**
 * Scores for every row of an N×K probability matrix.
 *
 * @example
 * const { least, margin, entropy } = classificationUncertainty(probs, 10);
 */
export function classificationUncertainty(probs: Probs, k: number): Uncertainty {
  const n = probs.length / k;
  if (!Number.isInteger(n))
    throw new Error(`uncertainty: ${probs.length} values is not a multiple of K = ${k}`);
  const least = new Float64Array(n);
  const margin = new Float64Array(n);
  const entropy = new Float64Array(n);
  const logK = Math.log(k);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    let p1 = Number.NEGATIVE_INFINITY;
    let p2 = Number.NEGATIVE_INFINITY;
    let h = 0;
    for (let j = 0; j < k; j++) {
      const p = probs[base + j];
      if (p > p1) {
        p2 = p1;
        p1 = p;
      } else if (p > p2) p2 = p;
      if (p > 0) h -= p * Math.log(p);
    }
    least[i] = clamp01(1 - p1);
    margin[i] = k > 1 ? clamp01(1 - (p1 - p2)) : 0;
    entropy[i] = k > 1 ? clamp01(h / logK) : 0;
  }
  return { least, margin, entropy };
}

function clamp01(x: number): number {
  return Math.min(Math.max(x, 0), 1);
}

/**
 * One strategy's scores for every row: the cheaper path when only one ranking is wanted (entropy
 * needs a logarithm per probability, least confidence only the maximum).
 *
 * @example
 * const best = topK(uncertaintyScores(probs, 100, 'margin'), 50);
 */
export function uncertaintyScores(probs: Probs, k: number, strategy: Strategy): Float64Array {
  const n = probs.length / k;
  if (!Number.isInteger(n))
    throw new Error(`uncertainty: ${probs.length} values is not a multiple of K = ${k}`);
  const out = new Float64Array(n);
  const logK = Math.log(k);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    if (strategy === 'entropy') {
      let h = 0;
      for (let j = 0; j < k; j++) {
        const p = probs[base + j];
        if (p > 0) h -= p * Math.log(p);
      }
      out[i] = k > 1 ? clamp01(h / logK) : 0;
      continue;
    }
    let p1 = Number.NEGATIVE_INFINITY;
    let p2 = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      const p = probs[base + j];
      if (p > p1) {
        p2 = p1;
        p1 = p;
      } else if (p > p2) p2 = p;
    }
    out[i] = strategy === 'least' ? clamp01(1 - p1) : k > 1 ? clamp01(1 - (p1 - p2)) : 0;
  }
  return out;
}

/** One box's uncertainty under `strategy`, its score read as a Bernoulli probability. */
export function boxUncertainty(score: number, strategy: Strategy): number {
  const s = clamp01(score);
  if (strategy === 'least') return 1 - Math.max(s, 1 - s);
  if (strategy === 'margin') return 1 - Math.abs(2 * s - 1);
  if (s === 0 || s === 1) return 0;
  return -(s * Math.log(s) + (1 - s) * Math.log(1 - s)) / Math.LN2;
}

/**
 * An image's uncertainty from its box scores: boxes below `floor` are ignored; an image with no box
 * left is maximally uncertain (1); otherwise the max (default) or mean of its box uncertainties.
 */
export function imageUncertainty(
  scores: ArrayLike<number>,
  strategy: Strategy,
  { floor = 0.2, aggregate = 'max' }: { floor?: number; aggregate?: 'max' | 'mean' } = {},
): number {
  let count = 0;
  let max = 0;
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] < floor) continue;
    const u = boxUncertainty(scores[i], strategy);
    count++;
    sum += u;
    if (u > max) max = u;
  }
  if (count === 0) return 1;
  return aggregate === 'max' ? max : sum / count;
}

/**
 * Indices of the `n` largest scores, largest first (ties: lower index first), NaN ignored. A bounded
 * min-heap: O(N log n), no full sort.
 *
 * @example
 * topK(new Float64Array([0.1, 0.9, 0.5]), 2); // Int32Array [1, 2]
 */
export function topK(scores: ArrayLike<number>, n: number): Int32Array {
  const cap = Math.max(0, Math.min(n, scores.length));
  const hv = new Float64Array(cap);
  const hi = new Int32Array(cap);
  let size = 0;
  // "a is worse than b": smaller score, or equal score and later index.
  const worse = (va: number, ia: number, vb: number, ib: number) => va < vb || (va === vb && ia > ib);
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (Number.isNaN(v) || cap === 0) continue;
    if (size < cap) {
      let c = size++;
      hv[c] = v;
      hi[c] = i;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(hv[c], hi[c], hv[p], hi[p])) break;
        [hv[c], hv[p]] = [hv[p], hv[c]];
        [hi[c], hi[p]] = [hi[p], hi[c]];
        c = p;
      }
    } else if (v > hv[0]) {
      hv[0] = v;
      hi[0] = i;
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= size) break;
        let w = l;
        if (l + 1 < size && worse(hv[l + 1], hi[l + 1], hv[l], hi[l])) w = l + 1;
        if (!worse(hv[w], hi[w], hv[c], hi[c])) break;
        [hv[c], hv[w]] = [hv[w], hv[c]];
        [hi[c], hi[w]] = [hi[w], hi[c]];
        c = w;
      }
    }
  }
  const out = Array.from(hi.subarray(0, size));
  out.sort((a, b) => scores[b] - scores[a] || a - b);
  return Int32Array.from(out);
}
