import { createRandom } from '../random.ts';

export interface LabelNoisePlan {
  /** The label each row is given: the true one, a flipped one, or null for the held-out pool. */
  given: (number | null)[];
  /** Rows whose given label was changed to another class, ascending. */
  flipped: number[];
  /** Rows whose label was removed (the unlabeled pool), ascending. */
  heldOut: number[];
}

/**
 * Choose, from a seeded shuffle, round(holdoutRate·n) rows to unlabel and then
 * round(flipRate·labeled) of the remaining rows to relabel as a different class (uniform over
 * the other classes), so the demo has known label errors and a pool to sample from.
 *
 * @example
 * const plan = planLabelNoise([0, 1, 2, 1], { seed: 7, numClasses: 3, flipRate: 0.5, holdoutRate: 0.25 });
 * plan.heldOut.length; // 1
 * plan.flipped.length; // 2 (half of the 3 labeled rows, rounded)
 */
export function planLabelNoise(
  labels: ArrayLike<number>,
  {
    seed,
    numClasses,
    flipRate = 0.03,
    holdoutRate = 0.25,
  }: { seed: number; numClasses: number; flipRate?: number; holdoutRate?: number },
): LabelNoisePlan {
  const n = labels.length;
  if (!(flipRate >= 0 && flipRate <= 1) || !(holdoutRate >= 0 && holdoutRate <= 1))
    throw new Error(
      `planLabelNoise: rates must be in [0, 1], got flipRate ${flipRate}, holdoutRate ${holdoutRate}`,
    );
  if (numClasses < 2) throw new Error(`planLabelNoise: flipping needs at least 2 classes, got ${numClasses}`);
  const random = createRandom(seed);
  const order = random.shuffle(Array.from({ length: n }, (_, i) => i));
  const holdCount = Math.round(holdoutRate * n);
  const flipCount = Math.round(flipRate * (n - holdCount));
  const given: (number | null)[] = Array.from(labels, (l) => l);
  const heldOut = order.slice(0, holdCount);
  const flipped = order.slice(holdCount, holdCount + flipCount);
  for (const i of heldOut) given[i] = null;
  for (const i of flipped) given[i] = (labels[i] + 1 + random.int(numClasses - 1)) % numClasses;
  const ascending = (a: number, b: number) => a - b;
  return { given, flipped: flipped.sort(ascending), heldOut: heldOut.sort(ascending) };
}
