import { parse } from 'csv-parse/sync';
import { beforeAll, expect, it } from 'vitest';
import {
  BatchError,
  addToBatch,
  closeBatch,
  createBatch,
  exportBatch,
  getBatch,
  listBatches,
} from '../../src/store/batches.ts';
import { eq } from 'drizzle-orm';
import { dataRows } from '../../db/schema.ts';
import { describeEachDriver } from '../helpers/db.ts';
import { insertClassificationRun } from '../helpers/fixtures.ts';

describeEachDriver('batches', (ctx) => {
  let rowIds: number[];
  let runId: number;
  beforeAll(async () => {
    const run = await insertClassificationRun(ctx().database.db, {
      name: 'b1',
      classNames: ['=cmd', 'dog, "the good"'],
      labels: [0, 1, null, null],
      probs: [
        [0.9, 0.1],
        [0.2, 0.8],
        [0.3, 0.7],
        [0.6, 0.4],
      ],
    });
    rowIds = run.rowIds;
    runId = run.runId;
  });

  it('creates a named batch in order, skipping rows already in an open batch unless asked', async () => {
    const db = ctx().database.db;
    const first = await createBatch(db, {
      name: 'Batch A',
      runId,
      rowIds: [rowIds[2], rowIds[0], rowIds[2]],
    });
    expect(first).toMatchObject({ added: 2, skipped: 0 });
    const second = await createBatch(db, { name: 'Batch B', runId, rowIds: [rowIds[0], rowIds[3]] });
    expect(second).toMatchObject({ added: 1, skipped: 1 });
    const third = await createBatch(db, { name: 'Batch C', rowIds: [rowIds[0]], includeOpen: true });
    expect(third).toMatchObject({ added: 1, skipped: 0 });
    const a = await getBatch(db, 'Batch A');
    expect(a.items.map((i) => i.id)).toEqual(['2', '0']);
    expect(a.items[1]).toMatchObject({ label: '=cmd', predicted: '=cmd' });
    expect((await listBatches(db)).map((b) => [b.name, b.size])).toEqual([
      ['Batch C', 1],
      ['Batch B', 1],
      ['Batch A', 2],
    ]);
  });

  it('refuses a duplicate name, unknown rows, and adding to a closed batch, changing nothing', async () => {
    const db = ctx().database.db;
    await expect(createBatch(db, { name: 'Batch A', rowIds: [rowIds[1]] })).rejects.toThrow(BatchError);
    await expect(createBatch(db, { name: 'Batch D', rowIds: [rowIds[1], 987_654] })).rejects.toThrow(
      /unknown row ids: 987654/,
    );
    expect((await listBatches(db)).some((b) => b.name === 'Batch D')).toBe(false);
    await addToBatch(db, { name: 'Batch A', rowIds: [rowIds[1]] });
    expect((await getBatch(db, 'Batch A')).items.map((i) => i.id)).toEqual(['2', '0', '1']);
    await closeBatch(db, 'Batch A');
    await expect(addToBatch(db, { name: 'Batch A', rowIds: [rowIds[3]] })).rejects.toThrow(/closed/);
  });

  it('exports CSV that re-imports as the list of ids, with formula-safe cells, and JSON', async () => {
    const db = ctx().database.db;
    const csv = await exportBatch(db, 'Batch A', 'csv');
    const records = parse(csv, { columns: true }) as Record<string, string>[];
    expect(records.map((r) => r.id)).toEqual(['2', '0', '1']);
    expect(records[1].label).toBe("'=cmd");
    expect(records[2].label).toBe('dog, "the good"');
    // A labeling tool opens the file outside the board: with the board's public URL, links are absolute.
    await db.update(dataRows).set({ imageUrl: '/media/x/2.png' }).where(eq(dataRows.id, rowIds[2]));
    const withBase = JSON.parse(
      await exportBatch(db, 'Batch A', 'json', { publicUrl: 'https://l.example.com' }),
    );
    expect(withBase.items[0].image_url).toBe('https://l.example.com/media/x/2.png');
    expect(JSON.parse(await exportBatch(db, 'Batch A', 'json')).items[0].image_url).toBe('/media/x/2.png');
    const json = JSON.parse(await exportBatch(db, 'Batch A', 'json'));
    expect(json).toMatchObject({ batch: 'Batch A', status: 'closed' });
    expect(json.items.map((i: { id: string }) => i.id)).toEqual(['2', '0', '1']);
  });
});
