import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { classMutes, regressionAlerts, runRegressions } from '../../db/schema.ts';
import type { ClassRegression } from '../regression/types.ts';
import type { BulkTx } from './ingest-tx.ts';

export interface CellLine {
  label: number;
  before: number;
  now: number;
  count: number;
}

/**
 * The rows two classification runs share, counted per (label, previous prediction, new prediction):
 * one GROUP BY over the two runs' predictions and the labels, at most K³ lines back.
 *
 * @example
 * const lines = await pairedCellCounts(db, previous.id, run.id);
 */
export async function pairedCellCounts(db: Db, beforeRunId: number, nowRunId: number): Promise<CellLine[]> {
  // Both runs' predictions and the labels come out of their unique indexes in row order, so a
  // merge join reads each once with no hashing. Right after an import there are no statistics
  // yet and the planner picks nested loops (3.3 s for 200k rows, against 1.0 s merged); with
  // statistics it hashes, which costs more than the merge plus an ANALYZE first.
  const rows = await db.transaction(async (tx) => {
    await tx.execute(sql`set local enable_hashjoin = off`);
    await tx.execute(sql`set local enable_nestloop = off`);
    return rawRows<{ label: number; before: number; now: number; count: number }>(
      tx as unknown as Db,
      sql`select a.label, pa.label as before, pb.label as now, count(*)::float8 as count
        from predictions pa
        join predictions pb on pb.row_id = pa.row_id and pb.run_id = ${nowRunId}::int and pb.pred_key = 0
        join annotations a on a.row_id = pa.row_id and a.ann_key = 'label'
        where pa.run_id = ${beforeRunId}::int and pa.pred_key = 0
        group by 1, 2, 3`,
    );
  });
  return rows.map((r) => ({
    label: Number(r.label),
    before: Number(r.before),
    now: Number(r.now),
    count: Number(r.count),
  }));
}

/**
 * Whether the run's dataset has another run created before it: the condition for queueing a
 * regression check, asked inside the import's transaction.
 */
export async function hasEarlierRunIn(tx: BulkTx, runId: number): Promise<boolean> {
  const rows = await tx.query<{ one: number }>(
    `select 1 as one from model_runs r join model_runs p on p.dataset_id = r.dataset_id
      where r.id = $1 and p.id <> r.id and (p.created_at, p.id) < (r.created_at, r.id) limit 1`,
    [runId],
  );
  return rows.length > 0;
}

export interface StoredRegression {
  runId: number;
  previousRunId: number;
  metric: 'f1' | 'ap';
  rows: number;
  resamples: number;
  seed: number;
  minDrop: number;
  classes: ClassRegression[];
  cells: CellLine[] | null;
  computedAt: Date;
}

/** Store a run's regression check, replacing an earlier one (a job run again writes the same). */
export async function saveRegression(db: Db, r: Omit<StoredRegression, 'computedAt'>): Promise<void> {
  const values = {
    ...r,
    classes: r.classes as unknown as Record<string, unknown>[],
  };
  await db
    .insert(runRegressions)
    .values(values)
    .onConflictDoUpdate({ target: runRegressions.runId, set: { ...values, computedAt: sql`now()` } });
}

/** A run's stored regression check, or null when none ran (first run of its dataset, or pending). */
export async function getRegression(db: Db, runId: number): Promise<StoredRegression | null> {
  const [row] = await db.select().from(runRegressions).where(eq(runRegressions.runId, runId)).limit(1);
  if (!row) return null;
  return {
    ...row,
    classes: row.classes as unknown as ClassRegression[],
    seed: Number(row.seed),
  };
}

export interface AlertClaim {
  id: number;
  attempts: number;
}

/**
 * Take the (run, channel) alert before posting it: only the first caller across instances gets
 * it (the line is unique); a failed attempt is taken again by exactly one retrier.
 *
 * @example
 * const claim = await claimAlert(db, runId, 'C123'); // null → posted or being posted elsewhere
 */
export async function claimAlert(db: Db, runId: number, channel: string): Promise<AlertClaim | null> {
  const [fresh] = await db
    .insert(regressionAlerts)
    .values({ runId, channel })
    .onConflictDoNothing()
    .returning({ id: regressionAlerts.id, attempts: regressionAlerts.attempts });
  if (fresh) return fresh;
  const [retry] = await db
    .update(regressionAlerts)
    .set({ status: 'sending', attempts: sql`${regressionAlerts.attempts} + 1`, error: null })
    .where(
      and(
        eq(regressionAlerts.runId, runId),
        eq(regressionAlerts.channel, channel),
        eq(regressionAlerts.status, 'failed'),
      ),
    )
    .returning({ id: regressionAlerts.id, attempts: regressionAlerts.attempts });
  return retry ?? null;
}

