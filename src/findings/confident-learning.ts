/**
 * Confident learning (Northcutt, Jiang, Chuang, JAIR 2021), following cleanlab's
 * `filter.find_label_issues(labels, pred_probs, filter_by='prune_by_noise_rate')` step by step:
 * per-class thresholds → confident joint → calibration to the label counts → prune counts
 * (`_keep_at_least_n_per_class`) → for every off-diagonal cell (i, j) the `n` rows labeled i with
 * the largest margin p_j − p_i → drop rows whose argmax is their label. A row is flagged at most once.
 *
 * Pure: `labels` (N) and `probs` (N×K row-major) in, typed arrays out.
 */

export type Probs = Float32Array | Float64Array;

/** cleanlab's CONFIDENT_THRESHOLDS_LOWER_BOUND and FLOATING_POINT_COMPARISON. */
const THRESHOLD_LOWER_BOUND = 2e-6;
const FLOAT_COMPARISON = 1e-6;
/** Threshold for a class nobody is labeled with: no probability reaches it. */
const MISSING_CLASS_THRESHOLD = 2;

function checkShapes(labels: Int32Array, probs: Probs, k: number): number {
  const n = labels.length;
  if (!Number.isInteger(k) || k < 1) throw new Error(`confident learning: expected K ≥ 1 classes, got ${k}`);
  if (probs.length !== n * k)
    throw new Error(
      `confident learning: probs has ${probs.length} values, expected N×K = ${n}×${k} = ${n * k}`,
    );
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l < 0 || l >= k) throw new Error(`confident learning: label ${l} at row ${i} is outside 0..${k - 1}`);
  }
  return n;
}

/** Rows per class. */
export function labelCounts(labels: Int32Array, k: number): Int32Array {
  const counts = new Int32Array(k);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

/**
 * t_j = mean p_j over the rows labeled j (cleanlab `get_confident_thresholds`); a class with no rows
 * gets 2 so nothing is counted into it.
 */
export function confidentThresholds(labels: Int32Array, probs: Probs, k: number): Float64Array {
  const n = checkShapes(labels, probs, k);
  const counts = labelCounts(labels, k);
  // Gather each class's self-probabilities contiguously so the mean sums them in numpy's order.
  const start = new Int32Array(k + 1);
  for (let j = 0; j < k; j++) start[j + 1] = start[j] + counts[j];
  const fill = start.slice(0, k);
  const f32 = probs instanceof Float32Array;
  const self = f32 ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) self[fill[labels[i]]++] = probs[i * k + labels[i]];
  const t = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    if (!counts[j]) {
      t[j] = MISSING_CLASS_THRESHOLD;
      continue;
    }
    const sum = pairwiseSum(self, start[j], counts[j], f32);
    const mean = f32 ? Math.fround(sum / counts[j]) : sum / counts[j];
    t[j] = Math.max(mean, THRESHOLD_LOWER_BOUND);
  }
  return t;
}

/**
 * numpy's pairwise summation (`pairwise_sum_DOUBLE`: 8 partial sums per block of ≤ 128, halves above),
 * so sums that decide a rounding (x.5 ties in calibration) come out bit-identical to cleanlab's.
 * `f32` rounds every step to float32, as numpy does for float32 arrays.
 */
export function pairwiseSum(a: ArrayLike<number>, start: number, n: number, f32 = false): number {
  const r = f32 ? Math.fround : (x: number) => x;
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res = r(res + a[start + i]);
    return res;
  }
  if (n <= 128) {
    const acc = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => a[start + j]);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) acc[j] = r(acc[j] + a[start + i + j]);
    let res = r(r(r(acc[0] + acc[1]) + r(acc[2] + acc[3])) + r(r(acc[4] + acc[5]) + r(acc[6] + acc[7])));
    for (; i < n; i++) res = r(res + a[start + i]);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return r(pairwiseSum(a, start, n2, f32) + pairwiseSum(a, start + n2, n - n2, f32));
}

export interface ConfidentJoint {
  /** K×K counts, row = given label, column = confidently guessed true label; diagonal ≥ 1. */
  joint: Int32Array;
  /** Per row: the class it was counted into, or −1 when no class reached its threshold. */
  guess: Int32Array;
  /** Per row: the largest probability of a class other than its label (bounds its margins). */
  maxOther: Float64Array;
}

/**
 * C[i][j] counts rows labeled i whose p_j ≥ t_j; with several classes above threshold the row's
 * argmax decides (as cleanlab does); rows with none above threshold are not counted.
 */
