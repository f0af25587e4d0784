import { eq } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { annotations, dataRows, datasets, modelRuns, predictions, tags } from '../../db/schema.ts';
import {
  CorrectionError,
  correctionHistory,
  recordCorrection,
  undoCorrection,
} from '../../src/store/corrections.ts';
import { labelDiff, labelsAt } from '../../src/store/label-history.ts';
import { decisionHistory, latestDecisions, recordDecision } from '../../src/store/reviews.ts';
import { describeEachDriver } from '../helpers/db.ts';
import { insertClassificationRun } from '../helpers/fixtures.ts';

describeEachDriver('corrections', (ctx) => {
  let rowIds: number[];
  let runId: number;
  beforeAll(async () => {
    const run = await insertClassificationRun(ctx().database.db, {
      name: 'pets',
      classNames: ['cat', 'dog'],
      labels: [0, 1, 0],
      probs: [
        [0.1, 0.9],
        [0.2, 0.8],
        [0.9, 0.1],
      ],
    });
    rowIds = run.rowIds;
    runId = run.runId;
  });

  it('records a relabel as a decision with its label version, leaves rework, and undoes it', async () => {
    const db = ctx().database.db;
    await recordDecision(db, { rowId: rowIds[0], runId, decision: 'rework', actor: 'U1', source: 'board' });
    const r = await recordCorrection(db, {
      rowId: rowIds[0],
      runId,
      actor: 'U2',
      actorName: 'ann',
      source: 'slack',
      change: { op: 'relabel', label: 'dog' },
    });
    expect(r).toMatchObject({ recorded: true, version: 2, latest: { decision: 'relabel', actor: 'U2' } });
    expect((await latestDecisions(db, [rowIds[0]])).get(rowIds[0])?.decision).toBe('relabel');
    expect(await db.select().from(tags).where(eq(tags.rowId, rowIds[0]))).toEqual([]);
    const again = await recordCorrection(db, {
      rowId: rowIds[0],
      actor: 'U3',
      source: 'board',
      change: { op: 'relabel', label: 1 },
    });
    expect(again).toMatchObject({
      recorded: false,
      version: 2,
      latest: { decision: 'relabel', actor: 'U2' },
    });
    const undo = await undoCorrection(db, { rowId: rowIds[0], actor: 'U3', source: 'board' });
    expect(undo).toMatchObject({ recorded: true, version: 3, latest: { decision: 'revert', actor: 'U3' } });
    expect((await labelsAt(db, { dataset: 'pets' })).labels[0].label).toBe(0);
    expect(await undoCorrection(db, { rowId: rowIds[0], actor: 'U3', source: 'board' })).toMatchObject({
      recorded: false,
    });
    const history = await correctionHistory(db, rowIds[0]);
    expect(
      history.map((h) => [h.decision, h.version, h.undone, h.changes[0].oldLabel, h.changes[0].newLabel]),
    ).toEqual([
      ['relabel', 2, true, 0, 1],
      ['revert', 3, false, 1, 0],
    ]);
    expect((await decisionHistory(db, rowIds[0])).map((d) => d.decision)).toEqual([
      'rework',
      'relabel',
      'revert',
    ]);
  });

  it('undoes the newest correction first, then the one before', async () => {
    const db = ctx().database.db;
    const row = rowIds[1];
    await recordCorrection(db, {
      rowId: row,
      actor: 'U1',
      source: 'cli',
      change: { op: 'relabel', label: 'cat' },
    });
    await recordCorrection(db, {
      rowId: row,
      actor: 'U1',
      source: 'cli',
      change: { op: 'relabel', label: 'dog' },
    });
    await recordCorrection(db, {
      rowId: row,
      actor: 'U1',
      source: 'cli',
      change: { op: 'relabel', label: 'cat' },
    });
    await undoCorrection(db, { rowId: row, actor: 'U1', source: 'cli' });
    expect((await labelsAt(db, { dataset: 'pets' })).labels[1].label).toBe(1);
    await undoCorrection(db, { rowId: row, actor: 'U1', source: 'cli' });
    expect((await labelsAt(db, { dataset: 'pets' })).labels[1].label).toBe(0);
    await undoCorrection(db, { rowId: row, actor: 'U1', source: 'cli' });
    expect((await labelsAt(db, { dataset: 'pets' })).labels[1].label).toBe(1);
    expect(await labelDiff(db, { dataset: 'pets', from: 1 })).toEqual([]);
  });

  it('changes, deletes and accepts boxes by annotation and prediction id', async () => {
    const db = ctx().database.db;
    const [ds] = await db
      .insert(datasets)
      .values({ name: 'street', kind: 'detection', classNames: ['car', 'bus'], sourceClassIds: [3, 6] })
      .returning({ id: datasets.id });
    const [run] = await db
      .insert(modelRuns)
      .values({ name: 'street-r1', datasetId: ds.id, kind: 'detection' })
      .returning({ id: modelRuns.id });
    const [row] = await db
      .insert(dataRows)
      .values({ datasetId: ds.id, externalId: '42' })
      .returning({ id: dataRows.id });
    const anns = await db
      .insert(annotations)
      .values([
        { rowId: row.id, annKey: '100', label: 0, x: 0, y: 0, w: 10, h: 10, area: 100 },
        { rowId: row.id, annKey: '101', label: 0, x: 20, y: 0, w: 10, h: 10, area: 100 },
      ])
      .returning({ id: annotations.id });
    const [pred] = await db
      .insert(predictions)
      .values({ runId: run.id, rowId: row.id, predKey: 0, label: 1, score: 0.9, x: 50, y: 5, w: 30, h: 20 })
      .returning({ id: predictions.id });
    const base = { rowId: row.id, runId: run.id, actor: 'U9', source: 'board' as const };
    await recordCorrection(db, { ...base, change: { op: 'box-class', annId: anns[0].id, label: 'bus' } });
    await recordCorrection(db, { ...base, change: { op: 'box-delete', annId: anns[1].id } });
    const added = await recordCorrection(db, { ...base, change: { op: 'box-add', predId: pred.id } });
    expect(added.changes[0]).toMatchObject({
      annKey: '102',
      newLabel: 1,
      box: { x: 50, y: 5, w: 30, h: 20, area: 600 },
    });
    expect((await labelsAt(db, { dataset: 'street' })).labels.map((l) => [l.annKey, l.label])).toEqual([
      ['100', 1],
      ['102', 1],
    ]);
    // The same missed box accepted again (a double click, a Slack retry): nothing is added.
    const again = await recordCorrection(db, {
      ...base,
      change: { op: 'box-add', predId: pred.id, label: 'bus' },
    });
    expect(again).toMatchObject({ recorded: false, version: added.version });
    await expect(
      recordCorrection(db, { ...base, change: { op: 'box-delete', annId: anns[1].id } }),
    ).rejects.toThrow(CorrectionError);
    await undoCorrection(db, base);
    await undoCorrection(db, base);
    expect((await labelsAt(db, { dataset: 'street' })).labels.map((l) => [l.annKey, l.label])).toEqual([
      ['100', 1],
      ['101', 0],
    ]);
    // The box brought back keeps its stored id, so flags and buttons that name it still work.
    const back = await db.select({ id: annotations.id, annKey: annotations.annKey }).from(annotations);
    expect(back.find((a) => a.annKey === '101')?.id).toBe(anns[1].id);
    const changed = await recordCorrection(db, {
      ...base,
      change: { op: 'box-class', annId: anns[1].id, label: 'bus' },
    });
    expect(changed).toMatchObject({ recorded: true });
    expect((await labelsAt(db, { dataset: 'street' })).labels.map((l) => [l.annKey, l.label])).toEqual([
      ['100', 1],
      ['101', 1],
    ]);
  });
});
