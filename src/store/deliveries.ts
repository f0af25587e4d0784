import { eq } from 'drizzle-orm';
import { slackDeliveries } from '../../db/schema.ts';
import type { Db } from '../../db/index.ts';

/**
 * Claim a delivery key (a Slack event id, a button click on one message): true only for the
 * first caller, so retries and double clicks have one side effect.
 *
 * @example
 * if (!(await claimDelivery(db, `event:${eventId}`))) return; // already handled
 */
export async function claimDelivery(db: Db, key: string): Promise<boolean> {
  const won = await db
    .insert(slackDeliveries)
    .values({ key })
    .onConflictDoNothing()
    .returning({ key: slackDeliveries.key });
  return won.length === 1;
}

/** Give a claim back (the side effect failed before it happened), so a retry can try again. */
export async function releaseDelivery(db: Db, key: string): Promise<void> {
  await db.delete(slackDeliveries).where(eq(slackDeliveries.key, key));
}
