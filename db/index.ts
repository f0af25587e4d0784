import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type postgres from 'postgres';
import { acquireDataLock } from './lock.ts';
import { runMigrations } from './migrate.ts';
import { byteaCodec } from './pglite-bytea.ts';
import { compilePgliteWasm } from './pglite-wasm.ts';
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
  /**
   * A short-lived process running a few small queries (a CLI read): open PGlite for a quick start
   * instead of throughput. Ignored for Postgres.
   */
  brief?: boolean;
  /**
   * PGlite's engine, compiled early by the caller (compilePgliteWasm) so the compile overlaps the
   * caller's module loading; when absent (or it failed), PGlite compiles its own. Ignored for Postgres.
   */
  pgliteWasm?: Promise<WebAssembly.Module>;
}

/**
 * A brief start compiles the engine for a quick start (see compilePgliteWasm), and asks for 16 MB of
 * shared buffers (the default is 128 MB, touched at start): ample for a page of rows, and ~150 MB less.
 */
const BRIEF_START_PARAMS = ['-c', 'shared_buffers=16MB'];

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
  brief = false,
  pgliteWasm,
}: CreateDbOptions = {}): Promise<Database> {
  // Each driver's packages load only when it opens: the embedded database is not the server's client.
  if (url) {
    const [{ default: postgres }, { drizzle: drizzlePostgres }] = await Promise.all([
      import('postgres'),
      import('drizzle-orm/postgres-js'),
    ]);
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
    // A brief start compiles the engine itself unless its caller started the compile earlier.
    const wasm = pgliteWasm ?? (brief ? compilePgliteWasm({ brief }) : undefined);
    const [{ YieldingPGlite }, { drizzle: drizzlePglite }] = await Promise.all([
      import('./yielding-pglite.ts'),
      import('drizzle-orm/pglite'),
    ]);
    const pgliteWasmModule = await wasm?.catch(() => undefined);
    const options = {
      ...byteaCodec,
      ...(pgliteWasmModule ? { pgliteWasmModule } : {}),
      ...(brief ? { startParams: [...YieldingPGlite.defaultStartParams, ...BRIEF_START_PARAMS] } : {}),
    };
    const pglite = onDisk ? new YieldingPGlite(`${dataDir}/pgdata`, options) : new YieldingPGlite(options);
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
