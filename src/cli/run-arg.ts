import type { Db } from '../store/database.ts';
import { resolveRowIds } from '../store/rows.ts';

export { requireRun } from '../store/run-lookup.ts';

/** Comma-separated external ids → row ids in the run's dataset; unknown ids are an error naming them. */
export async function resolveIds(db: Db, runId: number, list: string): Promise<number[]> {
  const ids = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new Error('no row ids given');
  const map = await resolveRowIds(db, { runId, ids });
  const missing = ids.filter((id) => !map.has(id));
  if (missing.length)
    throw new Error(`unknown row ids in this run's dataset: ${missing.slice(0, 10).join(', ')}`);
  return ids.map((id) => map.get(id)!);
}