export async function markAlertSent(db: Db, id: number, messageTs: string | null): Promise<void> {
  await db
    .update(regressionAlerts)
    .set({ status: 'sent', messageTs, sentAt: sql`now()`, error: null })
    .where(eq(regressionAlerts.id, id));
}

export async function markAlertFailed(db: Db, id: number, error: string): Promise<void> {
  await db
    .update(regressionAlerts)
    .set({ status: 'failed', error: error.slice(0, 2000) })
    .where(eq(regressionAlerts.id, id));
}

/** The alert lines of a run (status for tests and the board). */
export async function listAlerts(db: Db, runId: number) {
  return db.select().from(regressionAlerts).where(eq(regressionAlerts.runId, runId));
}

/** Mute a class of a dataset: its regressions are no longer alerted. True when newly muted. */
export async function muteClass(db: Db, datasetId: number, label: number, actor: string): Promise<boolean> {
  const added = await db
    .insert(classMutes)
    .values({ datasetId, label, mutedBy: actor })
    .onConflictDoNothing()
    .returning({ label: classMutes.label });
  return added.length > 0;
}

/** Muted class indices of a dataset. */
export async function mutedClasses(db: Db, datasetId: number): Promise<Set<number>> {
  const rows = await db
    .select({ label: classMutes.label })
    .from(classMutes)
    .where(eq(classMutes.datasetId, datasetId));
  return new Set(rows.map((r) => r.label));
}

export interface FlippedRow {
  rowId: number;
  /** Classification: the class each run predicted. Detection: null. */
  before: number | null;
  now: number | null;
}

/**
 * Rows the two runs disagree about, one direction at a time: right before and wrong now
 * ('worse'), or the reverse ('better'). Classification: the prediction against the label.
 * Detection: the row IoU of each run against 0.5. Most confident new answer first.
 *
 * @example
 * const { rows, total } = await listFlippedRows(db, { kind: 'classification', beforeRunId, nowRunId, direction: 'worse' });
 */
export async function listFlippedRows(
  db: Db,
  {
    kind,
    beforeRunId,
    nowRunId,
    direction,
    limit = 24,
  }: {
    kind: 'classification' | 'detection';
    beforeRunId: number;
    nowRunId: number;
    direction: 'worse' | 'better';
    limit?: number;
  },
): Promise<{ rows: FlippedRow[]; total: number }> {
  const worse = direction === 'worse';
  const rows =
    kind === 'classification'
      ? await rawRows<{ row_id: number; before: number; now: number; total: number }>(
          db,
          sql`select pa.row_id, pa.label as before, pb.label as now, count(*) over ()::int as total
              from predictions pa
              join predictions pb on pb.row_id = pa.row_id and pb.run_id = ${nowRunId}::int and pb.pred_key = 0
              join annotations a on a.row_id = pa.row_id and a.ann_key = 'label'
              where pa.run_id = ${beforeRunId}::int and pa.pred_key = 0
                and ${worse ? sql`pa.label = a.label and pb.label <> a.label` : sql`pa.label <> a.label and pb.label = a.label`}
              order by pb.score desc, pa.row_id
              limit ${limit}::int`,
        )
      : await rawRows<{ row_id: number; before: null; now: null; total: number }>(
          db,
          sql`select sa.row_id, null as before, null as now, count(*) over ()::int as total
              from row_scores sa
              join row_scores sb on sb.row_id = sa.row_id and sb.run_id = ${nowRunId}::int
              where sa.run_id = ${beforeRunId}::int and sa.labeled
                and ${worse ? sql`sa.iou >= 0.5 and sb.iou < 0.5` : sql`sa.iou < 0.5 and sb.iou >= 0.5`}
              order by sb.confidence desc, sa.row_id
              limit ${limit}::int`,
        );
  return {
    rows: rows.map((r) => ({
      rowId: Number(r.row_id),
      before: r.before === null ? null : Number(r.before),
      now: r.now === null ? null : Number(r.now),
    })),
    total: rows.length ? Number(rows[0].total) : 0,
  };
}
