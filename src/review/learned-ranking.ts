import { createRandom } from '../random.ts';
import { fitLogistic, predictLogistic } from './logistic.ts';

/**
 * A flag of the mislabel queue with what the learned ranking reads. `verdict` is the reviewers'
 * answer: 1 the flag was right (sent to rework or relabelled), 0 wrong (label approved), null
 * undecided.
 */
export interface FlagFeatures {
  flagId: number;
  rowId: number;
  /** The original ranking's position (1 = most likely wrong). */
  rank: number;
  /** Given class index. */
  given: number | null;
  methods: string[];
  /** Confident-learning margin p_given − max_{j≠given} p_j (classification), else the flag's score. */
  margin: number;
  /** Self-confidence p_given (classification), else the flag's score. */
  selfConfidence: number;
  /** Weighted share of embedding neighbours carrying another label; null without embeddings. */
  neighbourDisagreement: number | null;
  verdict: 0 | 1 | null;
}

/** Verdicts a run needs before its queue is re-ranked by a model fitted on them. */
export const MIN_VERDICTS = 30;

export interface FlagPrecision {
  key: string;
  confirmed: number;
  decided: number;
}

/**
 * Flag precision from verdicts: confirmed / decided per method and per given class ("label flags:
 * 41 of 50 confirmed"), plus the total under key `all`.
 */
export function flagPrecision(
  flags: readonly Pick<FlagFeatures, 'methods' | 'given' | 'verdict'>[],
  classNames: readonly string[],
): { all: FlagPrecision; methods: FlagPrecision[]; classes: FlagPrecision[] } {
  const methods = new Map<string, FlagPrecision>();
  const classes = new Map<string, FlagPrecision>();
  const all: FlagPrecision = { key: 'all', confirmed: 0, decided: 0 };
  const add = (m: Map<string, FlagPrecision>, key: string, v: 0 | 1) => {
    const e = m.get(key) ?? { key, confirmed: 0, decided: 0 };
    e.decided++;
    e.confirmed += v;
    m.set(key, e);
  };
  for (const f of flags) {
    if (f.verdict === null) continue;
    all.decided++;
    all.confirmed += f.verdict;
    for (const m of f.methods) add(methods, m, f.verdict);
    if (f.given !== null) add(classes, classNames[f.given] ?? String(f.given), f.verdict);
  }
  const sorted = (m: Map<string, FlagPrecision>) =>
    [...m.values()].sort((a, b) => b.decided - a.decided || a.key.localeCompare(b.key));
  return { all, methods: sorted(methods), classes: sorted(classes) };
}

/** The feature vector: margin, self-confidence, neighbour disagreement (+ missing flag), one-hot method and class. */
export function featureVector(
  f: FlagFeatures,
  { methods, classes }: { methods: readonly string[]; classes: number },
): number[] {
  return [
    f.margin,
    f.selfConfidence,
    f.neighbourDisagreement ?? 0,
    f.neighbourDisagreement === null ? 1 : 0,
    ...methods.map((m) => (f.methods.includes(m) ? 1 : 0)),
    ...Array.from({ length: classes }, (_, c) => (f.given === c ? 1 : 0)),
  ];
}

/** Standardise columns by the training rows' mean and spread (constant columns left at 0). */
function standardiser(rows: number[][]) {
  const d = rows[0]?.length ?? 0;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) sd[j] += (r[j] - mean[j]) ** 2 / rows.length;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]);
  return (r: number[]) => r.map((v, j) => (sd[j] > 0 ? (v - mean[j]) / sd[j] : 0));
}

/** Fit on decided flags; returns a scorer of P(flag right). */
function fitScorer(
  train: readonly FlagFeatures[],
  shape: { methods: readonly string[]; classes: number },
  l2: number,
) {
  const raw = train.map((f) => featureVector(f, shape));
  const scale = standardiser(raw);
  const model = fitLogistic(
    raw.map(scale),
    train.map((f) => f.verdict as number),
    { l2 },
  );
  return (f: FlagFeatures) => predictLogistic(model, scale(featureVector(f, shape)));
}

export interface LearnedRanking {
  /** Verdicts the model was fitted on. */
  verdicts: number;
  /** Open flags, most likely right first under the model. */
  order: FlagFeatures[];
  /** Each flag's P(right) under the model (by flag id). */
  probability: Map<number, number>;
  /**
   * Cross-validated precision ({folds}-fold, seeded): in each held-out fold, the share of confirmed
   * flags among the top half by the model, and by the original ranking, pooled over folds.
   */
  cv: { folds: number; model: number; original: number };
}

/**
 * Re-rank the open flags of a queue with a logistic regression fitted on the decided ones, once
 * there are at least MIN_VERDICTS; null before. Pure and seeded (the folds' shuffle).
 *
 * @example
 * const learned = learnedRanking(flags, { classes: 10, seed: 1 });
 * learned?.order.slice(0, 20); // the next flags to review
 */
export function learnedRanking(
  flags: readonly FlagFeatures[],
  { classes, seed = 1, folds = 5, l2 = 1 }: { classes: number; seed?: number; folds?: number; l2?: number },
): LearnedRanking | null {
  const decided = flags.filter((f) => f.verdict !== null);
  if (decided.length < MIN_VERDICTS) return null;
  const methods = [...new Set(flags.flatMap((f) => f.methods))].sort();
  const shape = { methods, classes };
  const both = new Set(decided.map((f) => f.verdict));
  // All verdicts alike: nothing to learn, every flag is as likely as the next.
  const score = both.size < 2 ? () => decided[0].verdict as number : fitScorer(decided, shape, l2);
  const open = flags.filter((f) => f.verdict === null);
  const probability = new Map(open.map((f) => [f.flagId, score(f)]));
  const order = [...open].sort(
    (a, b) =>
      (probability.get(b.flagId) as number) - (probability.get(a.flagId) as number) || a.rank - b.rank,
  );
  return {
    verdicts: decided.length,
    order,
    probability,
    cv: crossValidated(decided, shape, { seed, folds, l2 }),
  };
}

function crossValidated(
  decided: readonly FlagFeatures[],
  shape: { methods: readonly string[]; classes: number },
  { seed, folds, l2 }: { seed: number; folds: number; l2: number },
) {
  const shuffled = createRandom(seed).shuffle(decided);
  let modelHits = 0;
  let originalHits = 0;
  let taken = 0;
  for (let k = 0; k < folds; k++) {
    const test = shuffled.filter((_, i) => i % folds === k);
    const train = shuffled.filter((_, i) => i % folds !== k);
    if (test.length === 0) continue;
    const n = Math.ceil(test.length / 2);
    const alike = new Set(train.map((f) => f.verdict)).size < 2;
    const score = alike ? () => train[0]?.verdict as number : fitScorer(train, shape, l2);
    const byModel = [...test].sort((a, b) => score(b) - score(a) || a.rank - b.rank).slice(0, n);
    const byRank = [...test].sort((a, b) => a.rank - b.rank).slice(0, n);
    modelHits += byModel.reduce((s, f) => s + (f.verdict as number), 0);
    originalHits += byRank.reduce((s, f) => s + (f.verdict as number), 0);
    taken += n;
  }
  return { folds, model: modelHits / taken, original: originalHits / taken };
}
