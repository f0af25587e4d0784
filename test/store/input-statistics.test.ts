import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { rawRows } from '../../db/raw.ts';
import { refreshInputStatistics } from '../../src/store/analysis.ts';
import { seedClassification } from '../analyze/fixtures.ts';
import { describeEachDriver } from '../helpers/db.ts';

/** The columns of the three input tables the planner has statistics on. */
async function columnsWithStatistics(db: Parameters<typeof rawRows>[0]) {
  const rows = await rawRows<{ col: string }>(
    db,
    sql`select tablename || '.' || attname as col from pg_stats
      where schemaname = 'public' and tablename in ('data_rows', 'annotations', 'predictions')`,
  );
  return rows.map((r) => r.col).sort();
}

describeEachDriver("planner statistics of an analysis' inputs", (ctx) => {
  it('cover the keys the analysis joins and filters on, not the boxes or probability vectors', async () => {
    const { db } = ctx().database;
    const rows = Array.from({ length: 40 }, (_, i) => ({
      id: `r${i}`,
      label: i % 3,
      probs: [0.2, 0.3, 0.5],
    }));
    await seedClassification(db, { name: 'stats', classNames: ['a', 'b', 'c'], rows });
    await refreshInputStatistics(db);
    const cols = await columnsWithStatistics(db);
    for (const key of [
      'data_rows.id',
      'data_rows.dataset_id',
      'data_rows.external_id',
      'data_rows.labeled',
      'annotations.row_id',
      'annotations.ann_key',
      'annotations.label',
      'predictions.run_id',
      'predictions.row_id',
      'predictions.label',
      'predictions.score',
    ])
      expect(cols).toContain(key);
    // A fresh database: nothing else analysed these tables (autovacuum waits longer than a test).
    expect(cols).not.toContain('predictions.probs');
    expect(cols).not.toContain('annotations.x');
  });
});
