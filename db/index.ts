import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { acquireDataLock } from './lock.ts';
import { YieldingPGlite } from './yielding-pglite.ts';
import { runMigrations } from './migrate.ts';
import * as schema from './schema.ts';

export { schema };
export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/**
 * An open database: the drizzle handle plus what the few driver-specific paths
 * (bulk COPY, raw rows) need.
 */
export interface Database {
  db: Db;
  driver: 'pglite' | 'postgres';
  /** Set for Postgres: the postgres.js client (COPY streams). */
  sql?: postgres.Sql;
  /** Set for PGlite: the embedded instance (COPY through /dev/blob). */
  pglite?: PGlite;
  /** Where the embedded database lives, or null (Postgres, or in memory). */
  dataDir: string | null;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  /** postgres:// URL; when absent, PGlite is used. */
  url?: string;
  /** PGlite data folder; omit (or 'memory://') for an in-memory database. */
  dataDir?: string;
  /** Apply migrations (default true). */
  migrate?: boolean;
  /** postgres.js pool size. */
  max?: number;
}

/**
 * Open Postgres when a URL is given, otherwise PGlite, and bring the schema up to date.
 *
 * @example
 * const { db, close } = await createDb({ url: process.env.DATABASE_URL, dataDir: '.loupe' });
 */
export async function createDb({
  url,
  dataDir,
  migrate = true,
  max = 10,
}: CreateDbOptions = {}): Promise<Database> {
  if (url) {
    const sql = postgres(url, { max, onnotice: () => {}, connect_timeout: 10 });
    const db = drizzlePostgres(sql, { schema }) as unknown as Db;
    try {
      await sql`select 1`;
      if (migrate) await runMigrations({ driver: 'postgres', db, url });
    } catch (err) {
      await sql.end({ timeout: 1 });
      throw err;
    }
    return { db, driver: 'postgres', sql, dataDir: null, close: () => sql.end({ timeout: 5 }) };
  }
  const onDisk = dataDir && dataDir !== 'memory://';
  let release = () => {};
  if (onDisk) {
    mkdirSync(dataDir, { recursive: true });
    release = acquireDataLock(dataDir);
  }
  try {
    const pglite = onDisk ? new YieldingPGlite(`${dataDir}/pgdata`) : new YieldingPGlite();
    await pglite.waitReady;
    const db = drizzlePglite(pglite, { schema }) as unknown as Db;
    if (migrate) await runMigrations({ driver: 'pglite', db });
    return {
      db,
      driver: 'pglite',
      pglite,
      dataDir: onDisk ? dataDir : null,
      close: async () => {
        await pglite.close();
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}
