import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { rawRows } from '../../db/raw.ts';
import { type RowFindings, saveFindings } from '../../src/store/findings-save.ts';
import { insertClassification } from '../findings/fixtures.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';

const row = (rowId: number, labelQuality: number, neighbourDisagreement: number | null): RowFindings => ({
  rowId,
  labelQuality,
  neighbourDisagreement,
  uncertaintyLeast: null,
  uncertaintyMargin: null,
  uncertaintyEntropy: null,
});

describeEachDriver('saveFindings', (ctx) => {
  it('rewrites only the lines whose values change, and clears the lines the findings no longer cover', async () => {
    const { db, database } = testDeps(ctx().database);
    const { runId, rowIds } = await insertClassification(db, {
      name: 'resaved',
      classNames: ['a', 'b'],
      labels: [0, 1, 0],
      probs: [
        [0.9, 0.1],
        [0.2, 0.8],
        [0.6, 0.4],
      ],
    });
    // xmin is the transaction that wrote a line's current version.
    const lines = () =>
      rawRows<{ lq: number | null; nd: number | null; xmin: string }>(
        db,
        sql`select label_quality as lq, neighbour_disagreement as nd, xmin::text as xmin
              from row_scores where run_id = ${runId} order by row_id`,
      );
    const save = (rows: RowFindings[]) => saveFindings(database, runId, { flags: [], rows, options: {} });

    await save([row(rowIds[0], 0.9, 0.1), row(rowIds[1], 0.8, null), row(rowIds[2], 0.6, 0.5)]);
    const before = await lines();
    expect(before.map((l) => [l.lq, l.nd])).toEqual([
      [0.9, 0.1],
      [0.8, null],
      [0.6, 0.5],
    ]);

    await save([row(rowIds[0], 0.9, 0.1), row(rowIds[1], 0.8, 0.25)]);
    const after = await lines();
    expect(after.map((l) => [l.lq, l.nd])).toEqual([
      [0.9, 0.1],
      [0.8, 0.25],
      [null, null],
    ]);
    expect(after[0].xmin).toBe(before[0].xmin);
    expect(after[1].xmin).not.toBe(before[1].xmin);
    expect(after[2].xmin).not.toBe(before[2].xmin);
  });
});
