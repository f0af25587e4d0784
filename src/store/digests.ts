import { and, eq, inArray, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { digests, labelFlags } from '../../db/schema.ts';

export interface DigestClaim {
  id: number;
  attempts: number;
  /** Set when an earlier attempt posted the message but failed afterwards (do not post it twice). */
  messageTs: string | null;
  /** When the day's first attempt took the row: no message of it can be older. */
  createdAt: Date;
}

/**
 * Take the (channel, day) digest before sending it: true only for the first caller, across
 * instances, since the row is unique. A failed earlier attempt is taken again through a guarded
 * UPDATE (failed → sending), so exactly one retrier wins. With `jobId`, a row left in `sending` by
 * an earlier attempt of the same queue job is taken over too: the queue hands a job to one worker
 * at a time, so that attempt died mid-send (a crash). The message it may have posted is kept in
 * `messageTs`, so the recovery does not post it again.
 *
 * @example
 * const claim = await claimDigest(db, 'C123', '2024-05-06', { jobId: 42 }); // null → someone else has it
 */
export async function claimDigest(
  db: Db,
  channel: string,
  day: string,
  { jobId = null }: { jobId?: number | null } = {},
): Promise<DigestClaim | null> {
  const [fresh] = await db
    .insert(digests)
    .values({ channel, day, status: 'sending', jobId })
    .onConflictDoNothing()
    .returning({
      id: digests.id,
      attempts: digests.attempts,
      messageTs: digests.messageTs,
      createdAt: digests.createdAt,
    });
  if (fresh) return fresh;
  const takeable =
    jobId === null
      ? eq(digests.status, 'failed')
      : or(eq(digests.status, 'failed'), and(eq(digests.status, 'sending'), eq(digests.jobId, jobId)));
  const [retry] = await db
    .update(digests)
    .set({ status: 'sending', attempts: sql`${digests.attempts} + 1`, error: null, jobId })
    .where(and(eq(digests.channel, channel), eq(digests.day, day), takeable))
    .returning({
      id: digests.id,
      attempts: digests.attempts,
      messageTs: digests.messageTs,
      createdAt: digests.createdAt,
    });
  return retry ?? null;
}

/** Remember the posted message (before the chart upload, so a retry does not post it again). */
export async function setDigestMessage(db: Db, id: number, messageTs: string | null): Promise<void> {
  await db.update(digests).set({ messageTs }).where(eq(digests.id, id));
}

export async function markDigestSent(db: Db, id: number, at: Date): Promise<void> {
  await db.update(digests).set({ status: 'sent', sentAt: at, error: null }).where(eq(digests.id, id));
}

export async function markDigestFailed(db: Db, id: number, error: string): Promise<void> {
  await db
    .update(digests)
    .set({ status: 'failed', error: error.slice(0, 2000) })
    .where(eq(digests.id, id));
}

export async function getDigest(db: Db, channel: string, day: string) {
  const [row] = await db
    .select()
    .from(digests)
    .where(and(eq(digests.channel, channel), eq(digests.day, day)))
    .limit(1);
  return row ?? null;
}

/** Digest rows of some channels (for status and tests). */
export async function listDigests(db: Db, channels: string[]) {
  if (channels.length === 0) return [];
  return db
    .select()
    .from(digests)
    .where(inArray(digests.channel, channels))
    .orderBy(digests.day, digests.channel);
}

/**
 * Rows the run flags as likely mislabeled that the previous run of the dataset did not flag
 * (all flagged rows when there is no previous run).
 */
export async function countNewMislabels(
  db: Db,
  runId: number,
  previousRunId: number | null,
): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(distinct ${labelFlags.rowId})::int` })
    .from(labelFlags)
    .where(
      previousRunId === null
        ? eq(labelFlags.runId, runId)
        : and(
            eq(labelFlags.runId, runId),
            sql`not exists (select 1 from ${labelFlags} p where p.run_id = ${previousRunId} and p.row_id = ${labelFlags.rowId})`,
          ),
    );
  return row?.n ?? 0;
}
