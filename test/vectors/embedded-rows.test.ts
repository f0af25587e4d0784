import { expect, it } from 'vitest';
import { embeddedRowIds } from '../../src/store/vectors.ts';
import { insertClassification } from '../findings/fixtures.ts';
import { insertEmbeddings } from '../helpers/builder.ts';
import { describeEachDriver } from '../helpers/db.ts';

describeEachDriver('embedded row ids of a run', (ctx) => {
  it('are every embedded row of the run, ascending, across pages, and none of another run', async () => {
    const { db } = ctx().database;
    const rows = 23;
    const run = (name: string) =>
      insertClassification(db, {
        name,
        classNames: ['a', 'b'],
        labels: Array.from({ length: rows }, (_, i) => i % 2),
        probs: Array.from({ length: rows }, (_, i) => (i % 2 ? [0.2, 0.8] : [0.7, 0.3])),
      });
    const a = await run('a');
    const b = await run('b');
    // Every third row of run a has no embedding; rows go in out of order.
    const embedded = a.rowIds.filter((_, i) => i % 3 !== 0);
    const shuffled = [...embedded].reverse();
    await insertEmbeddings(
      db,
      a.runId,
      shuffled,
      shuffled.map((id) => [id, 1, 0]),
    );
    await insertEmbeddings(
      db,
      b.runId,
      b.rowIds,
      b.rowIds.map((id) => [1, id, 0]),
    );
    const ascending = [...embedded].sort((x, y) => x - y);
    for (const pageSize of [4, 5, embedded.length, 1000])
      expect(Array.from(await embeddedRowIds(db, a.runId, { pageSize }))).toEqual(ascending);
    expect(Array.from(await embeddedRowIds(db, 999_999))).toEqual([]);
  });
});
