import type { SQL } from 'drizzle-orm';
import type { Db } from './index.ts';

/**
 * Run raw SQL and return its rows whatever the driver: PGlite answers `{ rows }`,
 * postgres.js an array.
 *
 * @example
 * const rows = await rawRows<{ n: number }>(db, sql`select count(*)::int as n from data_rows`);
 */
export async function rawRows<T = Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
