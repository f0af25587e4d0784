import { createRandom } from '../random.ts';
import { multinomial } from '../stats/binomial.ts';
import { percentileInterval } from '../stats/quantile.ts';
import { type BootstrapSettings, type ClassRegression, DEFAULT_BOOTSTRAP, isRegression } from './types.ts';

/**
 * The shared rows of two classification runs, reduced to counts per (label, previous prediction,
 * new prediction). Rows in one cell are exchangeable for every per-class count, so resampling rows
 * with replacement is exactly a multinomial draw over the cells: ≤ K³ numbers instead of N rows.
 */
export interface PairedCells {
  k: number;
  label: Int32Array;
  before: Int32Array;
  now: Int32Array;
  count: Float64Array;
}

/**
 * Cells from row arrays (the database computes them with one GROUP BY; this is for tests and the CLI).
 *
 * @example
 * pairedCells([0, 1], [0, 1], [0, 0], 2); // two cells of one row each
 */
export function pairedCells(
  labels: ArrayLike<number>,
  before: ArrayLike<number>,
  now: ArrayLike<number>,
  k: number,
): PairedCells {
  if (labels.length !== before.length || labels.length !== now.length)
    throw new RangeError(
      `pairedCells: ${labels.length} labels, ${before.length} previous and ${now.length} new predictions`,
    );
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    const key = (labels[i] * k + before[i]) * k + now[i];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return cellsFrom(
    k,
    [...counts].map(([key, n]) => ({
      label: Math.floor(key / (k * k)),
      before: Math.floor(key / k) % k,
      now: key % k,
      count: n,
    })),
  );
}

/** Cells from (label, before, now, count) lines, as the store returns them. */
export function cellsFrom(
  k: number,
  lines: readonly { label: number; before: number; now: number; count: number }[],
): PairedCells {
  const sorted = [...lines].sort((a, b) => a.label - b.label || a.before - b.before || a.now - b.now);
  for (const l of sorted)
    for (const [field, v] of [
      ['label', l.label],
      ['previous prediction', l.before],
      ['new prediction', l.now],
    ] as const)
      if (!Number.isInteger(v) || v < 0 || v >= k)
        throw new RangeError(`paired cells: ${field} ${v} is outside the dataset's ${k} classes`);
  return {
    k,
    label: Int32Array.from(sorted, (l) => l.label),
    before: Int32Array.from(sorted, (l) => l.before),
    now: Int32Array.from(sorted, (l) => l.now),
    count: Float64Array.from(sorted, (l) => l.count),
  };
}

const ratio = (num: number, den: number) => (den === 0 ? 0 : num / den);

/**
 * Per-class F1 of both runs from cell counts, written into `out` ([before…, now…], 2K values).
 * F1 = 2·tp / (predicted + support), 0 when that is 0/0 — the formula of src/metrics/classification.ts.
 */
function f1Pair(cells: PairedCells, counts: ArrayLike<number>, out: Float64Array, scratch: Float64Array) {
  const { k } = cells;
  scratch.fill(0);
  // scratch: tpBefore, predBefore, tpNow, predNow, support — K each.
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i];
    if (n === 0) continue;
    const y = cells.label[i];
    const a = cells.before[i];
    const b = cells.now[i];
    scratch[4 * k + y] += n;
    scratch[k + a] += n;
    scratch[3 * k + b] += n;
    if (a === y) scratch[y] += n;
    if (b === y) scratch[2 * k + y] += n;
  }
  for (let c = 0; c < k; c++) {
    const support = scratch[4 * k + c];
    out[c] = ratio(2 * scratch[c], scratch[k + c] + support);
    out[k + c] = ratio(2 * scratch[2 * k + c], scratch[3 * k + c] + support);
  }
}

/**
 * The paired bootstrap of per-class F1 change (new − previous) over the shared rows: each replicate
 * is a multinomial draw of N rows over the cells (the row bootstrap, exactly in distribution).
 * Classes that neither carry a label nor are predicted by either run are left out.
 *
 * @example
 * const classes = bootstrapF1Change(pairedCells(labels, v1, v2, 10), ['0', …, '9'], { minDrop: 0.02 });
 */
export function bootstrapF1Change(
  cells: PairedCells,
  classNames: readonly string[],
  { minDrop, ...settings }: Partial<BootstrapSettings> & { minDrop: number },
): ClassRegression[] {
  const { resamples, seed, level } = { ...DEFAULT_BOOTSTRAP, ...settings };
  const { k } = cells;
  const n = cells.count.reduce((s, c) => s + c, 0);
  const point = new Float64Array(2 * k);
  const scratch = new Float64Array(5 * k);
  f1Pair(cells, cells.count, point, scratch);
  const support = scratch.slice(4 * k, 5 * k);
  const present = Array.from({ length: k }, (_, c) => c).filter(
    (c) => scratch[4 * k + c] > 0 || scratch[k + c] > 0 || scratch[3 * k + c] > 0,
  );
  const random = createRandom(seed);
  const draws = new Int32Array(cells.count.length);
  const pair = new Float64Array(2 * k);
  const deltas = present.map(() => new Float64Array(resamples));
  for (let r = 0; r < resamples; r++) {
    multinomial(random, n, cells.count, draws);
    f1Pair(cells, draws, pair, scratch);
    for (let j = 0; j < present.length; j++) {
      const c = present[j];
      deltas[j][r] = pair[k + c] - pair[c];
    }
  }
  return present.map((c, j) => {
    const [low, high] = percentileInterval(deltas[j], level);
    const delta = point[k + c] - point[c];
    return {
      label: c,
      name: classNames[c] ?? String(c),
      metric: 'f1' as const,
      before: point[c],
      now: point[k + c],
      delta,
      low,
      high,
      support: support[c],
      regressed: isRegression({ delta, high }, minDrop),
    };
  });
}
