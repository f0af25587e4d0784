import { expect, it } from 'vitest';
import { aheadFor, classificationAhead } from '../../src/findings/classification-ahead.ts';
import { type ClassificationInput, classifyFindings } from '../../src/findings/classification.ts';
import { parseFindingsOptions } from '../../src/findings/options.ts';
import { createRandom } from '../../src/random.ts';
import type { ClassificationRows } from '../../src/store/findings-inputs.ts';

const classNames = ['ant', 'bee', 'cow', 'dog', 'elk'];

/** `n` rows of 5 classes whose model is right 85% of the time, a tenth of the labels swapped, some unlabeled. */
function rowsOf(n: number, seed: number): ClassificationRows {
  const random = createRandom(seed);
  const k = classNames.length;
  const labels = new Int32Array(n);
  const probs = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const truth = random.int(k);
    const r = random.between(0, 1);
    labels[i] = r < 0.05 ? -1 : r < 0.15 ? (truth + 1 + random.int(k - 1)) % k : truth;
    const top = random.between(0, 1) < 0.85 ? truth : random.int(k);
    let sum = 0;
    for (let c = 0; c < k; c++)
      sum += probs[i * k + c] = c === top ? random.between(2, 6) : random.between(0, 1);
    for (let c = 0; c < k; c++) probs[i * k + c] /= sum;
  }
  return {
    rowIds: Array.from({ length: n }, (_, i) => i + 1),
    labels,
    probs,
    k,
    stored: new Uint8Array(n).fill(1),
  };
}

function inputOf(rows: ClassificationRows, over: Partial<ClassificationInput> = {}): ClassificationInput {
  const { rankBy, minExamplesPerClass, islandShare, fusion } = parseFindingsOptions({});
  const { labels, probs, k } = rows;
  return {
    labels,
    probs,
    k,
    classNames,
    graph: null,
    rankBy,
    minExamplesPerClass,
    islandShare,
    fusion,
    ...over,
  };
}

it('confident learning made ahead in a thread is the one made here, and serves only its own rows and options', async () => {
  const rows = rowsOf(3000, 5);
  const here = classifyFindings(inputOf(rows));
  expect(here.flags.length).toBeGreaterThan(100);
  const ahead = classificationAhead(rows, classNames, { minRows: 0 });
  try {
    expect(ahead).not.toBeNull();
    expect(await aheadFor(ahead, rows, inputOf(rows))).toEqual(here);
    // Other rows, even equal ones; a graph; other options or class names: computed by the caller.
    const copy = { ...rows, labels: rows.labels.slice() };
    expect(await aheadFor(ahead, copy, inputOf(copy))).toBeNull();
    const graph = { k: 1, indices: new Int32Array(3000), distances: new Float32Array(3000) };
    expect(await aheadFor(ahead, rows, inputOf(rows, { graph }))).toBeNull();
    expect(await aheadFor(ahead, rows, inputOf(rows, { rankBy: 'normalized_margin' }))).toBeNull();
    expect(await aheadFor(ahead, rows, inputOf(rows, { minExamplesPerClass: 7 }))).toBeNull();
    expect(await aheadFor(ahead, rows, inputOf(rows, { classNames: ['a', 'b', 'c', 'd', 'e'] }))).toBeNull();
    expect(await aheadFor(null, rows, inputOf(rows))).toBeNull();
  } finally {
    await ahead?.close();
  }
});

it('no thread for a small run, nor for one whose probabilities would be copied past the limit', () => {
  const rows = rowsOf(200, 6);
  expect(classificationAhead(rows, classNames)).toBeNull();
  expect(
    classificationAhead(rows, classNames, { minRows: 0, maxBytes: rows.probs.byteLength - 1 }),
  ).toBeNull();
});

it('a thread nobody waits for is ended at once, its result null', async () => {
  const ahead = classificationAhead(rowsOf(50_000, 7), classNames, { minRows: 0 })!;
  await ahead.close();
  expect(await ahead.result).toBeNull();
});
