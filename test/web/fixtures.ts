import type { Db } from '../../db/index.ts';
import { detectionObjects } from '../../src/analyze/detection-objects.ts';
import { evaluateCoco } from '../../src/metrics/coco-eval.ts';
import { insertObjectOutcomes } from '../../src/store/objects.ts';
import { labelFlags, projections } from '../../db/schema.ts';
import {
  insertBoxes,
  insertDataset,
  insertLabels,
  insertPredictions,
  insertRowScores,
  insertRows,
  insertRun,
} from '../helpers/builder.ts';

/** A class name that would run as script if the board forgot to escape it. */
export const EVIL_CLASS = '<script>alert("x")</script>';
export const EVIL_URL = 'javascript:alert(1)';

export interface BoardFixture {
  runId: number;
  runName: string;
  classNames: string[];
  /** Row ids in input order. */
  rowIds: number[];
}

/**
 * A small classification run for the board, written straight into the tables the analyzer fills:
 * 8 rows over classes cat / dog / EVIL_CLASS, 6 labeled and 2 unlabeled, with a metrics
 * document, row scores, one label flag and a projection. Row 3's image URL is `javascript:`.
 *
 *  i  label  pred  conf  correct
 *  0  cat    cat   0.90  yes
 *  1  cat    dog   0.60  no
 *  2  dog    dog   0.80  yes
 *  3  dog    cat   0.55  no   (image javascript:)
 *  4  evil   evil  0.70  yes
 *  5  evil   cat   0.40  no
 *  6  –      dog   0.50  unlabeled
 *  7  –      cat   0.45  unlabeled
 */
