import { type SQL, and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { batchItems, batches, reviews } from '../../db/schema.ts';
import { SLACK_USER_ID } from '../authorize.ts';
import { type Batch, BatchError } from './batches.ts';

/** Where a batch's labeling stands: nothing done yet, some rows done, or every row done (or closed). */
export type BatchState = 'open' | 'in progress' | 'done';

/** Where one row of a batch stands: untouched, decided on the board or in Slack, or newly labeled. */
export type BatchRowState = 'pending' | 'decided' | 'labeled';

export interface BatchProgress {
  id: number;
  name: string;
  status: Batch['status'];
  owner: string | null;
  dueOn: string | null;
  createdAt: Date;
  size: number;
  /** Rows with a new label or a decision since the batch was made. */
  progressed: number;
  state: BatchState;
}

/**
 * A row has progressed when it got a new label (brought back from a labeling tool, or a
 * correction) or a decision after its batch was made.
 */
const labeledSince = (b: SQL, i: SQL) =>
  sql`(${i}.done_at is not null or exists (
        select 1 from label_changes lc join label_versions lv on lv.id = lc.version_id
         where lc.row_id = ${i}.row_id and lv.created_at > ${b}.created_at))`;
const decidedSince = (b: SQL, i: SQL) =>
  sql`exists (select 1 from ${reviews} r where r.row_id = ${i}.row_id and r.created_at > ${b}.created_at)`;

export function stateOf(status: Batch['status'], size: number, progressed: number): BatchState {
  if (status === 'closed' || (size > 0 && progressed >= size)) return 'done';
  return progressed > 0 ? 'in progress' : 'open';
}

/**
 * Each batch's owner, due day, size, progress and state, newest first; only open ones with `open`.
 *
 * @example
 * const [week12] = await batchProgress(db, { names: ['week-12'] }); // { progressed: 40, size: 50, state: 'in progress', … }
 */
export async function batchProgress(
  db: Db,
  { open = false, names }: { open?: boolean; names?: string[] } = {},
): Promise<BatchProgress[]> {
  const b = sql.raw('b');
  const i = sql.raw('i');
  const where = [
    open ? sql`b.status = 'open'` : sql`true`,
    names
      ? names.length
        ? sql`b.name in (${sql.join(
            names.map((n) => sql`${n}`),
            sql`, `,
          )})`
        : sql`false`
      : sql`true`,
  ];
  const rows = await rawRows<{
    id: number;
    name: string;
    status: Batch['status'];
    owner: string | null;
    due_on: string | null;
    created_at: string | Date;
    size: number;
    progressed: number;
  }>(
    db,
    sql`select b.id, b.name, b.status, b.owner, b.due_on::text as due_on, b.created_at,
          count(i.row_id)::int as size,
          (count(i.row_id) filter (where ${labeledSince(b, i)} or ${decidedSince(b, i)}))::int as progressed
        from ${batches} b left join ${batchItems} i on i.batch_id = b.id
        where ${sql.join(where, sql` and `)}
        group by b.id order by b.created_at desc, b.id desc`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    name: r.name,
    status: r.status,
    owner: r.owner,
    dueOn: r.due_on,
    createdAt: new Date(r.created_at),
    size: Number(r.size),
    progressed: Number(r.progressed),
    state: stateOf(r.status, Number(r.size), Number(r.progressed)),
  }));
}

/** The state of each row of a batch (rows not in it are absent). */
export async function batchRowStates(db: Db, batchId: number): Promise<Map<number, BatchRowState>> {
  const b = sql.raw('b');
  const i = sql.raw('i');
  const rows = await rawRows<{ row_id: number; labeled: boolean; decided: boolean }>(
    db,
    sql`select i.row_id, ${labeledSince(b, i)} as labeled, ${decidedSince(b, i)} as decided
        from ${batchItems} i join ${batches} b on b.id = i.batch_id where i.batch_id = ${batchId}`,
  );
  return new Map(
    rows.map((r) => [Number(r.row_id), r.labeled ? 'labeled' : r.decided ? 'decided' : 'pending'] as const),
  );
}

/** A calendar day as YYYY-MM-DD that exists (2026-02-30 does not). */
export function checkDay(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !d || d.toISOString().slice(0, 10) !== day)
    throw new BatchError(
      `"${day.slice(0, 20)}" is not a day: write the due date as YYYY-MM-DD, e.g. 2026-12-10`,
    );
  return day;
}

/**
 * Give a batch to an owner (a Slack user id), optionally with a due day. Reassigning or moving the
 * due day lets the owner be reminded again.
 *
 * @example
 * await assignBatch(db, { name: 'week-12', owner: 'U024BE7LH', dueOn: '2026-12-10', by: 'U0LEAD' });
 */
