import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';

/**
 * Runs whose embeddings have no projection yet (a fresh import, or a start after a crash), oldest
 * first: the background jobs the server picks up at start.
 */
export async function runsAwaitingProjection(db: Db): Promise<{ id: number; name: string }[]> {
  const rows = await rawRows<{ id: number; name: string }>(
    db,
    sql`select r.id, r.name from model_runs r
        where exists (select 1 from embeddings e where e.run_id = r.id)
          and not exists (select 1 from projections p where p.run_id = r.id)
        order by r.id`,
  );
  return rows.map((r) => ({ id: Number(r.id), name: r.name }));
}
