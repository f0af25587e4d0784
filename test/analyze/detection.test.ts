import { rowScoreLines } from '../helpers/builder.ts';
import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { modelRuns, predictions } from '../../db/schema.ts';
import type { DetectionMetricsDoc } from '../../src/analyze/detection-summary.ts';
import { analyzeRun } from '../../src/analyze/run.ts';
import { listErrors } from '../../src/store/errors.ts';
import { listObjects } from '../../src/store/objects.ts';
import { describeEachDriver, objectSource, testDeps } from '../helpers/db.ts';
import { type DetImage, seedDetection } from './fixtures.ts';

// Classes cat (0), dog (1). Boxes are [x, y, w, h].
// A: cat [0,0,10,10] and dog [50,50,20,20]; detections cat 0.9 on the cat (IoU 1), dog 0.8 [50,50,20,10]
//    (IoU 200/400 = 0.5, a match at 0.5 exactly), cat 0.3 [80,80,10,10] on nothing.
// B: cat [10,10,20,20]; one dog 0.7 on the same box (a class confusion).
// C: dog [0,0,30,30]; no detection.  D: labeled, empty.  E: unlabeled pool, cat 0.6 and dog 0.95.
// F: unlabeled pool, no detection.
const images: DetImage[] = [
  {
    id: 'A',
    gts: [
      { key: 'a1', label: 0, box: [0, 0, 10, 10] },
      { key: 'a2', label: 1, box: [50, 50, 20, 20] },
    ],
    dets: [
      { label: 0, score: 0.9, box: [0, 0, 10, 10] },
      { label: 1, score: 0.8, box: [50, 50, 20, 10] },
      { label: 0, score: 0.3, box: [80, 80, 10, 10] },
    ],
  },
  {
    id: 'B',
    gts: [{ key: 'b1', label: 0, box: [10, 10, 20, 20] }],
    dets: [{ label: 1, score: 0.7, box: [10, 10, 20, 20] }],
  },
  { id: 'C', gts: [{ key: 'c1', label: 1, box: [0, 0, 30, 30] }], dets: [] },
  { id: 'D', gts: [], dets: [] },
  {
    id: 'E',
    labeled: false,
    gts: [],
    dets: [
      { label: 0, score: 0.6, box: [0, 0, 5, 5] },
      { label: 1, score: 0.95, box: [10, 10, 5, 5] },
    ],
  },
  { id: 'F', labeled: false, gts: [], dets: [] },
];

// AP is a mean over 101 recall points: equal to the fraction up to float summation order.
const close = (v: number) => expect.closeTo(v, 14);

