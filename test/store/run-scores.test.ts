import { eq, sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { rawRows } from '../../db/raw.ts';
import { modelRuns, rowScores } from '../../db/schema.ts';
import { analyzeRun } from '../../src/analyze/run.ts';
import { insertRowScores, rowScoreLines } from '../helpers/builder.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { seedClassification } from '../analyze/fixtures.ts';

const classNames = ['cat', 'dog'];
const rows = [
  { id: 'a', label: 0, probs: [0.9, 0.1] },
  { id: 'b', label: 1, probs: [0.6, 0.4] },
  { id: 'c', probs: [0.3, 0.7] },
];

/** The partitions of row_scores and, for each, its indexes' definitions as on row_scores. */
async function partitions(db: Parameters<typeof rawRows>[0]) {
  return rawRows<{ name: string; bound: string }>(
    db,
    sql`select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'row_scores'::regclass order by c.relname`,
  );
}

/** Each index of a table, with the table's name taken out, so a partition's compare with the parent's. */
async function indexShapes(db: Parameters<typeof rawRows>[0], table: string) {
  const defs = await rawRows<{ def: string }>(
    db,
    sql`select pg_get_indexdef(indexrelid) as def from pg_index where indrelid = ${table}::regclass`,
  );
  return defs.map((d) => d.def.slice(d.def.indexOf(' USING '))).sort();
}

describeEachDriver('row_scores partitioned by run', (ctx) => {
  let runId: number;

  it("an analysis swaps in the run's lines as its own partition, indexed as row_scores is", async () => {
    const { db } = ctx().database;
    ({ runId } = await seedClassification(db, { name: 'parts', classNames, rows }));
    await analyzeRun(testDeps(ctx().database), runId);
    const parts = await partitions(db);
    expect(parts).toContainEqual({ name: `row_scores_run_${runId}`, bound: `FOR VALUES IN (${runId})` });
    expect(parts).toContainEqual({ name: 'row_scores_default', bound: 'DEFAULT' });
    const own = await indexShapes(db, `row_scores_run_${runId}`);
    expect(own).toEqual(await indexShapes(db, 'row_scores'));
    expect(own).toHaveLength(8);
    const primary = await rawRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from pg_constraint
        where conrelid = ${`row_scores_run_${runId}`}::regclass and contype = 'p'`,
    );
    expect(primary[0].n).toBe(1);
  });

  it('a re-analysis replaces the partition, and lines written before it had one move into it', async () => {
    const { db } = ctx().database;
    const before = await rowScoreLines(db, runId);
    // A line for the run in the default partition (written while the run had none of its own).
    const [{ maxId }] = await rawRows<{ maxId: number }>(
      db,
      sql`select max(row_id)::int8 as "maxId" from row_scores`,
    );
    await db.execute(sql`alter table row_scores detach partition ${sql.raw(`row_scores_run_${runId}`)}`);
    await db.execute(sql`drop table ${sql.raw(`row_scores_run_${runId}`)}`);
    await insertRowScores(db, runId, [{ rowId: Number(maxId) + 1000, labeled: false, confidence: 0.5 }]);
    await analyzeRun(testDeps(ctx().database), runId);
    const after = await rowScoreLines(db, runId);
    expect(after).toEqual(before);
    await analyzeRun(testDeps(ctx().database), runId);
    expect(await rowScoreLines(db, runId)).toEqual(before);
    const names = (await partitions(db))
      .map((p) => p.name)
      .filter((n) => n.startsWith(`row_scores_run_${runId}`));
    expect(names).toEqual([`row_scores_run_${runId}`]);
  });

  it('deleting a run drops its partition', async () => {
    const { db } = ctx().database;
    await db.delete(modelRuns).where(eq(modelRuns.id, runId));
    expect((await partitions(db)).map((p) => p.name)).not.toContain(`row_scores_run_${runId}`);
    expect(await db.select().from(rowScores).where(eq(rowScores.runId, runId))).toEqual([]);
  });
});