export async function insertBoardFixture(
  db: Db,
  { name = 'cls-run' }: { name?: string } = {},
): Promise<BoardFixture> {
  const classNames = ['cat', 'dog', EVIL_CLASS];
  const labels = [0, 0, 1, 1, 2, 2, null, null];
  const preds = [0, 1, 1, 0, 2, 0, 1, 0];
  const conf = [0.9, 0.6, 0.8, 0.55, 0.7, 0.4, 0.5, 0.45];
  const datasetId = await insertDataset(db, { name: `${name}-ds`, kind: 'classification', classNames });
  const metrics = {
    kind: 'classification',
    accuracy: 0.5,
    classes: [
      { name: 'cat', precision: 1 / 3, recall: 0.5, f1: 0.4, support: 2 },
      { name: 'dog', precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
      { name: EVIL_CLASS, precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
    ],
    macro: { precision: 0.611, recall: 0.5, f1: 0.522 },
    weighted: { precision: 0.611, recall: 0.5, f1: 0.522 },
    topK: {},
    ece: 0.18,
    calibration: [
      { bin: 0, lower: 0, upper: 0.5, count: 1, accuracy: 0, confidence: 0.4 },
      { bin: 1, lower: 0.5, upper: 1, count: 5, accuracy: 0.6, confidence: 0.71 },
    ],
    confusion: {
      labels: classNames,
      matrix: [
        [1, 1, 0],
        [1, 1, 0],
        [1, 0, 1],
      ],
    },
  };
  const runId = await insertRun(db, { name, datasetId, kind: 'classification', metrics });
  const rowIds = await insertRows(
    db,
    datasetId,
    labels.map((l, i) => ({
      externalId: `r${i}`,
      labeled: l !== null,
      imageUrl: i === 3 ? EVIL_URL : `/media/test/${i}.svg`,
      width: 8,
      height: 8,
    })),
  );
  await insertLabels(db, rowIds, labels);
  await insertPredictions(
    db,
    runId,
    preds.map((p, i) => ({ rowId: rowIds[i], predKey: 0, label: p, score: conf[i] })),
  );
  await insertRowScores(
    db,
    runId,
    preds.map((p, i) => ({
      rowId: rowIds[i],
      labeled: labels[i] !== null,
      iou: labels[i] === null ? null : Number(labels[i] === p),
      confidence: conf[i],
      label: labels[i],
      predicted: p,
      numGt: labels[i] === null ? 0 : 1,
      numPred: 1,
      uncertaintyLeast: labels[i] === null ? 1 - conf[i] : null,
      uncertaintyMargin: labels[i] === null ? 1 - conf[i] : null,
      uncertaintyEntropy: labels[i] === null ? 1 - conf[i] : null,
    })),
  );
  await db.insert(labelFlags).values({
    runId,
    rowId: rowIds[5],
    kind: 'label',
    given: 2,
    suggested: 0,
    score: 0.05,
    methods: ['confident_learning'],
    evidence: `model 0.97 sure: cat; labeled ${EVIL_CLASS} (0.01); 4 of 5 nearest neighbours are cat`,
    rank: 1,
  });
  await db
    .insert(projections)
    .values(rowIds.map((rowId, i) => ({ runId, rowId, x: i, y: i % 3, fitted: true })));
  return { runId, runName: name, classNames, rowIds };
}

/**
 * A one-image detection run: a 100×80 image with one ground-truth box (square) and two
 * predicted boxes (a matched square, a spurious circle), IoU 0.5 on the row.
 */
export async function insertDetectionFixture(
  db: Db,
  { name = 'det-run', imageUrl = '/media/test/img1.svg' }: { name?: string; imageUrl?: string } = {},
) {
  const classNames = ['square', 'circle'];
  const datasetId = await insertDataset(db, { name: `${name}-ds`, kind: 'detection', classNames });
  const runId = await insertRun(db, {
    name,
    datasetId,
    kind: 'detection',
    metrics: {
      kind: 'detection',
      coco: { AP: 0.42, AP50: 0.6, AP75: 0.3 },
      errors: { cls: 0, loc: 0.05, both: 0, dupe: 0, bkg: 0.25, missed: 0.1 },
      objects: {
        iouThrs: [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95],
        totals: Array.from({ length: 10 }, (_, t) =>
          t < 7 ? { tp: 1, fp: 1, fn: 0 } : { tp: 0, fp: 2, fn: 1 },
        ),
      },
      classes: [
        { name: 'square', ap: 0.7, ap50: 0.9, precision: 1, recall: 1, support: 1 },
        { name: 'circle', ap: 0.1, ap50: 0.2, precision: 0, recall: 0, support: 0 },
      ],
      confusion: {
        labels: [...classNames, 'background'],
        matrix: [
          [1, 0, 0],
          [0, 0, 0],
          [0, 1, 0],
        ],
      },
    },
  });
  const [rowId] = await insertRows(db, datasetId, [{ externalId: 'img1', imageUrl, width: 100, height: 80 }]);
  const [annId] = await insertBoxes(db, [{ rowId, annKey: '1', label: 0, box: [10, 10, 30, 30] }]);
  const boxes = [
    { predKey: 0, label: 0, score: 0.9, box: [12, 11, 30, 30] as const },
    { predKey: 1, label: 1, score: 0.35, box: [60, 40, 20, 20] as const },
  ];
  const predIds = await insertPredictions(
    db,
    runId,
    boxes.map((p) => ({ rowId, predKey: p.predKey, label: p.label, score: p.score, box: [...p.box] })),
  );
  // The per-object outcomes as the analysis stores them: the square a tp up to IoU .8, the circle bkg.
  const gts = [
    { id: annId, imageId: rowId, label: 0, x: 10, y: 10, w: 30, h: 30, area: 900, iscrowd: false },
  ];
  const dets = boxes.map((p, i) => {
    const [x, y, w, h] = p.box;
    return { id: predIds[i], imageId: rowId, label: p.label, score: p.score, x, y, w, h };
  });
  const evaluation = evaluateCoco(
    { imageIds: [rowId], labels: [0, 1], gts, dets },
    {},
    { keepMatches: true },
  );
  await insertObjectOutcomes(db, runId, detectionObjects(gts, dets, evaluation, (i) => i).lines);
  await insertRowScores(db, runId, [
    {
      rowId,
      labeled: true,
      iou: 0.42,
      confidence: 0.9,
      label: 2,
      predicted: 1,
      numGt: 1,
      numPred: 2,
    },
  ]);
  await db.insert(projections).values({ runId, rowId, x: 0.5, y: 0.25, fitted: true });
  return { runId, runName: name, rowId, classNames };
}
