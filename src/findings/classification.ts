import {
  argmaxRow,
  bestOther,
  findLabelIssues,
  labelQualityScores,
  type Probs,
  type RankBy,
} from './confident-learning.ts';
import type { KnnGraph, Neighbourhood } from './neighbours.ts';
import { neighbourDisagreement } from './neighbours.ts';

export interface ClassificationFlag {
  /** Index into the input rows. */
  index: number;
  given: number;
  suggested: number;
  /** In [0, 1], lower = more likely wrong (see `fuseScores`). */
  score: number;
  methods: ('confident_learning' | 'neighbours')[];
  evidence: string;
}

export interface ClassificationFindings {
  /** Most-likely-wrong first. */
  flags: ClassificationFlag[];
  /** Confident-learning label quality per row (NaN for unlabeled rows). */
  labelQuality: Float64Array;
  /** Weighted neighbour disagreement per row (NaN when unknown). */
  neighbourDisagreement: Float64Array;
}

export interface ClassificationInput {
  /** Given label per row, −1 for the unlabeled pool. */
  labels: Int32Array;
  probs: Probs;
  k: number;
  classNames: string[];
  /** kNN graph over the same rows, or null when the run has no embeddings. */
  graph: KnnGraph | null;
  rankBy?: RankBy;
  minExamplesPerClass?: number;
  islandShare?: number;
  fusion?: 'rank_average' | 'confident_learning_only';
}

/**
 * (mid rank − ½) / m of each defined value among the m defined values, in (0, 1); NaN stays NaN.
 * Turns scores with different spreads into comparable ranks.
 */
export function midRanks(values: Float64Array): Float64Array {
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) idx.push(i);
  idx.sort((a, b) => values[a] - values[b]);
  const out = new Float64Array(values.length).fill(Number.NaN);
  const m = idx.length;
  for (let s = 0; s < m; ) {
    let e = s;
    while (e + 1 < m && values[idx[e + 1]] === values[idx[s]]) e++;
    const r = (s + e + 1) / 2 / m;
    for (let t = s; t <= e; t++) out[idx[t]] = r;
    s = e + 1;
  }
  return out;
}

/**
 * One ranking from both signals: the average of the two mid-rank CDFs (label quality, and neighbour
 * agreement 1 − disagreement), each in (0, 1) and uniformly spread, so neither signal's scale can drown
 * the other. A row without a neighbour signal keeps its confident-learning rank alone.
 */
export function fuseScores(labelQuality: Float64Array, disagreement: Float64Array): Float64Array {
  const agreement = disagreement.map((d) => (Number.isNaN(d) ? Number.NaN : 1 - d));
  const a = midRanks(labelQuality);
  const b = midRanks(agreement);
  return a.map((v, i) => (Number.isNaN(b[i]) ? v : (v + b[i]) / 2));
}

/**
 * The labeled rows (positions, labels, probabilities) and what confident learning finds in them;
 * null when no row is labeled. When every row is labeled, the inputs are used as they are.
 */
function confidentLearning(labels: Int32Array, probs: Probs, k: number, minExamplesPerClass: number) {
  const n = labels.length;
  let m = 0;
  for (let i = 0; i < n; i++) if (labels[i] >= 0) m++;
  if (m === 0) return null;
  const labeledIdx = new Int32Array(m);
  let subLabels = labels;
  let subProbs = probs;
  if (m === n) {
    for (let i = 0; i < n; i++) labeledIdx[i] = i;
  } else {
    // Typed loops and one copy per stretch of labeled rows, not a callback and a subarray per row:
    // at a million rows those were garbage to collect.
    subLabels = new Int32Array(m);
    subProbs = probs instanceof Float32Array ? new Float32Array(m * k) : new Float64Array(m * k);
    for (let i = 0, s = 0; i < n; ) {
      if (labels[i] < 0) {
        i++;
        continue;
      }
      // A stretch of labeled rows goes over in one copy.
      const from = i;
      const to = s;
      for (; i < n && labels[i] >= 0; i++, s++) {
        labeledIdx[s] = i;
        subLabels[s] = labels[i];
      }
      subProbs.set(probs.subarray(from * k, i * k), to * k);
    }
  }
  const issues = findLabelIssues(subLabels, subProbs, k, { minExamplesPerClass });
  const { thresholds } = issues;
  /** Labeled row `s` is one whose neighbours can change the findings (see `neighbourCandidates`). */
  const candidate = (s: number) =>
    issues.mask[s] === 1 || subProbs[s * k + subLabels[s]] < thresholds[subLabels[s]];
  return { labeledIdx, subLabels, subProbs, issues, thresholds, candidate };
}

/**
 * The rows whose neighbours can change the findings, ascending: every row confident learning flags
 * (its neighbours join its score and evidence), and every labeled row whose probability for its
 * given label is below that class's confident threshold (the only rows an island can flag). Only
 * their neighbour disagreement is kept, and ranked among them, so a kNN pass that searches these
 * rows alone finds what a search of every row finds.
 *
 * @example
 * const rows = neighbourCandidates({ labels, probs, k: 10 }); // positions into labels
 */
