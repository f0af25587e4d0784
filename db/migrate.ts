import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import postgres from 'postgres';
import type { Db } from './index.ts';

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/** Arbitrary constant naming our migration lock among other advisory locks. */
const MIGRATION_LOCK = 7_314_159_265;

/**
 * Apply drizzle-kit migrations from code. On Postgres several instances may start at once,
 * so a dedicated connection holds an advisory lock around the run.
 */
export async function runMigrations(
  opts: { driver: 'pglite'; db: Db } | { driver: 'postgres'; db: Db; url: string },
): Promise<void> {
  if (opts.driver === 'pglite') {
    await migratePglite(opts.db as unknown as PgliteDatabase, { migrationsFolder });
    return;
  }
  const sql = postgres(opts.url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migratePostgres(drizzle(sql), { migrationsFolder });
  } finally {
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
    await sql.end({ timeout: 1 });
  }
}
