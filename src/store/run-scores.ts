import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';

/**
 * row_scores is partitioned by run (migration 0019). An analysis writes the run's lines into a
 * table of their own with no index, indexes it in one pass per index, and swaps it in as the
 * run's partition: a million lines inserted one by one into the seven indexes took 19 s, written
 * first and indexed after, 7 s. The indexes are the partitioned table's own definitions, read
 * from the catalog, so schema.ts stays their one home.
 */
export interface RunScoresTable {
  runId: number;
  /** The unattached table the lines go into (a plain identifier, safe unquoted). */
  table: string;
}

const partitionName = (runId: number) => `row_scores_run_${runId}`;

/**
 * A fresh table shaped as row_scores for the run's lines, inside the caller's transaction. Its
 * check constraint lets the swap attach it without scanning it.
 *
 * @example
 * const scores = await openRunScores(tx, run.id);
 * await insertRowScores(tx, scores, lines);
 * await swapRunScores(tx, scores);
 */
export async function openRunScores(db: Db, runId: number): Promise<RunScoresTable> {
  const id = integerRunId(runId);
  const table = `${partitionName(id)}_next`;
  await db.execute(
    sql.raw(`create table ${table} (like row_scores including defaults, check (run_id = ${id}))`),
  );
  return { runId: id, table };
}

/**
 * Index the run's new lines as row_scores indexes them and make them the run's partition, in
 * place of its previous lines. Dropping a previous partition locks row_scores until the
 * transaction ends, so a re-analysis keeps what follows the swap short; a first analysis only
 * attaches, which readers do not wait for.
 */
export async function swapRunScores(db: Db, { runId, table }: RunScoresTable): Promise<void> {
  const partition = partitionName(runId);
  const definitions = await rawRows<{ def: string; primary: boolean; name: string }>(
    db,
    sql`select pg_get_indexdef(i.indexrelid) as def, i.indisprimary as primary, c.relname as name
      from pg_index i join pg_class c on c.oid = i.indexrelid
      where i.indrelid = 'row_scores'::regclass order by c.relname`,
  );
  const suffixes: string[] = [];
  for (const { def, primary, name } of definitions) {
    // "CREATE [UNIQUE] INDEX <name> ON ONLY public.row_scores USING …" → the same on this table,
    // named after it until the swap (the run's previous partition holds the final names).
    const suffix = name.replace(/^row_scores_/, '');
    const own = `${table}_${suffix}`;
    const using = def.slice(def.indexOf(' USING '));
    if (primary) {
      await db.execute(sql.raw(`create unique index ${own} on ${table}${using}`));
      await db.execute(sql.raw(`alter table ${table} add constraint ${own} primary key using index ${own}`));
    } else {
      const unique = def.startsWith('CREATE UNIQUE') ? ' unique' : '';
      await db.execute(sql.raw(`create${unique} index ${own} on ${table}${using}`));
    }
    suffixes.push(suffix);
  }
  await db.execute(sql.raw(`drop table if exists ${partition}`));
  // Lines written for the run before it had a partition of its own (attach refuses to hide them).
  await db.execute(sql.raw(`delete from row_scores_default where run_id = ${runId}`));
  await db.execute(sql.raw(`alter table ${table} rename to ${partition}`));
  for (const suffix of suffixes)
    await db.execute(sql.raw(`alter index ${table}_${suffix} rename to ${partition}_${suffix}`));
  await db.execute(sql.raw(`alter table row_scores attach partition ${partition} for values in (${runId})`));
  // Planner statistics of the new lines; analysing row_scores itself would sample every run's
  // partition again, and a query of one run is planned on its partition's statistics.
  await db.execute(sql.raw(`analyze ${partition}`));
}

/** Run ids become table names: only integers get there. */
function integerRunId(runId: number): number {
  if (!Number.isSafeInteger(runId) || runId <= 0) throw new RangeError(`not a run id: ${runId}`);
  return runId;
}