export function neighbourCandidates({
  labels,
  probs,
  k,
  minExamplesPerClass = 1,
}: Pick<ClassificationInput, 'labels' | 'probs' | 'k' | 'minExamplesPerClass'>): Int32Array {
  const cl = confidentLearning(labels, probs, k, minExamplesPerClass);
  if (!cl) return new Int32Array(0);
  const out: number[] = [];
  for (let s = 0; s < cl.labeledIdx.length; s++) if (cl.candidate(s)) out.push(cl.labeledIdx[s]);
  return Int32Array.from(out);
}

/**
 * Confident learning plus the embedding neighbourhood for a classification run.
 *
 * Flagged rows: every row confident learning flags (prune by noise rate), plus every island (one other
 * label holds ≥ `islandShare` of the neighbour weight) whose model probability for its given label is
 * below that class's confident threshold t_given, i.e. the model does not vouch for the label either.
 * Neighbour disagreement is kept for the rows `neighbourCandidates` names, NaN elsewhere.
 *
 * @example
 * const { flags } = classifyFindings({ labels, probs, k: 10, classNames, graph: null });
 */
export function classifyFindings({
  labels,
  probs,
  k,
  classNames,
  graph,
  rankBy = 'self_confidence',
  minExamplesPerClass = 1,
  islandShare = 0.7,
  fusion = 'rank_average',
}: ClassificationInput): ClassificationFindings {
  const n = labels.length;
  const labelQuality = new Float64Array(n).fill(Number.NaN);
  const disagreement = new Float64Array(n).fill(Number.NaN);
  const cl = confidentLearning(labels, probs, k, minExamplesPerClass);
  if (!cl) return { flags: [], labelQuality, neighbourDisagreement: disagreement };
  const { labeledIdx, subLabels, subProbs, issues, thresholds, candidate } = cl;
  const m = labeledIdx.length;

  const quality = labelQualityScores(subLabels, subProbs, k, rankBy);
  for (let s = 0; s < m; s++) labelQuality[labeledIdx[s]] = quality[s];

  let nb: Neighbourhood | null = null;
  if (graph && fusion !== 'confident_learning_only') {
    nb = neighbourDisagreement(labels, graph, { islandShare });
    // Kept for the candidates alone: a kNN pass that searched only them ranks them the same.
    for (let s = 0; s < m; s++) {
      const i = labeledIdx[s];
      if (candidate(s)) disagreement[i] = nb.disagreement[i];
    }
  }
  let fused = quality;
  if (nb) {
    const subDis = new Float64Array(m);
    for (let s = 0; s < m; s++) subDis[s] = disagreement[labeledIdx[s]];
    fused = fuseScores(quality, subDis);
  }

  // The flagged rows are ranked by position against their scores, then their flags are made in
  // rank order: no sort over the flag objects, no closures per flag.
  const score = new Float64Array(m);
  const picked: number[] = [];
  for (let s = 0; s < m; s++) {
    const given = subLabels[s];
    const byCl = issues.mask[s] === 1;
    const byNb = nb !== null && nb.island[labeledIdx[s]] >= 0 && subProbs[s * k + given] < thresholds[given];
    if (!byCl && !byNb) continue;
    score[s] = Math.min(1, Math.max(0, fused[s]));
    picked.push(s);
  }
  // Positions ascend with the rows' indices, so ties fall to the lower index.
  picked.sort((a, b) => score[a] - score[b] || a - b);
  const name = (c: number) => classNames[c] ?? String(c);
  const p = (s: number, c: number) => subProbs[s * k + c].toFixed(2);
  const flags: ClassificationFlag[] = new Array(picked.length);
  for (let f = 0; f < picked.length; f++) {
    const s = picked[f];
    const i = labeledIdx[s];
    const given = subLabels[s];
    const byCl = issues.mask[s] === 1;
    const isIsland = nb !== null && nb.island[i] >= 0;
    const suggested = byCl || !nb ? bestOther(subProbs, s, k, given) : nb.island[i];
    const methods: ClassificationFlag['methods'] = [];
    if (byCl) methods.push('confident_learning');
    if (isIsland) methods.push('neighbours');
    const top = argmaxRow(subProbs, s, k);
    // The model's own answer first, then what we suggest and why: they differ when the model
    // agrees with the label (confident learning) or the neighbours outvote it.
    const why =
      suggested === top
        ? "the model's top class"
        : byCl || !nb
          ? `the likeliest class besides the label (${p(s, suggested)})`
          : 'the class of its nearest neighbours';
    let evidence = `model ${p(s, top)} sure: ${name(top)}; labeled ${name(given)} (${p(s, given)}); suggested ${name(suggested)}: ${why}`;
    if (nb && nb.labeledCount[i] > 0) {
      const other = nb.topOther[i];
      evidence +=
        other >= 0
          ? `; ${nb.topOtherCount[i]} of ${nb.labeledCount[i]} nearest neighbours are ${name(other)}`
          : `; all ${nb.labeledCount[i]} nearest neighbours are ${name(given)}`;
    }
    flags[f] = { index: i, given, suggested, score: score[s], methods, evidence };
  }
  return { flags, labelQuality, neighbourDisagreement: disagreement };
}
