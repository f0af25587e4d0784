import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/index.ts';
import { migrationsCurrent, runMigrations } from '../../db/migrate.ts';
import { rawRows } from '../../db/raw.ts';
import { drivers, openTestDb, testDatabaseUrl } from '../helpers/db.ts';
import { journal, olderMigrations } from '../helpers/migrations.ts';

const applied = async (database: Database) =>
  (
    await rawRows<{ created_at: string | number }>(
      database.db,
      sql`select created_at from drizzle.__drizzle_migrations order by id`,
    )
  ).map((r) => Number(r.created_at));

for (const driver of drivers) {
  describe(`migrations [${driver}]`, () => {
    let database: Database;
    let dir: string;
    const migrate = (folder?: string) =>
      driver === 'pglite'
        ? runMigrations({ driver, db: database.db }, folder)
        : runMigrations({ driver, db: database.db, url: testDatabaseUrl(database)! }, folder);

    beforeAll(async () => {
      database = await openTestDb(driver, { migrate: false });
      dir = mkdtempSync(join(tmpdir(), 'loupe-migrations-'));
    });
    afterAll(async () => {
      await database?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a blank database is not current', async () => {
      expect(await migrationsCurrent(database.db)).toBe(false);
    });

    it('applies the migration an older database lacks, and then counts it as current', async () => {
      const older = olderMigrations(dir, journal.entries.length - 1);
      await migrate(older);
      const before = await applied(database);
      expect(before).toEqual(journal.entries.slice(0, -1).map((e) => e.when));
      expect(await migrationsCurrent(database.db, older)).toBe(true);
      expect(await migrationsCurrent(database.db)).toBe(false);

      await migrate();
      expect(await applied(database)).toEqual(journal.entries.map((e) => e.when));
      expect(await migrationsCurrent(database.db)).toBe(true);
    });

    it('a current database starts without applying anything again', async () => {
      await migrate();
      expect(await applied(database)).toEqual(journal.entries.map((e) => e.when));
    });
  });
}
