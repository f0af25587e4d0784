import { beforeAll, expect, it } from 'vitest';
import { retrainEffectOf } from '../../src/analyze/retrain-effect.ts';
import { analyzeRun } from '../../src/analyze/run.ts';
import { createComputePool } from '../../src/compute/pool.ts';
import { buildDigest } from '../../src/digest/build.ts';
import { digestText } from '../../src/digest/text.ts';
import { recordCorrection, undoCorrection } from '../../src/store/corrections.ts';
import { listUncertain } from '../../src/store/uncertain.ts';
import { createWebApp } from '../../web/app.ts';
import { insertBoxes, insertDataset, insertPredictions, insertRows, insertRun } from '../helpers/builder.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';

/**
 * Four images, classes cat (0) and dog (1). After run A, three are corrected: image 1's box was a
 * dog labeled cat (box-class), image 2's box was spurious (box-delete), image 3's dog was missed
 * (run A's detection accepted as a box). Image 4 is unchanged: its detections must not count.
 *
 * By hand, COCOeval on images 1-3 against the corrected labels (dog boxes on images 1 and 3; no
 * cat box, so class cat is −1 and left out of the mean, with its detections):
 * - run A finds image 3's dog only (IoU 1): recall 0.5 at every IoU threshold, precision 1 up to
 *   it. Of the 101 recall thresholds 0, .01, …, .5 get precision 1, the 50 above get 0:
 *   AP = AP50 = 51/101. (With image 4, its dog detection at 0.95 would be a false positive first.)
 * - run B finds image 1's dog at IoU 0.72 (box 10 × 7.2 in 10 × 10), score 0.9, and image 3's at
 *   IoU 1, score 0.8. At the five thresholds .50-.70 both match: AP 1. At .75-.95 the first is a
 *   false positive: precision 0.5 at recall 0.5, made monotone, so 51 recall thresholds at 0.5:
 *   25.5/101. AP = (5 · 1 + 5 · 25.5/101) / 10 = 63.25/101; AP50 = 1.
 */
