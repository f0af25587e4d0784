import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { Db } from './index.ts';
import { rawRows } from './raw.ts';

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/** Arbitrary constant naming our migration lock among other advisory locks. */
const MIGRATION_LOCK = 7_314_159_265;

/** The time of the newest migration in the folder's drizzle-kit journal. */
function newestMigration(folder: string): number {
  const journal = JSON.parse(readFileSync(`${folder}/meta/_journal.json`, 'utf8')) as {
    entries: { when: number }[];
  };
  return Math.max(...journal.entries.map((e) => e.when));
}

/**
 * Whether the database already has every migration of the folder, by one small query. drizzle's
 * migrator applies each migration newer than the newest one it recorded, so a database whose newest
 * record is at least the journal's newest has nothing to apply. Skipping the migrator then spares a
 * start its schema DDL and transaction (and, on Postgres, a second connection and the lock). A
 * database never migrated has no record table: that is "not current", and the migrator creates it.
 */
export async function migrationsCurrent(db: Db, folder = migrationsFolder): Promise<boolean> {
  const newest = newestMigration(folder);
  try {
    const [row] = await rawRows<{ last: string | number | null }>(
      db,
      sql`select max(created_at) as last from drizzle.__drizzle_migrations`,
    );
    return row?.last != null && Number(row.last) >= newest;
  } catch {
    return false;
  }
}

/**
 * Apply drizzle-kit migrations from code, unless the database already has them all. On Postgres
 * several instances may start at once, so a dedicated connection holds an advisory lock around the
 * run (the migrator checks again under it).
 */
export async function runMigrations(
  opts: { driver: 'pglite'; db: Db } | { driver: 'postgres'; db: Db; url: string },
  folder = migrationsFolder,
): Promise<void> {
  if (await migrationsCurrent(opts.db, folder)) return;
  if (opts.driver === 'pglite') {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await migrate(opts.db as unknown as PgliteDatabase, { migrationsFolder: folder });
    return;
  }
  const [{ default: postgres }, { drizzle }, { migrate }] = await Promise.all([
    import('postgres'),
    import('drizzle-orm/postgres-js'),
    import('drizzle-orm/postgres-js/migrator'),
  ]);
  const client = postgres(opts.url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle(client), { migrationsFolder: folder });
  } finally {
    await client`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
    await client.end({ timeout: 1 });
  }
}