describeEachDriver('analyzeRun (detection)', (ctx) => {
  let runId: number;
  let ids: Map<string, number>;

  it('writes row_scores for every image, empty ones too', async () => {
    const { db } = ctx().database;
    const seeded = await seedDetection(db, { name: 'det', classNames: ['cat', 'dog'], images });
    runId = seeded.runId;
    ids = seeded.rowIds;
    await analyzeRun(testDeps(ctx().database), runId);
    const lines = await rowScoreLines(db, runId);
    const ext = new Map([...ids].map(([k, v]) => [v, k]));
    const got = Object.fromEntries(
      lines.map((l) => [
        ext.get(l.rowId),
        [l.labeled, l.iou, l.confidence, l.minConf, l.maxConf, l.label, l.predicted, l.numGt, l.numPred],
      ]),
    );
    expect(got).toEqual({
      // matches 1 and 0.5, one spurious 0 → (1 + 0.5 + 0) / 3; worst gt: the dog (0.5); unmatched det: cat 0.3
      A: [true, 0.5, 0.9, 0.3, 0.9, 1, 0, 2, 3],
      // per-class matching: the cat is missed, the dog detection spurious → 0
      B: [true, 0, 0.7, 0.7, 0.7, 0, 1, 1, 1],
      C: [true, 0, 0, null, null, 1, null, 1, 0],
      // Nothing to find and nothing found: right, and a row like any other.
      D: [true, 1, 0, null, null, null, null, 0, 0],
      E: [false, null, 0.95, 0.6, 0.95, null, 1, 0, 2],
      F: [false, null, 0, null, null, null, null, 0, 0],
    });
  });

  /** The run's objects at IoU 0.5 as the objects view lists them: each box involved by its key. */
  const objectsAt50 = async () => {
    const { db } = ctx().database;
    const keys = new Map(
      (
        await db
          .select({ id: predictions.id, key: predictions.predKey })
          .from(predictions)
          .where(eq(predictions.runId, runId))
      ).map((p) => [p.id, p.key]),
    );
    const page = await listObjects(objectSource(db), { runId, t: 0, limit: 100 });
    return page.items
      .map((i) => ({
        rowId: i.rowId,
        kind: i.kind,
        type: i.type,
        gt: i.annotation,
        pred: i.predId === null ? null : keys.get(i.predId),
        gtLabel: i.gtLabel,
        predLabel: i.predLabel,
        iou: i.iou,
        score: i.score,
      }))
      .sort(
        (x, y) =>
          x.rowId - y.rowId || (x.pred ?? 99) - (y.pred ?? 99) || String(x.gt).localeCompare(String(y.gt)),
      );
  };

  it('keeps which detection matched which ground truth at IoU 0.5', async () => {
    const A = ids.get('A');
    const B = ids.get('B');
    const C = ids.get('C');
    // detections have pred_key = ordinal in the run: A 0, 1, 2; B 3; E 4, 5 (the pool: no outcomes).
    // Matched ground truths are listed through their detection (the tp); a miss's IoU is its best
    // against any detection (B's cat under the dog detection: 1, a class confusion).
    const box = (o: Record<string, unknown>) => ({ type: 'ok', ...o });
    expect(await objectsAt50()).toEqual([
      box({ rowId: A, kind: 'tp', gt: 'a1', pred: 0, gtLabel: 0, predLabel: 0, iou: 1, score: 0.9 }),
      box({ rowId: A, kind: 'tp', gt: 'a2', pred: 1, gtLabel: 1, predLabel: 1, iou: 0.5, score: 0.8 }),
      box({
        rowId: A,
        kind: 'fp',
        type: 'bkg',
        gt: null,
        pred: 2,
        gtLabel: null,
        predLabel: 0,
        iou: 0,
        score: 0.3,
      }),
      box({
        rowId: B,
        kind: 'fp',
        type: 'cls',
        gt: 'b1',
        pred: 3,
        gtLabel: 0,
        predLabel: 1,
        iou: 1,
        score: 0.7,
      }),
      box({
        rowId: B,
        kind: 'fn',
        type: 'cls',
        gt: 'b1',
        pred: null,
        gtLabel: 0,
        predLabel: null,
        iou: 1,
        score: null,
      }),
      box({
        rowId: C,
        kind: 'fn',
        type: 'missed',
        gt: 'c1',
        pred: null,
        gtLabel: 1,
        predLabel: null,
        iou: 0,
        score: null,
      }),
    ]);
  });

  it('stores the COCO summary, per-class results and the confusion matrix', async () => {
    const { db } = ctx().database;
    const [run] = await db.select().from(modelRuns).where(eq(modelRuns.id, runId));
    const m = run.metrics as unknown as DetectionMetricsDoc;
    expect(m.kind).toBe('detection');
    // cat: 2 gts; detections 0.9 (TP at every IoU) then 0.3 (FP) → precision 1 up to recall 0.5:
    //   51 of the 101 recall points → AP = 51/101 at every threshold.
    // dog: 2 gts; 0.8 is a TP only at IoU 0.50 (IoU exactly 0.5), 0.7 (on B) an FP → AP50 51/101, AP (51/101)/10.
    expect(m.classes).toEqual([
      {
        name: 'cat',
        ap: close(51 / 101),
        ap50: close(51 / 101),
        precision: 0.5,
        recall: 0.5,
        support: 2,
        errors: expect.any(Object),
      },
      {
        name: 'dog',
        ap: close(5.1 / 101),
        ap50: close(51 / 101),
        precision: 0.5,
        recall: 0.5,
        support: 2,
        errors: expect.any(Object),
      },
    ]);
    expect(m.coco.AP).toBeCloseTo((51 / 101 + 5.1 / 101) / 2, 15);
    expect(m.coco.AP50).toBeCloseTo(51 / 101, 15);
    expect(m.coco.AP75).toBeCloseTo(51 / 101 / 2, 15); // cat only
    expect(m.coco.APsmall).toBeCloseTo(m.coco.AP, 15); // every box is under 32² px
    expect(m.coco.APmedium).toBe(-1);
    expect(m.coco.APlarge).toBe(-1);
    // recall: cat 0.5 at every threshold, dog 0.5 at 0.50 only → (0.5 + 0.05) / 2
    expect(m.coco.AR100).toBeCloseTo(0.275, 15);
    expect(m.coco.AR1).toBeCloseTo(0.275, 15);
    // class-agnostic at IoU 0.5 and score ≥ 0.25: A cat→cat, dog→dog, cat 0.3 spurious; B cat seen as dog; C dog missed
    expect(m.confusion).toEqual({
      labels: ['cat', 'dog', 'background'],
      matrix: [
        [1, 1, 0],
        [0, 1, 1],
        [1, 0, 0],
      ],
      iouThreshold: 0.5,
      scoreThreshold: 0.25,
    });
    // Every image counts: A, B, C and the empty D labeled; E and the empty F in the pool.
    expect([m.labeled, m.unlabeled]).toEqual([4, 2]);
  });

  it('lists the images with any fp or fn at IoU 0.5, least confident first, each with its worst object', async () => {
    const { db } = ctx().database;
    const page = await listErrors(objectSource(db), { runId });
    // C: its dog missed. B: a dog predicted on the cat's box (cls, at the box's real IoU 1).
    // A: the stray cat at 0.3 is a bkg false positive (its other boxes match at 0.5).
    expect(page.items.map((i) => [i.id, i.label, i.predicted, i.confidence, i.iou])).toEqual([
      ['C', 'dog', null, 0, 0],
      ['B', 'cat', 'dog', 0.7, 1],
      ['A', null, 'cat', 0.9, 0],
    ]);
    expect(page.items.map((i) => [i.worst?.kind, i.worst?.type, i.worst?.score])).toEqual([
      ['fn', 'missed', null],
      ['fp', 'cls', 0.7],
      ['fp', 'bkg', 0.3],
    ]);
    expect(page.items.map((i) => i.objects)).toEqual([
      { tp: 0, fp: 0, fn: 1 },
      { tp: 0, fp: 1, fn: 1 },
      { tp: 2, fp: 1, fn: 0 },
    ]);
    expect(page.items[0]).toMatchObject({ imageUrl: 'https://img.example/C.jpg', width: 100, height: 100 });
  });

  it('re-analysis is idempotent', async () => {
    const { db } = ctx().database;
    const scores = () => rowScoreLines(db, runId);
    const [before, beforeObjects] = [await scores(), await objectsAt50()];
    const [{ metrics }] = await db.select().from(modelRuns).where(eq(modelRuns.id, runId));
    await analyzeRun(testDeps(ctx().database), runId);
    expect(await scores()).toEqual(before);
    expect(await objectsAt50()).toEqual(beforeObjects);
    const [again] = await db.select().from(modelRuns).where(eq(modelRuns.id, runId));
    expect(again.metrics).toEqual(metrics);
  });

  it('a prediction without a box is an error naming it, and nothing changes', async () => {
    const { db } = ctx().database;
    const scores = () => rowScoreLines(db, runId);
    const [before, beforeObjects] = [await scores(), await objectsAt50()];
    await db
      .update(predictions)
      .set({ w: null })
      .where(eq(predictions.rowId, ids.get('B')!));
    await expect(analyzeRun(testDeps(ctx().database), runId)).rejects.toThrow(
      'run det, row B, detection 3: expected a box (x, y, w, h), got none',
    );
    expect(await scores()).toEqual(before);
    expect(await objectsAt50()).toEqual(beforeObjects);
  });
});