describeEachDriver('the retrain effect of a detection run (COCOeval AP on the changed images)', (ctx) => {
  let deps: ReturnType<typeof testDeps>;
  let rowIds: number[];
  let runA: number;
  let runB: number;
  beforeAll(async () => {
    deps = testDeps(ctx().database);
    const { db } = deps;
    const datasetId = await insertDataset(db, {
      name: 'pets-boxes',
      kind: 'detection',
      classNames: ['cat', 'dog'],
    });
    rowIds = await insertRows(
      db,
      datasetId,
      ['1', '2', '3', '4'].map((externalId) => ({ externalId, width: 40, height: 40 })),
    );
    const [g1, g2] = await insertBoxes(db, [
      { rowId: rowIds[0], annKey: '11', label: 0, box: [0, 0, 10, 10] },
      { rowId: rowIds[1], annKey: '21', label: 0, box: [20, 20, 10, 10] },
      { rowId: rowIds[3], annKey: '41', label: 0, box: [0, 0, 10, 10] },
    ]);
    runA = await insertRun(db, {
      name: 'boxes-a',
      datasetId,
      kind: 'detection',
      createdAt: new Date(Date.now() - 120_000),
    });
    const [, , missed] = await insertPredictions(db, runA, [
      { rowId: rowIds[0], predKey: 0, label: 0, score: 0.9, box: [0, 0, 10, 10] },
      { rowId: rowIds[1], predKey: 1, label: 0, score: 0.8, box: [20, 20, 10, 10] },
      { rowId: rowIds[2], predKey: 2, label: 1, score: 0.7, box: [5, 5, 10, 10] },
      { rowId: rowIds[3], predKey: 3, label: 1, score: 0.95, box: [0, 0, 10, 10] },
    ]);
    await analyzeRun(deps, runA);
    const by = { actor: 'U0ALICE', source: 'board' as const, runId: runA };
    await recordCorrection(db, {
      ...by,
      rowId: rowIds[0],
      change: { op: 'box-class', annId: g1, label: 'dog' },
    });
    await recordCorrection(db, { ...by, rowId: rowIds[1], change: { op: 'box-delete', annId: g2 } });
    await recordCorrection(db, { ...by, rowId: rowIds[2], change: { op: 'box-add', predId: missed } });
    runB = await insertRun(db, { name: 'boxes-b', datasetId, kind: 'detection' });
    await insertPredictions(db, runB, [
      { rowId: rowIds[0], predKey: 0, label: 1, score: 0.9, box: [0, 0, 10, 7.2] },
      { rowId: rowIds[2], predKey: 1, label: 1, score: 0.8, box: [5, 5, 10, 10] },
      { rowId: rowIds[3], predKey: 2, label: 0, score: 0.9, box: [0, 0, 10, 10] },
    ]);
    await analyzeRun(deps, runB);
  }, 120_000);

  it('is AP and AP50 of each run on the changed images, as computed by hand', async () => {
    const effect = await retrainEffectOf(deps, runB);
    expect(effect).toMatchObject({
      previous: { id: runA, name: 'boxes-a' },
      fromVersion: 1,
      toVersion: 4,
      rows: 3,
      measure: 'AP',
      before: { images: 3, boxes: 2 },
      after: { images: 3, boxes: 2 },
    });
    if (effect?.measure !== 'AP') throw new Error('expected a detection effect');
    expect(effect.before.AP).toBeCloseTo(51 / 101, 12);
    expect(effect.before.AP50).toBeCloseTo(51 / 101, 12);
    expect(effect.after.AP).toBeCloseTo(63.25 / 101, 12);
    expect(effect.after.AP50).toBeCloseTo(1, 12);
    // The first run has no run before it.
    expect(await retrainEffectOf(deps, runA)).toBeNull();
  });

  it('gives the same figures from a compute pool thread', async () => {
    const compute = createComputePool({ threads: 1 });
    try {
      expect(await retrainEffectOf({ ...deps, compute }, runB)).toEqual(await retrainEffectOf(deps, runB));
    } finally {
      await compute.close();
    }
  });

  it('the digest and the run overview say the same; an undone correction leaves its image out', async () => {
    const digest = await buildDigest(deps, { day: '2026-11-30', since: new Date(0), listUncertain });
    expect(digestText(digest)).toContain(
      'Retrain effect on the 3 rows relabeled since boxes-a (labels v1 → v4): AP 0.505 · AP50 0.505 → boxes-b AP 0.626 · AP50 1.000 (COCOeval on the 3 changed images, 2 boxes)',
    );
    const html = await (await createWebApp(deps).request('/runs/boxes-b')).text();
    expect(html.replace(/<!-- -->|\s+/g, ' ')).toContain(
      'COCOeval on those rows: boxes-a AP 0.505 · AP50 0.505 → this run AP 0.626 · AP50 1.000',
    );
    // Image 1 back to its cat box: only images 2 and 3 changed. Their one box is image 3's dog,
    // found by both runs at IoU 1 (the cat detections have no cat box to count against): AP 1 → 1.
    await undoCorrection(deps.db, { rowId: rowIds[0], actor: 'U0BOB', source: 'board' });
    const effect = await retrainEffectOf(deps, runB);
    expect(effect).toMatchObject({
      toVersion: 5,
      rows: 2,
      before: { images: 2, boxes: 1 },
      after: { images: 2, boxes: 1 },
    });
    if (effect?.measure !== 'AP') throw new Error('expected a detection effect');
    // pycocotools' precision is tp / (tp + fp + eps): a perfect run scores 1 − 2⁻⁵², not 1.
    for (const side of [effect.before, effect.after]) {
      expect(side.AP).toBeCloseTo(1, 12);
      expect(side.AP50).toBeCloseTo(1, 12);
    }
  });
});