export function confidentJoint(
  labels: Int32Array,
  probs: Probs,
  k: number,
  thresholds: Float64Array,
): ConfidentJoint {
  const n = checkShapes(labels, probs, k);
  const cut = new Float64Array(k);
  for (let j = 0; j < k; j++) cut[j] = thresholds[j] - FLOAT_COMPARISON;
  const joint = new Int32Array(k * k);
  const guess = new Int32Array(n);
  const maxOther = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    const own = labels[i];
    let other = Number.NEGATIVE_INFINITY;
    let confident = 0;
    let firstConfident = -1;
    let argmax = 0;
    let max = probs[base];
    for (let j = 0; j < k; j++) {
      const p = probs[base + j];
      if (p > max) {
        max = p;
        argmax = j;
      }
      if (p > other && j !== own) other = p;
      if (p >= cut[j]) {
        if (confident === 0) firstConfident = j;
        confident++;
      }
    }
    const g = confident === 0 ? -1 : confident === 1 ? firstConfident : argmax;
    guess[i] = g;
    maxOther[i] = other;
    if (g >= 0) joint[own * k + g]++;
  }
  for (let j = 0; j < k; j++) if (joint[j * k + j] < 1) joint[j * k + j] = 1;
  return { joint, guess, maxOther };
}

/** numpy's `round`: halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** cleanlab `round_preserving_sum`: round, then nudge the entries with the largest remainders. */
export function roundPreservingSum(floats: Float64Array): Float64Array {
  const ints = floats.map(roundHalfEven);
  const want = roundHalfEven(pairwiseSum(floats, 0, floats.length));
  let have = roundHalfEven(ints.reduce((a, b) => a + b, 0));
  while (Math.abs(have - want) > FLOAT_COMPARISON) {
    const diff = roundHalfEven(want - have);
    const step = diff < 0 ? -1 : 1;
    const changes = Math.min(Math.abs(diff), floats.length);
    // Stable ascending argsort of the remainders; reversed when adding, as numpy's [::-1] does.
    const order = Array.from(floats.keys()).sort(
      (a, b) => floats[a] - ints[a] - (floats[b] - ints[b]) || a - b,
    );
    if (step > 0) order.reverse();
    for (const i of order.slice(0, changes)) ints[i] += step;
    have = roundHalfEven(ints.reduce((a, b) => a + b, 0));
  }
  return ints;
}

/** Round each row of a K×K matrix to integers keeping the row totals. */
export function roundPreservingRowTotals(matrix: Float64Array, k: number): Int32Array {
  const out = new Int32Array(k * k);
  for (let i = 0; i < k; i++) out.set(roundPreservingSum(matrix.slice(i * k, i * k + k)), i * k);
  return out;
}

/**
 * cleanlab `calibrate_confident_joint`: scale each row to its label count, then the whole matrix to N,
 * then round keeping row totals.
 */
export function calibrateConfidentJoint(joint: Int32Array, counts: Int32Array, k: number): Int32Array {
  const cal = new Float64Array(k * k);
  let n = 0;
  for (let i = 0; i < k; i++) {
    n += counts[i];
    let rowSum = 0;
    for (let j = 0; j < k; j++) rowSum += joint[i * k + j];
    const denom = Math.max(rowSum, 1e-100);
    for (let j = 0; j < k; j++) cal[i * k + j] = (joint[i * k + j] / denom) * counts[i];
  }
  const denom = Math.max(pairwiseSum(cal, 0, cal.length), 1e-100);
  for (let i = 0; i < cal.length; i++) cal[i] = (cal[i] / denom) * n;
  return roundPreservingRowTotals(cal, k);
}

/**
 * cleanlab `_keep_at_least_n_per_class` (frac_noise = 1) on the transposed calibrated joint: raise each
 * diagonal to at least `n`, taking the difference evenly from the column's non-zero noise cells.
 * Returned in the transposed orientation: `[j * K + i]` = rows labeled i to prune towards j.
 */
export function pruneCounts(calibrated: Int32Array, k: number, minPerClass: number): Int32Array {
  const pcm = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) pcm[j * k + i] = calibrated[i * k + j];
  const out = new Int32Array(k * k);
  for (let c = 0; c < k; c++) {
    const diag = pcm[c * k + c];
    const newDiag = Math.max(diag, minPerClass);
    const diff = newDiag - diag;
    let nonZero = 0;
    for (let r = 0; r < k; r++) if (pcm[r * k + c] !== 0) nonZero++;
    const per = diff / Math.max(nonZero - 1, 1);
    for (let r = 0; r < k; r++) {
      const v = r === c ? newDiag : Math.max(pcm[r * k + c] - per, 0);
      out[r * k + c] = Math.trunc(v);
    }
  }
  return out;
}

