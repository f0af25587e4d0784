import { rowScoreLines } from '../helpers/builder.ts';
import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { modelRuns, predictions } from '../../db/schema.ts';
import { analyzeRun } from '../../src/analyze/run.ts';
import type { ClassificationMetricsDoc } from '../../src/metrics/classification-document.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { type ClassRow, seedClassification } from './fixtures.ts';

// Four classes, 'fish' never occurs. Labeled rows (label → argmax prediction, score):
//   r0 cat  → cat  0.7  correct      r3 dog  → bird 0.45 wrong
//   r1 cat  → bird 0.6  wrong        r4 bird → bird 0.9  correct
//   r2 dog  → dog  0.8  correct      r5 bird → cat  0.5  wrong
// r6 is labeled cat with no prediction; u0, u1 are the unlabeled pool; n0 has neither label nor prediction.
const classNames = ['cat', 'dog', 'bird', 'fish'];
const rows: ClassRow[] = [
  { id: 'r0', label: 0, probs: [0.7, 0.2, 0.1, 0] },
  { id: 'r1', label: 0, probs: [0.3, 0.1, 0.6, 0] },
  { id: 'r2', label: 1, probs: [0.1, 0.8, 0.1, 0] },
  { id: 'r3', label: 1, probs: [0.2, 0.35, 0.45, 0] },
  { id: 'r4', label: 2, probs: [0.05, 0.05, 0.9, 0] },
  { id: 'r5', label: 2, probs: [0.5, 0.1, 0.05, 0.35] },
  { id: 'r6', label: 0 },
  { id: 'u0', probs: [0.4, 0.4, 0.2, 0] },
  { id: 'u1', probs: [0.1, 0.2, 0.7, 0] },
  { id: 'n0' },
];

