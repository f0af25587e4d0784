import { decodeCursor, encodeCursor } from './cursor.ts';
import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import {
  type Decision,
  type DecisionSource,
  type ReviewDecision,
  dataRows,
  reviews,
  tags,
} from '../../db/schema.ts';

export const REWORK_TAG = 're-label';

export interface DecisionInput {
  rowId: number;
  runId?: number | null;
  decision: Decision;
  actor: string;
  actorName?: string | null;
  source: DecisionSource;
  note?: string | null;
}

export interface DecisionRecord {
  id: number;
  rowId: number;
  runId: number | null;
  /** approve/rework/dismiss, or relabel/revert (a correction of the labels, see src/store/corrections.ts). */
  decision: ReviewDecision;
  actor: string;
  actorName: string | null;
  source: DecisionSource;
  note: string | null;
  /** For relabel/revert: the label version the decision made. */
  labelVersionId: number | null;
  at: Date;
}

/** A decision line as the store returns it: the one column list reviews and corrections read. */
export const decisionColumns = {
  id: reviews.id,
  rowId: reviews.rowId,
  runId: reviews.runId,
  decision: reviews.decision,
  actor: reviews.actor,
  actorName: reviews.actorName,
  source: reviews.source,
  note: reviews.note,
  labelVersionId: reviews.labelVersionId,
  at: reviews.createdAt,
};

/**
 * Record a decision on a row. History is append-only and the latest line wins; repeating the
 * row's current decision is a no-op (`recorded: false`, `latest` says who made it), so Slack
 * retries never duplicate. A per-row transaction lock orders concurrent deciders: both land in
 * history when they differ. `rework` tags the row `re-label`; a later approve/dismiss untags it.
 *
 * @example
 * const { recorded, latest } = await recordDecision(db, { rowId, decision: 'approve', actor: 'U1', source: 'slack' });
 */
export async function recordDecision(
  db: Db,
  input: DecisionInput,
): Promise<{ recorded: boolean; latest: DecisionRecord }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_SPACE}, ${input.rowId}::int)`);
    const [exists] = await tx
      .select({ id: dataRows.id })
      .from(dataRows)
      .where(eq(dataRows.id, input.rowId))
      .limit(1);
    if (!exists) throw new RowNotFoundError(input.rowId);
    const [current] = await tx
      .select(decisionColumns)
      .from(reviews)
      .where(eq(reviews.rowId, input.rowId))
      .orderBy(desc(reviews.id))
      .limit(1);
    if (current && current.decision === input.decision) return { recorded: false, latest: current };
    const [inserted] = await tx
      .insert(reviews)
      .values({
        rowId: input.rowId,
        runId: input.runId ?? null,
        decision: input.decision,
        actor: input.actor,
        actorName: input.actorName ?? null,
        source: input.source,
        note: input.note ?? null,
      })
      .returning(decisionColumns);
    if (input.decision === 'rework') {
      await tx
        .insert(tags)
        .values({ rowId: input.rowId, tag: REWORK_TAG, actor: input.actor })
        .onConflictDoNothing();
    } else {
      await tx.delete(tags).where(and(eq(tags.rowId, input.rowId), eq(tags.tag, REWORK_TAG)));
    }
    return { recorded: true, latest: inserted };
  });
}

/** Distinguishes our advisory locks on rows from other users of pg_advisory_xact_lock. */
const LOCK_SPACE = 41_771;

export class RowNotFoundError extends Error {
  constructor(readonly rowId: number) {
    super(`no row with id ${rowId}`);
    this.name = 'RowNotFoundError';
  }
}

/** The latest decision of each given row (rows never decided are absent). */
export async function latestDecisions(db: Db, rowIds: number[]): Promise<Map<number, DecisionRecord>> {
  if (rowIds.length === 0) return new Map();
  const rows = await db
    .selectDistinctOn([reviews.rowId], decisionColumns)
    .from(reviews)
    .where(inArray(reviews.rowId, rowIds))
    .orderBy(reviews.rowId, desc(reviews.id));
  return new Map(rows.map((r) => [r.rowId, r]));
}

/** Every decision on a row, oldest first. */
export async function decisionHistory(db: Db, rowId: number): Promise<DecisionRecord[]> {
  return db.select(decisionColumns).from(reviews).where(eq(reviews.rowId, rowId)).orderBy(asc(reviews.id));
}

export interface ReworkItem {
  rowId: number;
  id: string;
  datasetId: number;
  imageUrl: string | null;
  since: Date;
  actor: string;
  actorName: string | null;
  note: string | null;
  /** The row's current label (class name), or null when unlabeled. */
  label: string | null;
  /** The class a mislabel finding suggests for the row (for the run it was sent back from, else the newest), if any. */
  suggested: string | null;
}

/**
 * The rework queue: rows tagged `re-label`, oldest first, with who sent them and when, why (the
 * note), the row's label and the class the findings suggest: what a re-labeler needs.
 * Keyset pagination on (tagged at, row id); `cursor` is the previous page's `nextCursor`.
 */
export async function listRework(
  db: Db,
  { limit = 50, cursor }: { limit?: number; cursor?: string | null } = {},
): Promise<{ items: ReworkItem[]; total: number; nextCursor: string | null }> {
  const after = cursor ? decodeReworkCursor(cursor) : null;
  const where = after
    ? and(
        eq(tags.tag, REWORK_TAG),
        sql`(${tags.createdAt}, ${tags.rowId}) > (${after.at}::timestamptz, ${after.rowId}::bigint)`,
      )
    : eq(tags.tag, REWORK_TAG);
  const rows = await db
    .select({
      rowId: tags.rowId,
      id: dataRows.externalId,
      datasetId: dataRows.datasetId,
      imageUrl: dataRows.imageUrl,
      since: tags.createdAt,
      // Microsecond text for the cursor: a JS Date keeps milliseconds and would repeat rows.
      sinceExact: sql<string>`to_char(${tags.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      actor: sql<string>`coalesce(${tags.actor}, '')`,
    })
    .from(tags)
    .innerJoin(dataRows, eq(dataRows.id, tags.rowId))
    .where(where)
    .orderBy(asc(tags.createdAt), asc(tags.rowId))
    .limit(limit + 1);
  const [{ total }] = await db
    .select({ total: sql<number>`count(*)::int` })
    .from(tags)
    .where(eq(tags.tag, REWORK_TAG));
  const page = rows.slice(0, limit);
  const latest = await latestDecisions(
    db,
    page.map((r) => r.rowId),
  );
  const classes = await labelsAndSuggestions(
    db,
    page.map((r) => r.rowId),
  );
  const items = page.map(({ sinceExact: _, ...r }) => {
    const d = latest.get(r.rowId);
    const c = classes.get(r.rowId);
    return {
      ...r,
      actorName: d?.actorName ?? null,
      note: d?.note ?? null,
      label: c?.label ?? null,
      suggested: c?.suggested ?? null,
    };
  });
  const last = page.at(-1);
  const nextCursor =
    rows.length > limit && last ? encodeCursor({ at: last.sinceExact, rowId: last.rowId }) : null;
  return { items, total, nextCursor };
}

