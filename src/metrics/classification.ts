/**
 * Classification metrics with scikit-learn's semantics: a ratio whose denominator is zero is 0
 * (`zero_division=0`), the confusion matrix has true classes on rows and predicted classes on
 * columns, and the macro average runs over the classes that occur as a label or a prediction
 * (sklearn's default `labels=None`), so an absent class does not drag it down.
 */

/** Per-class tallies from which every metric here follows. */
export interface ClassCounts {
  /** Rows whose label and prediction are both class c. */
  tp: Float64Array;
  /** Rows predicted as class c. */
  predicted: Float64Array;
  /** Rows labeled class c. */
  support: Float64Array;
  /** Rows counted. */
  total: number;
  /** Rows with prediction == label. */
  correct: number;
}

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface AveragedMetrics {
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationReport {
  accuracy: number;
  classes: ClassMetrics[];
  macro: AveragedMetrics;
  weighted: AveragedMetrics;
}

function checkClass(value: number, numClasses: number, what: string, i: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= numClasses)
    throw new RangeError(`${what}[${i}] = ${value}: expected an integer class index in [0, ${numClasses})`);
}

/**
 * Tally true positives, predictions and support per class in one pass over the rows.
 *
 * @example
 * classCounts([0, 1, 1], [0, 1, 0], 2); // tp [1, 1], predicted [2, 1], support [1, 2]
 */
export function classCounts(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses: number,
): ClassCounts {
  if (labels.length !== predicted.length)
    throw new RangeError(`labels has ${labels.length} rows but predicted has ${predicted.length}`);
  const tp = new Float64Array(numClasses);
  const pred = new Float64Array(numClasses);
  const support = new Float64Array(numClasses);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    const p = predicted[i];
    // Validate inline: a typed-array write out of range is silently dropped, which would hide bad input.
    if (!(y >= 0 && y < numClasses && y === (y | 0))) checkClass(y, numClasses, 'labels', i);
    if (!(p >= 0 && p < numClasses && p === (p | 0))) checkClass(p, numClasses, 'predicted', i);
    support[y]++;
    pred[p]++;
    if (y === p) {
      tp[y]++;
      correct++;
    }
  }
  return { tp, predicted: pred, support, total: labels.length, correct };
}

/**
 * The confusion matrix: `matrix[label][predicted]` counts rows (sklearn's orientation).
 *
 * @example
 * confusionMatrix([0, 1, 1], [0, 1, 0], 2); // [[1, 0], [1, 1]]
 */
export function confusionMatrix(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses: number,
): number[][] {
  if (labels.length !== predicted.length)
    throw new RangeError(`labels has ${labels.length} rows but predicted has ${predicted.length}`);
  const flat = new Float64Array(numClasses * numClasses);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    const p = predicted[i];
    if (!(y >= 0 && y < numClasses && y === (y | 0))) checkClass(y, numClasses, 'labels', i);
    if (!(p >= 0 && p < numClasses && p === (p | 0))) checkClass(p, numClasses, 'predicted', i);
    flat[y * numClasses + p]++;
  }
  return Array.from({ length: numClasses }, (_, r) =>
    Array.from(flat.subarray(r * numClasses, (r + 1) * numClasses)),
  );
}

/**
 * The same tallies read off a square confusion matrix (what a GROUP BY label, predicted gives).
 *
 * @example
 * countsFromConfusion([[1, 0], [1, 1]]).correct; // 2
 */
export function countsFromConfusion(matrix: number[][]): ClassCounts {
  const k = matrix.length;
  const tp = new Float64Array(k);
  const predicted = new Float64Array(k);
  const support = new Float64Array(k);
  let total = 0;
  let correct = 0;
  for (let y = 0; y < k; y++) {
    const row = matrix[y];
    if (row.length !== k) throw new RangeError(`confusion row ${y} has ${row.length} columns, expected ${k}`);
    for (let p = 0; p < k; p++) {
      const n = row[p];
      support[y] += n;
      predicted[p] += n;
      total += n;
      if (y === p) {
        tp[y] += n;
        correct += n;
      }
    }
  }
  return { tp, predicted, support, total, correct };
}

const ratio = (num: number, den: number) => (den === 0 ? 0 : num / den);

/**
 * Precision, recall, F1 and support per class; F1 = 2·tp / (2·tp + fp + fn), 0 when that is 0/0.
 *
 * @example
 * perClassMetrics(classCounts([0, 1, 1], [0, 1, 0], 2))[0]; // { precision: 0.5, recall: 1, f1: 0.667, support: 1 }
 */
export function perClassMetrics(counts: ClassCounts): ClassMetrics[] {
  const out: ClassMetrics[] = new Array(counts.tp.length);
  for (let c = 0; c < counts.tp.length; c++) {
    const tp = counts.tp[c];
    const predicted = counts.predicted[c];
    const support = counts.support[c];
    out[c] = {
      precision: ratio(tp, predicted),
      recall: ratio(tp, support),
      f1: ratio(2 * tp, predicted + support),
      support,
    };
  }
  return out;
}

/**
 * Macro (unweighted mean over classes present as a label or a prediction) and support-weighted
 * averages of precision, recall and F1; each average of F1 is the mean of per-class F1s, as in sklearn.
 */
export function averageMetrics(
  classes: ClassMetrics[],
  counts: ClassCounts,
): { macro: AveragedMetrics; weighted: AveragedMetrics } {
  const macro = { precision: 0, recall: 0, f1: 0 };
  const weighted = { precision: 0, recall: 0, f1: 0 };
  let present = 0;
  let supportSum = 0;
  for (let c = 0; c < classes.length; c++) {
    const m = classes[c];
    if (counts.support[c] > 0 || counts.predicted[c] > 0) {
      present++;
      macro.precision += m.precision;
      macro.recall += m.recall;
      macro.f1 += m.f1;
    }
    supportSum += m.support;
    weighted.precision += m.precision * m.support;
    weighted.recall += m.recall * m.support;
    weighted.f1 += m.f1 * m.support;
  }
  return {
    macro: {
      precision: ratio(macro.precision, present),
      recall: ratio(macro.recall, present),
      f1: ratio(macro.f1, present),
    },
    weighted: {
      precision: ratio(weighted.precision, supportSum),
      recall: ratio(weighted.recall, supportSum),
      f1: ratio(weighted.f1, supportSum),
    },
  };
}

/** Accuracy, per-class metrics and their averages from the tallies; accuracy of no rows is 0. */
export function classificationReport(counts: ClassCounts): ClassificationReport {
  const classes = perClassMetrics(counts);
  return { accuracy: ratio(counts.correct, counts.total), classes, ...averageMetrics(classes, counts) };
}

/**
 * Fraction of rows whose prediction equals the label.
 *
 * @example
 * accuracy([0, 1, 1], [0, 1, 0]); // 2/3
 */
export function accuracy(labels: ArrayLike<number>, predicted: ArrayLike<number>): number {
  if (labels.length !== predicted.length)
    throw new RangeError(`labels has ${labels.length} rows but predicted has ${predicted.length}`);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predicted[i]) correct++;
  return ratio(correct, labels.length);
}
