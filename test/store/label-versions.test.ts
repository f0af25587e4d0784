import { eq } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import type { Db } from '../../db/index.ts';
import { annotations, dataRows, datasets, labelVersions } from '../../db/schema.ts';
import { LabelChangeError, LabelVersionError } from '../../src/store/label-version-types.ts';
import { createLabelVersion, revertLabelVersion } from '../../src/store/label-versions.ts';
import { currentLabelVersion, listLabelVersions } from '../../src/store/label-version-reads.ts';
import { labelDiff, labelsAt } from '../../src/store/label-history.ts';
import { describeEachDriver } from '../helpers/db.ts';
import { insertClassificationRun } from '../helpers/fixtures.ts';

async function insertDetectionDataset(db: Db) {
  const [ds] = await db
    .insert(datasets)
    .values({ name: 'boxes', kind: 'detection', classNames: ['cat', 'dog'], sourceClassIds: [1, 2] })
    .returning({ id: datasets.id });
  const rows = await db
    .insert(dataRows)
    .values([
      { datasetId: ds.id, externalId: '139' },
      { datasetId: ds.id, externalId: '285' },
    ])
    .returning({ id: dataRows.id });
  const box = (x: number) => ({ x, y: 5, w: 10, h: 20, area: 200 });
  await db.insert(annotations).values([
    { rowId: rows[0].id, annKey: '7', label: 0, ...box(1) },
    { rowId: rows[0].id, annKey: '9', label: 1, ...box(2) },
    { rowId: rows[1].id, annKey: '12', label: 1, ...box(3) },
  ]);
  return { datasetId: ds.id, rowIds: rows.map((r) => r.id) };
}

const labelsOf = (l: { externalId: string; annKey: string; label: number }[]) =>
  l.map((x) => `${x.externalId}/${x.annKey}=${x.label}`);

