import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe } from 'vitest';
import { type Database, type Db, createDb } from '../../db/index.ts';
import { loadConfig } from '../../src/config.ts';
import { type Deps, createLogger } from '../../src/deps.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';
import type { ObjectSource } from '../../src/store/objects.ts';

export type Driver = 'pglite' | 'postgres';

/** PGlite always; Postgres too when DATABASE_URL is set (CI runs both). */
export const drivers: Driver[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

/**
 * A fresh, migrated database: in-memory PGlite, or a new database on the server named by
 * DATABASE_URL (dropped on close), so test files never see each other's rows. `migrate: false`
 * leaves it blank.
 */
export async function openTestDb(
  driver: Driver,
  { max = 10, migrate = true }: { max?: number; migrate?: boolean } = {},
): Promise<Database> {
  if (driver === 'pglite') return createDb({ migrate });
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('DATABASE_URL is not set');
  const name = `loupe_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const database = await createDb({ url: url.toString(), max, migrate });
  return {
    ...database,
    async close() {
      await database.close();
      const drop = postgres(base, { max: 1, onnotice: () => {} });
      await drop.unsafe(`drop database if exists ${name} with (force)`);
      await drop.end();
    },
  };
}

/** The URL of a fresh Postgres database for tests that need several connections (two app instances). */
export function testDatabaseUrl(database: Database): string | undefined {
  const opts = database.sql?.options;
  if (!opts || !process.env.DATABASE_URL) return undefined;
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = `/${opts.database}`;
  return url.toString();
}

/** What the object queries need over a handle (a fresh decoded-run cache, no pool: decoded inline). */
export function objectSource(db: Db): ObjectSource {
  return { db, objectCache: createObjectCache() };
}

/** Deps over a test database, with a silent logger and a fixed or given clock. */
export function testDeps(database: Database, overrides: Partial<Deps> = {}): Deps {
  return {
    db: database.db,
    database,
    config: loadConfig({ LOUPE_DEMO: '0' }),
    logger: createLogger({ level: 'silent' }),
    clock: { now: () => new Date() },
    objectCache: createObjectCache(),
    ...overrides,
  };
}

/**
 * One suite body, run on every driver, as drizzle's own integration tests do.
 *
 * @example
 * describeEachDriver('runs', (ctx) => { it('lists', async () => { await listRuns(ctx().db.db) }) });
 */
export function describeEachDriver(
  name: string,
  body: (get: () => { database: Database; driver: Driver }) => void,
) {
  for (const driver of drivers) {
    describe(`${name} [${driver}]`, () => {
      let database: Database;
      beforeAll(async () => {
        database = await openTestDb(driver);
      });
      afterAll(async () => {
        await database?.close();
      });
      body(() => ({ database, driver }));
    });
  }
}