export interface NoiseEstimate {
  /** P(given = i | true = j) at `[i * K + j]`: the calibrated joint normalised by column. */
  noiseMatrix: Float64Array;
  /** Estimated number of mislabeled rows per given label: the calibrated joint's off-diagonal row sums. */
  issuesPerClass: Int32Array;
}

/** The noise matrix and per-class issue counts implied by a calibrated confident joint. */
export function estimateNoise(calibrated: Int32Array, k: number): NoiseEstimate {
  const noiseMatrix = new Float64Array(k * k);
  const issuesPerClass = new Int32Array(k);
  for (let j = 0; j < k; j++) {
    let col = 0;
    for (let i = 0; i < k; i++) col += calibrated[i * k + j];
    const denom = Math.max(col, 1e-100);
    for (let i = 0; i < k; i++) noiseMatrix[i * k + j] = calibrated[i * k + j] / denom;
  }
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) if (i !== j) issuesPerClass[i] += calibrated[i * k + j];
  return { noiseMatrix, issuesPerClass };
}

export interface LabelIssues {
  /** 1 where the row is flagged. */
  mask: Uint8Array;
  thresholds: Float64Array;
  joint: Int32Array;
  calibrated: Int32Array;
  /** Transposed prune counts, as cleanlab's `prune_count_matrix`. */
  prune: Int32Array;
  noise: NoiseEstimate;
  counts: Int32Array;
}

/**
 * Flag label issues by "prune by noise rate".
 *
 * @example
 * const { mask } = findLabelIssues(new Int32Array([0, 0, 1]), new Float64Array([0.9, 0.1, 0.2, 0.8, 0.7, 0.3]), 2);
 */
export function findLabelIssues(
  labels: Int32Array,
  probs: Probs,
  k: number,
  { minExamplesPerClass = 1 }: { minExamplesPerClass?: number } = {},
): LabelIssues {
  const n = checkShapes(labels, probs, k);
  const counts = labelCounts(labels, k);
  const thresholds = confidentThresholds(labels, probs, k);
  const { joint, maxOther } = confidentJoint(labels, probs, k, thresholds);
  const calibrated = calibrateConfidentJoint(joint, counts, k);
  const prune = pruneCounts(calibrated, k, minExamplesPerClass);

  // One bounded min-heap per off-diagonal cell (given i → j) keeps the rows with the largest margins.
  // `bar[i*K+j]` is the margin a row must beat to enter: −∞ while the heap fills, then its minimum
  // (a later row with an equal margin loses, as with a stable sort), +∞ for cells with nothing to prune.
  const cellStart = new Int32Array(k * k).fill(-1);
  const cellCap = new Int32Array(k * k);
  const cellSize = new Int32Array(k * k);
  const bar = new Float64Array(k * k).fill(Number.POSITIVE_INFINITY);
  const active = new Uint8Array(k);
  let pool = 0;
  for (let i = 0; i < k; i++) {
    if (counts[i] <= minExamplesPerClass) continue;
    for (let j = 0; j < k; j++) {
      const cap = j === i ? 0 : Math.min(prune[j * k + i], counts[i]);
      if (cap > 0) {
        cellStart[i * k + j] = pool;
        cellCap[i * k + j] = cap;
        bar[i * k + j] = Number.NEGATIVE_INFINITY;
        pool += cap;
        active[i] = 1;
      }
    }
  }
  const heapMargin = new Float64Array(pool);
  const heapRow = new Int32Array(pool);
  const f32 = probs instanceof Float32Array;
  // The lowest bar of each class: a row whose best margin (maxOther − p_i) cannot pass it is skipped
  // without reading its probabilities again. Bars only rise, so a stale (lower) value is merely loose.
  const classBar = new Float64Array(k).fill(Number.NEGATIVE_INFINITY);
  const refreshClassBar = (i: number) => {
    let lo = Number.POSITIVE_INFINITY;
    for (let j = 0; j < k; j++) if (bar[i * k + j] < lo) lo = bar[i * k + j];
    classBar[i] = lo;
  };

  for (let r = 0; r < n; r++) {
    const i = labels[r];
    if (!active[i]) continue;
    const base = r * k;
    const rowBar = i * k;
    const pi = probs[base + i];
    const best = f32 ? Math.fround(maxOther[r] - pi) : maxOther[r] - pi;
    if (!(best > classBar[i])) continue;
    let raised = false;
    for (let j = 0; j < k; j++) {
      // numpy subtracts float32 columns in float32.
      const m = f32 ? Math.fround(probs[base + j] - pi) : probs[base + j] - pi;
      if (!(m > bar[rowBar + j])) continue;
      const cell = rowBar + j;
      const start = cellStart[cell];
      const size = cellSize[cell];
      if (size < cellCap[cell]) {
        heapPush(heapMargin, heapRow, start, size, m, r);
        cellSize[cell] = size + 1;
        if (size + 1 === cellCap[cell]) {
          bar[cell] = heapMargin[start];
          raised = true;
        }
      } else {
        heapReplaceTop(heapMargin, heapRow, start, size, m, r);
        bar[cell] = heapMargin[start];
        raised = true;
      }
    }
    if (raised) refreshClassBar(i);
  }

  const mask = new Uint8Array(n);
  for (let cell = 0; cell < k * k; cell++) {
    const s = cellStart[cell];
    if (s < 0) continue;
    for (let h = 0; h < cellSize[cell]; h++) mask[heapRow[s + h]] = 1;
  }
  // cleanlab drops any row whose (first) argmax equals its given label.
  for (let r = 0; r < n; r++) {
    if (!mask[r]) continue;
    if (argmaxRow(probs, r, k) === labels[r]) mask[r] = 0;
  }
  return { mask, thresholds, joint, calibrated, prune, noise: estimateNoise(calibrated, k), counts };
}

