import { beforeAll, expect, it } from 'vitest';
import { getRowDetail, listRowCards } from '../../src/store/rows.ts';
import { describeEachDriver } from '../helpers/db.ts';
import { type BoardFixture, insertBoardFixture, insertDetectionFixture } from '../web/fixtures.ts';

describeEachDriver('listRowCards', (ctx) => {
  let fx: BoardFixture;
  let det: Awaited<ReturnType<typeof insertDetectionFixture>>;
  beforeAll(async () => {
    fx = await insertBoardFixture(ctx().database.db);
    det = await insertDetectionFixture(ctx().database.db);
  });

  it('gives each row the same card parts as its row detail, in one call', async () => {
    const db = ctx().database.db;
    const ids = [...fx.rowIds, det.rowId];
    const cards = await listRowCards(db, [...ids, 999_999]);
    expect([...cards.keys()].sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    for (const rowId of ids) {
      const d = await getRowDetail(db, rowId);
      expect(cards.get(rowId)).toEqual({
        row: d?.row,
        classNames: d?.classNames,
        annotations: d?.annotations,
        predictions: d?.predictions,
        scores: d?.scores,
      });
    }
    expect((await listRowCards(db, [])).size).toBe(0);
  });
});
