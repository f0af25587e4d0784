import { expect, it } from 'vitest';
import { withBulkTransaction } from '../../src/store/ingest-tx.ts';
import { CopyReader } from '../../src/store/pgcopy.ts';
import { describeEachDriver } from '../helpers/db.ts';

describeEachDriver('binary COPY out', (ctx) => {
  it('reads tuples field by field, and the connection answers the next query after a large output', async () => {
    await withBulkTransaction(ctx().database, async (tx) => {
      for (const n of [3, 0, 50_000, 2]) {
        const r = new CopyReader(
          await tx.copyOut(
            `select g::int8, g::int4, g / 4.0::float8, g % 2 = 0, 'r' || g, case when g % 3 = 0 then null else g end::int4
             from generate_series(1, ${n}) g`,
          ),
        );
        let count = 0;
        while (r.next()) {
          count++;
          expect([r.int8OrNull(), r.int4OrNull(), r.float8OrNull(), r.boolOrNull(), r.textOrNull()]).toEqual([
            count,
            count,
            count / 4,
            count % 2 === 0,
            `r${count}`,
          ]);
          expect(r.int4OrNull()).toBe(count % 3 === 0 ? null : count);
        }
        expect(count).toBe(n);
      }
      expect(await tx.query<{ one: number }>('select 1 as one')).toEqual([{ one: 1 }]);
    });
  });
});