/** Label and suggested class names of rows: the suggestion of the run of the row's latest decision first. */
async function labelsAndSuggestions(
  db: Db,
  rowIds: number[],
): Promise<Map<number, { label: string | null; suggested: string | null }>> {
  if (rowIds.length === 0) return new Map();
  const rows = await rawRows<{
    row_id: number | string;
    class_names: string[];
    label: number | null;
    suggested: number | null;
  }>(
    db,
    sql`select r.id as row_id, d.class_names, a.label, f.suggested
        from data_rows r
        join datasets d on d.id = r.dataset_id
        left join annotations a on a.row_id = r.id and a.ann_key = 'label'
        left join lateral (
          select v.run_id from reviews v where v.row_id = r.id order by v.id desc limit 1
        ) v on true
        left join lateral (
          select f.suggested from label_flags f
          where f.row_id = r.id and f.suggested is not null
          order by (f.run_id is not distinct from v.run_id) desc, f.run_id desc, f.rank
          limit 1
        ) f on true
        where r.id in (${sql.join(
          rowIds.map((id) => sql`${id}`),
          sql`, `,
        )})`,
  );
  const name = (names: string[], i: number | null) => (i === null ? null : (names[i] ?? String(i)));
  return new Map(
    rows.map((r) => [
      Number(r.row_id),
      { label: name(r.class_names, r.label), suggested: name(r.class_names, r.suggested) },
    ]),
  );
}

/** Counts for the digest: rows sent to rework, and rework rows resolved, since a moment. */
export async function reworkActivity(
  db: Db,
  since: Date,
): Promise<{ opened: number; closed: number; open: number }> {
  const [row] = await db
    .select({
      opened: sql<number>`count(*) filter (where ${reviews.decision} = 'rework')::int`,
      // Qualified by hand: inside the subquery drizzle's bare column names would bind to r2.
      closed: sql<number>`count(*) filter (where reviews.decision <> 'rework' and exists (
        select 1 from reviews r2 where r2.row_id = reviews.row_id and r2.id < reviews.id and r2.decision = 'rework'))::int`,
    })
    .from(reviews)
    .where(gt(reviews.createdAt, since));
  const [{ open }] = await db
    .select({ open: sql<number>`count(*)::int` })
    .from(tags)
    .where(eq(tags.tag, REWORK_TAG));
  return { opened: row?.opened ?? 0, closed: row?.closed ?? 0, open };
}

/** Tag rows (free-form tags); already-tagged rows are left as they are. Returns how many were added. */
export async function addTag(db: Db, rowIds: number[], tag: string, actor?: string): Promise<number> {
  if (rowIds.length === 0) return 0;
  const added = await db
    .insert(tags)
    .values(rowIds.map((rowId) => ({ rowId, tag, actor })))
    .onConflictDoNothing()
    .returning({ rowId: tags.rowId });
  return added.length;
}

export async function removeTag(db: Db, rowIds: number[], tag: string): Promise<number> {
  if (rowIds.length === 0) return 0;
  const removed = await db
    .delete(tags)
    .where(and(inArray(tags.rowId, rowIds), eq(tags.tag, tag)))
    .returning({ rowId: tags.rowId });
  return removed.length;
}

/** Tags of each given row. */
export async function listTags(db: Db, rowIds: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (rowIds.length === 0) return out;
  const rows = await db
    .select({ rowId: tags.rowId, tag: tags.tag })
    .from(tags)
    .where(inArray(tags.rowId, rowIds))
    .orderBy(tags.tag);
  for (const r of rows) out.set(r.rowId, [...(out.get(r.rowId) ?? []), r.tag]);
  return out;
}

function decodeReworkCursor(cursor: string): { at: string; rowId: number } {
  return decodeCursor(cursor, (c) => {
    const v = c as { at?: unknown; rowId?: unknown };
    return typeof v === 'object' &&
      typeof v.at === 'string' &&
      !Number.isNaN(Date.parse(v.at)) &&
      Number.isSafeInteger(v.rowId)
      ? { at: v.at, rowId: v.rowId as number }
      : null;
  });
}