describeEachDriver('analyzeRun (classification)', (ctx) => {
  let runId: number;
  let ids: Map<string, number>;

  it('writes one row_scores line per row with a label or a prediction', async () => {
    const { db } = ctx().database;
    const seeded = await seedClassification(db, { name: 'cls', classNames, rows });
    runId = seeded.runId;
    ids = seeded.rowIds;
    await analyzeRun(testDeps(ctx().database), runId);
    const lines = await rowScoreLines(db, runId);
    const byId = new Map([...ids].map(([ext, id]) => [id, ext]));
    const got = Object.fromEntries(
      lines.map((l) => [
        byId.get(l.rowId),
        [l.labeled, l.iou, l.confidence, l.minConf, l.maxConf, l.label, l.predicted, l.numGt, l.numPred],
      ]),
    );
    expect(got).toEqual({
      r0: [true, 1, 0.7, 0.7, 0.7, 0, 0, 1, 1],
      r1: [true, 0, 0.6, 0.6, 0.6, 0, 2, 1, 1],
      r2: [true, 1, 0.8, 0.8, 0.8, 1, 1, 1, 1],
      r3: [true, 0, 0.45, 0.45, 0.45, 1, 2, 1, 1],
      r4: [true, 1, 0.9, 0.9, 0.9, 2, 2, 1, 1],
      r5: [true, 0, 0.5, 0.5, 0.5, 2, 0, 1, 1],
      r6: [true, 0, 0, null, null, 0, null, 1, 0],
      u0: [false, null, 0.4, 0.4, 0.4, null, 0, 0, 1],
      u1: [false, null, 0.7, 0.7, 0.7, null, 2, 0, 1],
    });
  });

  it('stores the metrics document with hand-computed values', async () => {
    const { db } = ctx().database;
    const [run] = await db.select().from(modelRuns).where(eq(modelRuns.id, runId));
    expect(run.analyzedAt).toBeInstanceOf(Date);
    const m = run.metrics as unknown as ClassificationMetricsDoc;
    expect(m.kind).toBe('classification');
    // confusion[y][p]: cat → cat, bird; dog → dog, bird; bird → bird, cat
    expect(m.confusion).toEqual({
      labels: classNames,
      matrix: [
        [1, 0, 1, 0],
        [0, 1, 1, 0],
        [1, 0, 1, 0],
        [0, 0, 0, 0],
      ],
    });
    // 3 correct of the 6 labeled rows that have a prediction
    expect(m.accuracy).toBe(0.5);
    expect(m.labeled).toBe(7);
    expect(m.unlabeled).toBe(2);
    // cat: tp 1, predicted 2, support 2 → P 1/2, R 1/2, F1 2/4
    // dog: tp 1, predicted 1, support 2 → P 1, R 1/2, F1 2/3
    // bird: tp 1, predicted 3, support 2 → P 1/3, R 1/2, F1 2/5
    expect(m.classes.map((c) => c.name)).toEqual(classNames);
    expect(m.classes[0]).toEqual({ name: 'cat', precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(m.classes[1].precision).toBe(1);
    expect(m.classes[1].f1).toBeCloseTo(2 / 3, 15);
    expect(m.classes[2].precision).toBeCloseTo(1 / 3, 15);
    expect(m.classes[2].f1).toBeCloseTo(0.4, 15);
    expect(m.classes[3]).toEqual({ name: 'fish', precision: 0, recall: 0, f1: 0, support: 0 });
    // macro over cat, dog, bird (fish is absent): P (1/2+1+1/3)/3 = 11/18, R 1/2, F1 (1/2+2/3+2/5)/3 = 47/90
    expect(m.macro.precision).toBeCloseTo(11 / 18, 14);
    expect(m.macro.recall).toBeCloseTo(0.5, 14);
    expect(m.macro.f1).toBeCloseTo(47 / 90, 14);
    // equal supports: weighted = macro
    expect(m.weighted.f1).toBeCloseTo(47 / 90, 14);
    // top-1 from the probability vectors: r0, r2, r4 → 3/6; top-3 misses only r5 (bird 0.05 ranks 4th) → 5/6
    expect(Object.keys(m.topK)).toEqual(['1', '3']);
    expect(m.topK['1']).toBe(0.5);
    expect(m.topK['3']).toBeCloseTo(5 / 6, 15);
    // bins: 0.7 → 10, 0.6 → 8 (edge 9/15, upper inclusive), 0.8 → 11 (edge 12/15), 0.45 → 6, 0.9 → 13, 0.5 → 7
    // one row per bin: ECE = (|1−0.7| + |0−0.6| + |1−0.8| + |0−0.45| + |1−0.9| + |0−0.5|) / 6 = 2.15 / 6
    expect(m.ece).toBeCloseTo(2.15 / 6, 14);
    const filled = m.calibration
      .filter((b) => b.count > 0)
      .map((b) => [b.bin, b.count, b.accuracy, b.confidence]);
    expect(filled).toEqual([
      [6, 1, 0, 0.45],
      [7, 1, 0, 0.5],
      [8, 1, 0, 0.6],
      [10, 1, 1, 0.7],
      [11, 1, 1, 0.8],
      [13, 1, 1, 0.9],
    ]);
    expect(m.calibration).toHaveLength(15);
  });

  it('re-analysis is idempotent', async () => {
    const { db } = ctx().database;
    const before = await rowScoreLines(db, runId);
    const [{ metrics }] = await db.select().from(modelRuns).where(eq(modelRuns.id, runId));
    await analyzeRun(testDeps(ctx().database), runId);
    const after = await rowScoreLines(db, runId);
    expect(after).toEqual(before);
    const [again] = await db.select().from(modelRuns).where(eq(modelRuns.id, runId));
    expect(again.metrics).toEqual(metrics);
  });

  it('a failed analysis leaves the previous one in place', async () => {
    const { db } = ctx().database;
    const before = await rowScoreLines(db, runId);
    const [{ metrics }] = await db.select().from(modelRuns).where(eq(modelRuns.id, runId));
    // a probability vector of the wrong length: found while streaming top-k, after row_scores were replaced
    await db
      .update(predictions)
      .set({ probs: [0.5, 0.5] })
      .where(eq(predictions.rowId, ids.get('r2')!));
    await expect(analyzeRun(testDeps(ctx().database), runId)).rejects.toThrow(
      /row r2: probs has 2 values, expected 4/,
    );
    const after = await rowScoreLines(db, runId);
    expect(after).toEqual(before);
    const [again] = await db.select().from(modelRuns).where(eq(modelRuns.id, runId));
    expect(again.metrics).toEqual(metrics);
  });

  it('rejects an unknown run id', async () => {
    await expect(analyzeRun(testDeps(ctx().database), 999999)).rejects.toThrow('no model run with id 999999');
  });
});
