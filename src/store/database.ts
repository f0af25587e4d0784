/**
 * The store's face of the database layer: the rest of the app opens a connection and names stored
 * value types through here, so only `src/store` imports `db/`.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';

export { type Database, type Db, createDb } from '../../db/index.ts';
export type { Decision, DecisionSource, JobState, ReviewDecision, TaskKind } from '../../db/schema.ts';

/**
 * Whether the database answers a trivial query (health checks, telling "down" from "bad request").
 *
 * @example
 * if (!(await pingDatabase(deps.db))) return c.json({ ok: false }, 503);
 */
export async function pingDatabase(db: Db): Promise<boolean> {
  return db
    .execute(sql`select 1`)
    .then(() => true)
    .catch(() => false);
}