/** Ties keep the earlier row, as a stable sort on −margin would: the later row is "smaller". */
function worse(m: Float64Array, row: Int32Array, a: number, b: number): boolean {
  return m[a] < m[b] || (m[a] === m[b] && row[a] > row[b]);
}

function heapPush(m: Float64Array, row: Int32Array, s: number, size: number, v: number, r: number): void {
  let c = size;
  m[s + c] = v;
  row[s + c] = r;
  while (c > 0) {
    const p = (c - 1) >> 1;
    if (!worse(m, row, s + c, s + p)) break;
    swap(m, row, s + c, s + p);
    c = p;
  }
}

function heapReplaceTop(
  m: Float64Array,
  row: Int32Array,
  s: number,
  size: number,
  v: number,
  r: number,
): void {
  m[s] = v;
  row[s] = r;
  let c = 0;
  for (;;) {
    const l = 2 * c + 1;
    if (l >= size) break;
    let w = l;
    if (l + 1 < size && worse(m, row, s + l + 1, s + l)) w = l + 1;
    if (!worse(m, row, s + w, s + c)) break;
    swap(m, row, s + w, s + c);
    c = w;
  }
}

function swap(m: Float64Array, row: Int32Array, a: number, b: number): void {
  const tm = m[a];
  m[a] = m[b];
  m[b] = tm;
  const tr = row[a];
  row[a] = row[b];
  row[b] = tr;
}

/** Index of the first largest probability in row r. */
export function argmaxRow(probs: Probs, r: number, k: number): number {
  const base = r * k;
  let best = 0;
  let max = probs[base];
  for (let j = 1; j < k; j++) {
    if (probs[base + j] > max) {
      max = probs[base + j];
      best = j;
    }
  }
  return best;
}

/** Most likely class other than `given` (first on ties). */
export function bestOther(probs: Probs, r: number, k: number, given: number): number {
  const base = r * k;
  let best = -1;
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < k; j++) {
    if (j !== given && probs[base + j] > max) {
      max = probs[base + j];
      best = j;
    }
  }
  return best;
}

export type RankBy = 'self_confidence' | 'normalized_margin';

/**
 * Label quality per row in [0, 1], lower = more likely mislabeled: self-confidence p_given, or
 * cleanlab's normalized margin (p_given − max_{j≠given} p_j + 1) / 2.
 */
export function labelQualityScores(
  labels: Int32Array,
  probs: Probs,
  k: number,
  rankBy: RankBy,
): Float64Array {
  const n = checkShapes(labels, probs, k);
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const g = labels[r];
    const p = probs[r * k + g];
    if (rankBy === 'self_confidence' || k === 1) {
      out[r] = p;
    } else {
      const o = bestOther(probs, r, k, g);
      out[r] = (p - probs[r * k + o] + 1) / 2;
    }
  }
  return out;
}

/** Flagged row indices, lowest score first (ties by row index). */
export function rankIssues(mask: Uint8Array, scores: ArrayLike<number>): Int32Array {
  const idx: number[] = [];
  for (let r = 0; r < mask.length; r++) if (mask[r]) idx.push(r);
  idx.sort((a, b) => scores[a] - scores[b] || a - b);
  return Int32Array.from(idx);
}
