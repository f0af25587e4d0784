/**
 * Findings benchmark: `npx tsx test/bench/findings.ts`.
 *
 * 1. Label-error precision/recall on the digits demo (its seeded 3% flips), with and without the
 *    embedding neighbourhood.
 * 2. The four published label-errors sets: number flagged, top 10 ids, time; against the pinned
 *    numpy reference and next to an argmax≠label pass (baseline).
 * 3. Confident learning on 1M × 100 synthetic probabilities (target ≤ 1.5 s), next to one argmax pass.
 * 4. Uncertainty + top-k on 1M × 100 (target ≤ 2 s per strategy), next to a full sort.
 * 5. Diverse batches: coverage of the top-5N pool, diverse vs plain top-N, on the digits pool.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { classifyFindings } from '../../src/findings/classification.ts';
import {
  argmaxRow,
  findLabelIssues,
  labelQualityScores,
  type Probs,
  rankIssues,
} from '../../src/findings/confident-learning.ts';
import { coverageDistance, selectDiverse } from '../../src/findings/diverse.ts';
import { exactKnn } from '../../src/findings/knn.ts';
import {
  classificationUncertainty,
  type Strategy,
  topK,
  uncertaintyScores,
} from '../../src/findings/uncertainty.ts';
import { buildDigitsDemo } from '../../src/demo/digits-demo.ts';
import { DIGITS_FILES, DIGIT_CLASS_NAMES } from '../../src/demo/digits.ts';
import { DEMO_SEED } from '../../src/demo/settings.ts';
import { readNpy, SHARED_DATA } from '../helpers/npy.ts';
import { createRandom } from '../../src/random.ts';

/** A float32 N×D .npy as { rows, cols, data }. */
function readNpyFloat32(path: string): { rows: number; cols: number; data: Float32Array } {
  const { shape, data } = readNpy(path);
  if (!(data instanceof Float32Array) || shape.length !== 2)
    throw new Error(`${path}: expected a float32 N×D array`);
  return { rows: shape[0], cols: shape[1], data };
}

function time<T>(fn: () => T, repeat = 3): { ms: number; value: T } {
  let best = Number.POSITIVE_INFINITY;
  let value!: T;
  for (let r = 0; r < repeat; r++) {
    const t = performance.now();
    value = fn();
    best = Math.min(best, performance.now() - t);
  }
  return { ms: best, value };
}

function argmaxMismatches(labels: Int32Array, probs: Probs, k: number): number {
  let n = 0;
  for (let r = 0; r < labels.length; r++) if (argmaxRow(probs, r, k) !== labels[r]) n++;
  return n;
}