describeEachDriver('label versions', (ctx) => {
  let rowIds: number[];
  beforeAll(async () => {
    const run = await insertClassificationRun(ctx().database.db, {
      name: 'digits',
      classNames: ['zero', 'one', 'two'],
      labels: [0, 1, 2, 1, null],
      probs: [
        [0.9, 0.05, 0.05],
        [0.1, 0.1, 0.8],
        [0.1, 0.1, 0.8],
        [0.1, 0.8, 0.1],
        [0.5, 0.4, 0.1],
      ],
    });
    rowIds = run.rowIds;
  });

  it('starts at version 1 and makes version 2 from relabels by row id, external id, index or name', async () => {
    const db = ctx().database.db;
    expect(await currentLabelVersion(db, 'digits')).toBe(1);
    const v = await createLabelVersion(db, {
      dataset: 'digits',
      source: 'correction',
      actor: 'U1',
      changes: [
        { op: 'relabel', externalId: '1', label: 'two' },
        { op: 'relabel', rowId: rowIds[3], label: 0 },
        { op: 'relabel', externalId: '2', label: 2 },
      ],
    });
    expect(v).toMatchObject({ created: true, version: 2, summary: { rows: 2, relabeled: 2, unchanged: 1 } });
    expect(v.changes.map((c) => [c.externalId, c.oldLabel, c.newLabel])).toEqual([
      ['1', 1, 2],
      ['3', 1, 0],
    ]);
    expect(await currentLabelVersion(db, 'digits')).toBe(2);
    expect(labelsOf((await labelsAt(db, { dataset: 'digits' })).labels)).toEqual([
      '0/label=0',
      '1/label=2',
      '2/label=2',
      '3/label=0',
    ]);
    expect(labelsOf((await labelsAt(db, { dataset: 'digits', version: 1 })).labels)).toEqual([
      '0/label=0',
      '1/label=1',
      '2/label=2',
      '3/label=1',
    ]);
    const diff = await labelDiff(db, { dataset: 'digits', from: 1 });
    expect(diff.map((c) => [c.externalId, c.oldLabel, c.newLabel])).toEqual([
      ['1', 1, 2],
      ['3', 1, 0],
    ]);
  });

  it('makes no version when every change is already the label', async () => {
    const db = ctx().database.db;
    const v = await createLabelVersion(db, {
      dataset: 'digits',
      source: 'import',
      actor: 'labelstudio',
      changes: [{ op: 'relabel', externalId: '1', label: 'two' }],
    });
    expect(v).toMatchObject({ created: false, version: 2, versionId: null, summary: { unchanged: 1 } });
  });

  it('refuses a bad change with its position and stores nothing', async () => {
    const db = ctx().database.db;
    const bad = [
      [{ op: 'relabel', externalId: '99', label: 0 }, /change 2: row "99" is not a row of dataset "digits"/],
      [
        { op: 'relabel', externalId: '0', label: 'seven' },
        /change 2: class "seven" is not a class.*zero, one, two/,
      ],
      [{ op: 'relabel', externalId: '0', label: 3 }, /change 2: class 3 .*\[0, 3\)/],
      [
        { op: 'relabel', externalId: '2', label: 1 },
        /change 2: row "2" label is already changed by change 1/,
      ],
      [{ op: 'box-delete', externalId: '0', annKey: '1' }, /change 2: dataset "digits" holds classification/],
    ] as const;
    for (const [change, message] of bad) {
      const attempt = createLabelVersion(db, {
        dataset: 'digits',
        source: 'import',
        actor: 'cvat',
        changes: [{ op: 'relabel', externalId: '2', label: 0 }, change as never],
      });
      await expect(attempt).rejects.toThrow(LabelChangeError);
      await expect(
        createLabelVersion(db, {
          dataset: 'digits',
          source: 'import',
          actor: 'cvat',
          changes: [{ op: 'relabel', externalId: '2', label: 0 }, change as never],
        }),
      ).rejects.toThrow(message);
    }
    expect(await currentLabelVersion(db, 'digits')).toBe(2);
    const [row2] = await db.select().from(annotations).where(eq(annotations.rowId, rowIds[2]));
    expect(row2.label).toBe(2);
  });

  it('labels an unlabeled row, and a revert takes it back to unlabeled', async () => {
    const db = ctx().database.db;
    const v = await createLabelVersion(db, {
      dataset: 'digits',
      source: 'correction',
      actor: 'U2',
      changes: [{ op: 'relabel', rowId: rowIds[4], label: 'one' }],
    });
    expect(v).toMatchObject({ version: 3, summary: { labeled: 1 } });
    const labeled = async () =>
      (await db.select({ l: dataRows.labeled }).from(dataRows).where(eq(dataRows.id, rowIds[4])))[0].l;
    expect(await labeled()).toBe(true);
    expect(labelsOf((await labelsAt(db, { dataset: 'digits', version: 2 })).labels)).not.toContain(
      '4/label=1',
    );
    const r = await revertLabelVersion(db, { dataset: 'digits', version: 3, actor: 'U2' });
    expect(r).toMatchObject({ version: 4, summary: { unlabeled: 1 } });
    expect(await labeled()).toBe(false);
    expect(labelsOf((await labelsAt(db, { dataset: 'digits', version: 3 })).labels)).toContain('4/label=1');
    expect((await labelDiff(db, { dataset: 'digits', from: 2 })).length).toBe(0);
    const versions = await listLabelVersions(db, 'digits');
    expect(versions.map((x) => [x.version, x.source])).toEqual([
      [4, 'revert'],
      [3, 'correction'],
      [2, 'correction'],
      [1, 'ingest'],
    ]);
  });

  it('refuses a revert of a version whose labels a later version changed again', async () => {
    const db = ctx().database.db;
    await createLabelVersion(db, {
      dataset: 'digits',
      source: 'correction',
      actor: 'U1',
      changes: [{ op: 'relabel', externalId: '1', label: 'zero' }],
    });
    await expect(revertLabelVersion(db, { dataset: 'digits', version: 2, actor: 'U1' })).rejects.toThrow(
      /row "1" label was changed again by version 5 after version 2; revert version 5 first/,
    );
    await expect(revertLabelVersion(db, { dataset: 'digits', version: 1, actor: 'U1' })).rejects.toThrow(
      LabelVersionError,
    );
    await expect(labelsAt(db, { dataset: 'digits', version: 9 })).rejects.toThrow(/versions 1 to 5, not 9/);
  });

  it('changes, deletes and adds boxes; version 1 is rebuilt exactly', async () => {
    const db = ctx().database.db;
    const { datasetId } = await insertDetectionDataset(db);
    const before = (await labelsAt(db, { dataset: datasetId })).labels;
    const v = await createLabelVersion(db, {
      dataset: 'boxes',
      source: 'correction',
      actor: 'U3',
      changes: [
        { op: 'box-class', externalId: '139', annKey: '7', label: 'dog' },
        { op: 'box-delete', externalId: '139', annKey: '9' },
        { op: 'box-add', externalId: '285', label: 'cat', box: { x: 40, y: 50, w: 8, h: 4 } },
      ],
    });
    expect(v).toMatchObject({ version: 2, summary: { rows: 2, boxClass: 1, boxDeleted: 1, boxAdded: 1 } });
    const now = (await labelsAt(db, { dataset: 'boxes' })).labels;
    expect(labelsOf(now)).toEqual(['139/7=1', '285/12=1', '285/13=0']);
    expect(now[2].box).toEqual({ x: 40, y: 50, w: 8, h: 4, area: 32, iscrowd: false });
    expect((await labelsAt(db, { dataset: 'boxes', version: 1 })).labels).toEqual(before);
    // A deleted id is never handed out again.
    await revertLabelVersion(db, { dataset: 'boxes', version: 2, actor: 'U3' });
    expect((await labelsAt(db, { dataset: 'boxes' })).labels).toEqual(before);
    const again = await createLabelVersion(db, {
      dataset: 'boxes',
      source: 'correction',
      actor: 'U3',
      changes: [{ op: 'box-add', externalId: '285', label: 0, box: { x: 1, y: 1, w: 1, h: 1 } }],
    });
    expect(again.changes[0].annKey).toBe('14');
    await expect(
      createLabelVersion(db, {
        dataset: 'boxes',
        source: 'import',
        actor: 'cvat',
        changes: [{ op: 'box-class', externalId: '285', annKey: '9', label: 0 }],
      }),
    ).rejects.toThrow(/change 1: row "285" has no box with annotation id 9/);
    await expect(
      createLabelVersion(db, {
        dataset: 'boxes',
        source: 'import',
        actor: 'cvat',
        changes: [
          { op: 'box-add', externalId: '285', annKey: '7', label: 0, box: { x: 1, y: 1, w: 1, h: 1 } },
        ],
      }),
    ).rejects.toThrow(/annotation id 7 is already used/);
    const [v1] = await db.select().from(labelVersions).where(eq(labelVersions.datasetId, datasetId)).limit(1);
    expect(v1.version).toBe(1);
  });
});
