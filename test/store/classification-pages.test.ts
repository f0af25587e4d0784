import { expect, it } from 'vitest';
import { labeledProbabilityChunks } from '../../src/store/analysis.ts';
import { loadClassificationRows } from '../../src/store/findings-inputs.ts';
import { insertClassification } from '../findings/fixtures.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';

/** Seven rows × 3 classes, two of them unlabeled (null). */
const run = {
  classNames: ['a', 'b', 'c'],
  labels: [0, null, 2, 1, null, 0, 2],
  probs: [
    [0.7, 0.2, 0.1],
    [0.1, 0.8, 0.1],
    [0.3, 0.3, 0.4],
    [0.25, 0.5, 0.25],
    [0.05, 0.05, 0.9],
    [0.6, 0.3, 0.1],
    [0.2, 0.2, 0.6],
  ],
};

async function allChunks(chunks: AsyncGenerator<{ labels: Int32Array; scores: Float64Array }>) {
  const labels: number[] = [];
  const scores: number[] = [];
  for await (const c of chunks) {
    labels.push(...c.labels);
    scores.push(...c.scores);
  }
  return { labels, scores };
}

describeEachDriver('classification rows read in pages', (ctx) => {
  it('reads the same rows, labels and probabilities whatever the page size', async () => {
    const { db } = testDeps(ctx().database);
    // Another dataset's rows first, so the run's row ids do not start at 1.
    await insertClassification(db, { name: 'paged-before', ...run });
    const { runId, rowIds } = await insertClassification(db, { name: 'paged', ...run });

    const whole = await loadClassificationRows(db, runId, 3);
    expect(whole.rowIds).toEqual(rowIds);
    expect(Array.from(whole.labels)).toEqual([0, -1, 2, 1, -1, 0, 2]);
    for (const pageSize of [1, 2, 3])
      expect(await loadClassificationRows(db, runId, 3, { pageSize })).toEqual(whole);

    const labeled = await allChunks(labeledProbabilityChunks(db, runId, 3, { chunk: 100 }));
    expect(labeled.labels).toEqual([0, 2, 1, 0, 2]);
    expect(labeled.scores).toHaveLength(15);
    for (const chunk of [1, 2, 3])
      expect(await allChunks(labeledProbabilityChunks(db, runId, 3, { chunk }))).toEqual(labeled);
  });
});