function digitsPrecisionRecall(): void {
  console.log('\n### Label errors on the digits demo (seeded 3% flips, 25% held out as the pool)');
  const { plan } = buildDigitsDemo({ seed: DEMO_SEED });
  const probs = readNpyFloat32(DIGITS_FILES.probs);
  const emb = readNpyFloat32(DIGITS_FILES.embeddings);
  const labels = Int32Array.from(plan.given, (l) => (l === null ? -1 : l));
  const flipped = new Set(plan.flipped);
  const knn = time(() => exactKnn(emb.data, emb.cols, 10), 1);
  console.log(`exact cosine 10-NN over ${emb.rows} × ${emb.cols}: ${knn.ms.toFixed(0)} ms`);
  const rows: string[] = [];
  for (const [label, graph] of [
    ['confident learning only', null],
    ['with embedding neighbours', knn.value],
  ] as const) {
    const r = time(() =>
      classifyFindings({ labels, probs: probs.data, k: 10, classNames: DIGIT_CLASS_NAMES, graph }),
    );
    const flags = r.value.flags;
    const hit = flags.filter((f) => flipped.has(f.index)).length;
    const topN = flags.slice(0, flipped.size).filter((f) => flipped.has(f.index)).length;
    rows.push(
      `| ${label} | ${flags.length} | ${hit} | ${(hit / flags.length).toFixed(3)} | ${(hit / flipped.size).toFixed(3)} | ${(topN / flipped.size).toFixed(3)} | ${r.ms.toFixed(1)} ms |`,
    );
  }
  console.log(`${flipped.size} flipped among ${labels.filter((l) => l >= 0).length} labeled rows`);
  console.log('| signals | flagged | flips found | precision | recall | precision@#flips | time |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

function labelErrorsSets(): void {
  console.log('\n### Published label-errors sets (prune by noise rate, ranked by self-confidence)');
  if (!existsSync(`${SHARED_DATA}label-errors/mnist/labels.npy`)) {
    console.log('(shared data not found; skipped)');
    return;
  }
  console.log(
    '| set | rows × classes | flagged | = reference | argmax≠label | top 10 ids | CL time | argmax time | ratio |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const name of ['mnist', 'cifar10', '20news', 'imdb']) {
    const labels = readNpy(`${SHARED_DATA}label-errors/${name}/labels.npy`).data as Int32Array;
    const p = readNpy(`${SHARED_DATA}label-errors/${name}/pred_probs.npy`);
    const probs = p.data as Float64Array;
    const k = p.shape[1];
    const cl = time(() => {
      const { mask } = findLabelIssues(labels, probs, k);
      return rankIssues(mask, labelQualityScores(labels, probs, k, 'self_confidence'));
    });
    const base = time(() => argmaxMismatches(labels, probs, k));
    const refFile = fileURLToPath(new URL(`../findings/reference/${name}.txt`, import.meta.url));
    const ref = readFileSync(refFile, 'utf8').trim().split('\n')[1];
    const same = Array.from(cl.value).join(',') === ref;
    console.log(
      `| ${name} | ${labels.length} × ${k} | ${cl.value.length} | ${same ? 'yes' : 'NO'} | ${base.value} | ${Array.from(cl.value.slice(0, 10)).join(', ')} | ${cl.ms.toFixed(1)} ms | ${base.ms.toFixed(1)} ms | ${(cl.ms / base.ms).toFixed(1)}× |`,
    );
  }
}

/** N × K probabilities: a true class per row, 5% of labels flipped, softmax of noisy logits. */
function synthetic(n: number, k: number, seed: number): { labels: Int32Array; probs: Float32Array } {
  const rand = createRandom(seed);
  const labels = new Int32Array(n);
  const probs = new Float32Array(n * k);
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const truth = Math.floor(rand() * k);
    labels[i] = rand() < 0.05 ? Math.floor(rand() * k) : truth;
    let sum = 0;
    for (let j = 0; j < k; j++) {
      row[j] = Math.exp(rand() * 2 + (j === truth ? 3 + rand() * 3 : 0));
      sum += row[j];
    }
    for (let j = 0; j < k; j++) probs[i * k + j] = row[j] / sum;
  }
  return { labels, probs };
}

function largeConfidentLearning(
  big: { labels: Int32Array; probs: Float32Array },
  n: number,
  k: number,
): void {
  console.log(`\n### Confident learning on ${n.toLocaleString('en')} × ${k} synthetic (target ≤ 1500 ms)`);
  const { labels, probs } = big;
  const base = time(() => argmaxMismatches(labels, probs, k));
  const cl = time(() => {
    const { mask } = findLabelIssues(labels, probs, k);
    return rankIssues(mask, labelQualityScores(labels, probs, k, 'self_confidence'));
  });
  console.log(
    `| step | time |\n|---|---|\n| one argmax pass (baseline) | ${base.ms.toFixed(0)} ms |\n| thresholds + joint + calibration + pruning + ranking | ${cl.ms.toFixed(0)} ms (${(cl.ms / base.ms).toFixed(1)}× baseline) |`,
  );
  console.log(
    `flagged ${cl.value.length.toLocaleString('en')}; argmax≠label ${base.value.toLocaleString('en')}`,
  );
  console.log(cl.ms <= 1500 ? 'PASS ≤ 1.5 s' : `OVER TARGET: ${cl.ms.toFixed(0)} ms > 1500 ms`);
}

function largeUncertainty(big: { probs: Float32Array }, n: number, k: number): void {
  console.log(
    `\n### Uncertainty + top-50 on ${n.toLocaleString('en')} × ${k} (target ≤ 2000 ms per strategy)`,
  );
  const { probs } = big;
  console.log('| strategy | scores + top-k | scores + full sort (baseline) | ratio |');
  console.log('|---|---|---|---|');
  for (const strategy of ['least', 'margin', 'entropy'] as Strategy[]) {
    const fast = time(() => topK(uncertaintyScores(probs, k, strategy), 50), 2);
    const slow = time(() => {
      const s = uncertaintyScores(probs, k, strategy);
      const idx = new Int32Array(s.length).map((_, i) => i);
      idx.sort((a, b) => s[b] - s[a] || a - b);
      return idx.subarray(0, 50);
    }, 1);
    const same = Array.from(fast.value).join(',') === Array.from(slow.value).join(',');
    console.log(
      `| ${strategy} | ${fast.ms.toFixed(0)} ms | ${slow.ms.toFixed(0)} ms | ${(slow.ms / fast.ms).toFixed(1)}× faster${same ? '' : ' (DIFFERENT picks!)'} |`,
    );
    if (fast.ms > 2000) console.log(`OVER TARGET: ${strategy} ${fast.ms.toFixed(0)} ms > 2000 ms`);
  }
  const all = time(() => classificationUncertainty(probs, k), 1);
  console.log(`all three scores in one pass (what computeFindings stores): ${all.ms.toFixed(0)} ms`);
}

function diverseCoverage(): void {
  console.log('\n### Diverse batches on the digits pool (least confidence, N = 20, pool 5N = 100)');
  const { plan, data } = buildDigitsDemo({ seed: DEMO_SEED });
  const probs = readNpyFloat32(DIGITS_FILES.probs);
  const emb = readNpyFloat32(DIGITS_FILES.embeddings);
  const pool = plan.heldOut;
  const k = 10;
  const sub = new Float32Array(pool.length * k);
  pool.forEach((r, s) => {
    sub.set(probs.data.subarray(r * k, r * k + k), s * k);
  });
  const least = classificationUncertainty(sub, k).least;
  const order = Array.from(topK(least, 100), (s) => pool[s]);
  const vec = (r: number) => emb.data.subarray(r * emb.cols, (r + 1) * emb.cols);
  const vectors = order.map(vec);
  const n = 20;
  const t = performance.now();
  const diverse = selectDiverse(
    order.map((_, i) => i),
    vectors,
    n,
  );
  const ms = performance.now() - t;
  const plain = order.slice(0, n).map((_, i) => i);
  const predicted = (i: number) => argmaxRow(probs.data, order[i], k);
  const distinct = (picks: number[], f: (i: number) => number) => new Set(picks.map(f)).size;
  const covPlain = coverageDistance(vectors, plain);
  const covDiverse = coverageDistance(vectors, diverse);
  console.log(
    '| picks | mean distance of the 100 to nearest pick | distinct predicted classes | distinct true classes |',
  );
  console.log('|---|---|---|---|');
  console.log(
    `| plain top-20 | ${covPlain.toFixed(4)} | ${distinct(plain, predicted)} | ${distinct(plain, (i) => data.labels[order[i]])} |`,
  );
  console.log(
    `| diverse (k-center) | ${covDiverse.toFixed(4)} | ${distinct(diverse, predicted)} | ${distinct(diverse, (i) => data.labels[order[i]])} |`,
  );
  console.log(
    `coverage distance ${(covPlain / covDiverse).toFixed(2)}× smaller with diverse picks; selection ${ms.toFixed(1)} ms`,
  );
}

export async function main(): Promise<void> {
  digitsPrecisionRecall();
  labelErrorsSets();
  diverseCoverage();
  const n = 1_000_000;
  const k = 100;
  const t = performance.now();
  const big = synthetic(n, k, 42);
  console.log(
    `\n(synthetic ${n.toLocaleString('en')} × ${k} generated in ${((performance.now() - t) / 1000).toFixed(1)} s)`,
  );
  largeConfidentLearning(big, n, k);
  largeUncertainty(big, n, k);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