export async function assignBatch(
  db: Db,
  { name, owner, dueOn = null, by }: { name: string; owner: string; dueOn?: string | null; by: string },
): Promise<Batch> {
  if (!SLACK_USER_ID.test(owner))
    throw new BatchError(`"${owner.slice(0, 40)}" is not a Slack user: mention them, e.g. @maria`);
  const due = dueOn === null ? null : checkDay(dueOn);
  const [found] = await db
    .select({ id: batches.id, status: batches.status })
    .from(batches)
    .where(eq(batches.name, name.trim()));
  if (!found) throw new BatchError(`no batch named "${name}"`);
  if (found.status !== 'open') throw new BatchError(`batch "${name.trim()}" is closed; open a new one`);
  const [updated] = await db
    .update(batches)
    .set({ owner, dueOn: due, remindedFor: null, assignedBy: by, assignedAt: sql`now()` })
    .where(eq(batches.id, found.id))
    .returning();
  return updated;
}

/** A batch whose owner is to be reminded today. */
export interface DueBatch {
  id: number;
  name: string;
  owner: string;
  dueOn: string;
  size: number;
  progressed: number;
}

/** Open, unfinished batches with an owner, due on or before `today`. */
async function dueCandidates(db: Db, today: string) {
  const day = checkDay(today);
  return (await batchProgress(db, { open: true })).filter(
    (b) => b.owner && b.dueOn && b.dueOn <= day && b.state !== 'done',
  );
}

/**
 * The batches whose owner is owed a reminder on `today` (due then or before, unfinished, not yet
 * reminded for that due day), without claiming them: what the daily schedule queues a job for.
 *
 * @example
 * const due = await listDueReminders(db, '2026-12-10'); // [{ id: 3, dueOn: '2026-12-10' }]
 */
export async function listDueReminders(db: Db, today: string): Promise<{ id: number; dueOn: string }[]> {
  const candidates = await dueCandidates(db, today);
  if (candidates.length === 0) return [];
  const open = await db
    .select({ id: batches.id })
    .from(batches)
    .where(
      and(
        inArray(
          batches.id,
          candidates.map((c) => c.id),
        ),
        sql`${batches.remindedFor} is distinct from ${batches.dueOn}`,
      ),
    );
  const ids = new Set(open.map((r) => r.id));
  return candidates.filter((c) => ids.has(c.id)).map((c) => ({ id: c.id, dueOn: c.dueOn as string }));
}

/**
 * Take the open, unfinished, owned batches due on or before `today` whose owner was not yet
 * reminded of this due day, marking them reminded in the same statement: of two instances
 * running the daily job, each batch goes to one. Give one back with `releaseReminder` when the
 * message could not be sent.
 */
export async function claimDueReminders(
  db: Db,
  today: string,
  { batchId }: { batchId?: number } = {},
): Promise<DueBatch[]> {
  const candidates = (await dueCandidates(db, today)).filter(
    (b) => batchId === undefined || b.id === batchId,
  );
  if (candidates.length === 0) return [];
  const claimed = await db
    .update(batches)
    .set({ remindedFor: sql`${batches.dueOn}` })
    .where(
      and(
        inArray(
          batches.id,
          candidates.map((c) => c.id),
        ),
        sql`${batches.remindedFor} is distinct from ${batches.dueOn}`,
      ),
    )
    .returning({ id: batches.id });
  const ids = new Set(claimed.map((c) => c.id));
  return candidates
    .filter((c) => ids.has(c.id))
    .map((c) => ({
      id: c.id,
      name: c.name,
      owner: c.owner as string,
      dueOn: c.dueOn as string,
      size: c.size,
      progressed: c.progressed,
    }));
}

/** Undo a claim whose reminder failed, so the next run sends it. */
export async function releaseReminder(db: Db, batchId: number, dueOn: string): Promise<void> {
  await db
    .update(batches)
    .set({ remindedFor: null })
    .where(and(eq(batches.id, batchId), sql`${batches.remindedFor} = ${dueOn}::date`));
}

/**
 * Mark rows done in every open batch that holds them (labels for them came back from a labeling
 * tool). Returns how many batch rows changed, per batch name.
 */
export async function markBatchRowsDone(db: Db, rowIds: number[]): Promise<Map<string, number>> {
  const done = new Map<string, number>();
  for (let start = 0; start < rowIds.length; start += 5000) {
    const part = rowIds.slice(start, start + 5000);
    const rows = await db
      .update(batchItems)
      .set({ doneAt: sql`now()` })
      .where(
        and(
          inArray(batchItems.rowId, part),
          isNull(batchItems.doneAt),
          inArray(
            batchItems.batchId,
            db.select({ id: batches.id }).from(batches).where(eq(batches.status, 'open')),
          ),
        ),
      )
      .returning({ batchId: batchItems.batchId });
    const names = new Map(
      (
        await db
          .select({ id: batches.id, name: batches.name })
          .from(batches)
          .where(inArray(batches.id, [...new Set(rows.map((r) => r.batchId)), -1]))
      ).map((b) => [b.id, b.name]),
    );
    for (const r of rows) {
      const name = names.get(r.batchId) ?? String(r.batchId);
      done.set(name, (done.get(name) ?? 0) + 1);
    }
  }
  return done;
}
