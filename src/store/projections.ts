import { classNamesOfRun } from './run-lookup.ts';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { dataRows, projections, rowScores } from '../../db/schema.ts';

export interface ProjectionInput {
  rowIds: ArrayLike<number>;
  /** n×2 flat: x0, y0, x1, y1, … */
  coords: Float32Array;
  fitted: ArrayLike<boolean>;
}

export interface ProjectionPoint {
  rowId: number;
  id: string;
  x: number;
  y: number;
  fitted: boolean;
  /** Class names; null when unlabeled or not scored. */
  label: string | null;
  predicted: string | null;
  /** Row IoU ≥ 0.5 (classification: prediction = label); null when unknown. */
  correct: boolean | null;
}

/**
 * Replace a run's projection in one transaction: a failed save leaves the previous one intact.
 *
 * @example
 * await saveProjection(db, runId, { rowIds, coords, fitted });
 */
export async function saveProjection(
  db: Db,
  runId: number,
  { rowIds, coords, fitted }: ProjectionInput,
  { batch = 5000 }: { batch?: number } = {},
): Promise<number> {
  const n = rowIds.length;
  if (coords.length !== n * 2 || fitted.length !== n)
    throw new Error(
      `saveProjection: ${n} rows but ${coords.length / 2} coordinates and ${fitted.length} fitted flags`,
    );
  for (let i = 0; i < coords.length; i++)
    if (!Number.isFinite(coords[i]))
      throw new Error(`saveProjection: row ${rowIds[Math.floor(i / 2)]} has a non-finite coordinate`);
  await db.transaction(async (tx) => {
    await tx.delete(projections).where(eq(projections.runId, runId));
    for (let start = 0; start < n; start += batch) {
      const values = [];
      for (let i = start; i < Math.min(n, start + batch); i++)
        values.push({ runId, rowId: rowIds[i], x: coords[i * 2], y: coords[i * 2 + 1], fitted: fitted[i] });
      await tx.insert(projections).values(values);
    }
    // The table has no foreign keys (bulk writes): the rows are checked once, as a set, here.
    const [{ stray }] = await rawRows<{ stray: number }>(
      tx,
      sql`select count(*)::int as stray from ${projections} p
          where p.run_id = ${runId}::int and not exists (
            select 1 from ${dataRows} d join model_runs m on m.dataset_id = d.dataset_id
            where d.id = p.row_id and m.id = ${runId}::int)`,
    );
    if (Number(stray) > 0)
      throw new Error(`saveProjection: ${stray} of the rows are not rows of run ${runId}'s dataset`);
  });
  return n;
}

/**
 * Which save of a run's projection is stored, null when none is: the transaction that wrote it.
 * saveProjection replaces every point in one transaction, so any one point tells (one index read).
 *
 * @example
 * const key = `${runId}:${await projectionVersion(db, runId)}`;
 */
export async function projectionVersion(db: Db, runId: number): Promise<string | null> {
  const [row] = await rawRows<{ v: string }>(
    db,
    sql`select xmin::text as v from ${projections} where run_id = ${runId} order by row_id limit 1`,
  );
  return row?.v ?? null;
}

/**
 * A run's 2-D projection with what the scatter plot colours by: given and predicted class, and
 * whether the prediction was right.
 *
 * @example
 * const { points } = await listProjection(db, runId);
 */
export async function listProjection(db: Db, runId: number): Promise<{ points: ProjectionPoint[] }> {
  const names = await classNamesOfRun(db, runId);
  if (!names) return { points: [] };
  const nameOf = (c: number | null) => (c === null ? null : (names[c] ?? String(c)));
  const rows = await db
    .select({
      rowId: projections.rowId,
      id: dataRows.externalId,
      x: projections.x,
      y: projections.y,
      fitted: projections.fitted,
      label: rowScores.label,
      predicted: rowScores.predicted,
      iou: rowScores.iou,
    })
    .from(projections)
    .innerJoin(dataRows, eq(dataRows.id, projections.rowId))
    .leftJoin(rowScores, and(eq(rowScores.runId, projections.runId), eq(rowScores.rowId, projections.rowId)))
    .where(eq(projections.runId, runId))
    .orderBy(asc(projections.rowId));
  return {
    points: rows.map((r) => ({
      rowId: Number(r.rowId),
      id: r.id,
      x: r.x,
      y: r.y,
      fitted: r.fitted,
      label: nameOf(r.label ?? null),
      predicted: nameOf(r.predicted ?? null),
      correct: r.iou === null || r.iou === undefined ? null : r.iou >= 0.5,
    })),
  };
}
