import { IngestError } from './errors.ts';

/** Published probability files carry float noise (float32 softmax, rounding in CSV). */
export const PROB_SUM_TOLERANCE = 1e-3;

/**
 * Check the probability rows in `probs` (n × k, row-major) and write each row's argmax and max
 * into `pred` / `score`. `where(i)` names row i for the error message ("pred_probs.npy: row 17").
 *
 * @example
 * checkProbRows(new Float64Array([0.2, 0.8]), 1, 2, (i) => `p.npy: row ${i}`, pred, score); // pred[0] = 1
 */
export function checkProbRows(
  probs: ArrayLike<number>,
  n: number,
  k: number,
  where: (i: number) => string,
  pred: Int32Array,
  score: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let sum = 0;
    let best = 0;
    let bestP = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      const p = probs[o + j];
      if (!(p >= 0)) {
        throw new IngestError(
          `${where(i)}: probability ${j} is ${Number.isNaN(p) ? 'NaN' : p}, expected a number in [0, 1]`,
        );
      }
      sum += p;
      if (p > bestP) {
        bestP = p;
        best = j;
      }
    }
    if (Math.abs(sum - 1) > PROB_SUM_TOLERANCE)
      throw new IngestError(`${where(i)}: sums to ${round4(sum)}, expected 1 ± ${PROB_SUM_TOLERANCE}`);
    pred[i] = best;
    score[i] = bestP;
  }
}

function round4(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x * 10000) / 10000) : String(x);
}

/**
 * A label value as a class index, or -1 for unlabeled (null, empty, -1). Strings are class names
 * first, then decimal integers.
 *
 * @example
 * parseLabel('cat', ['dog', 'cat'], where) // 1
 */
export function parseLabel(
  value: unknown,
  classNames: string[] | null,
  k: number,
  where: () => string,
): number {
  if (value === null || value === undefined || value === '') return -1;
  let idx: number;
  if (typeof value === 'number') idx = value;
  else if (typeof value === 'string') {
    const byName = classNames ? classNames.indexOf(value) : -1;
    if (byName >= 0) return byName;
    const t = value.trim();
    if (!/^-?\d+$/.test(t))
      throw new IngestError(
        `${where()}: label ${JSON.stringify(value)} is neither a class name${classNames ? '' : ' (no --class-names given)'} nor an integer in [0, ${k})`,
      );
    idx = Number(t);
  } else
    throw new IngestError(
      `${where()}: label ${JSON.stringify(value)}, expected an integer in [0, ${k}), a class name or null`,
    );
  return checkLabel(idx, k, where);
}

/** A numeric label: an integer in [0, k), or -1 for unlabeled. */
export function checkLabel(idx: number, k: number, where: () => string): number {
  if (idx === -1) return -1;
  if (!Number.isInteger(idx) || idx < 0 || idx >= k)
    throw new IngestError(
      `${where()}: label ${idx} is outside the class range, expected an integer in [0, ${k}) or -1 for unlabeled`,
    );
  return idx;
}

/** External ids go into text columns: no empty ids, no NUL bytes (Postgres text refuses them). */
export function checkId(id: string, where: () => string): string {
  if (id === '') throw new IngestError(`${where()}: id is empty, expected a non-empty string`);
  if (id.includes('\0')) throw new IngestError(`${where()}: id contains a NUL character`);
  return id;
}

/** Longer class names make unreadable pages and messages; 200 covers any real taxonomy. */
export const MAX_CLASS_NAME = 200;

/**
 * Class names from any input (class-names file, COCO categories): non-empty, no control
 * characters (Postgres refuses NUL in text and JSON), at most MAX_CLASS_NAME characters, unique.
 * `where(i)` names entry i ("classes.txt: line 3", "instances.json: categories[2].name").
 *
 * @example
 * checkClassNames(['cat', 'dog'], (i) => `classes.txt: line ${i + 1}`);
 */
export function checkClassNames(names: string[], where: (i: number) => string): void {
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    if (name.trim() === '') throw new IngestError(`${where(i)}: class name is empty, expected a name`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    const ctl = /[\u0000-\u001f\u007f]/.exec(name);
    if (ctl)
      throw new IngestError(
        `${where(i)}: class name contains the control character U+${ctl[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}, expected printable text`,
      );
    if (name.length > MAX_CLASS_NAME)
      throw new IngestError(
        `${where(i)}: class name is ${name.length} characters long, expected at most ${MAX_CLASS_NAME}`,
      );
    const prev = seen.get(name);
    if (prev !== undefined)
      throw new IngestError(`${where(i)}: class name ${JSON.stringify(name)} repeats ${where(prev)}`);
    seen.set(name, i);
  });
}
