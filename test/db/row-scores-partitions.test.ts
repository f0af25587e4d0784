import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/index.ts';
import { runMigrations } from '../../db/migrate.ts';
import { rawRows } from '../../db/raw.ts';
import { drivers, openTestDb, testDatabaseUrl } from '../helpers/db.ts';
import { journal, olderMigrations } from '../helpers/migrations.ts';

// The migration that partitions row_scores by run, on a database holding lines of two runs.
const at = journal.entries.findIndex((e) => e.tag.endsWith('_row_scores_by_run'));

for (const driver of drivers) {
  describe(`row_scores partitioned by run, migrating stored lines [${driver}]`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-partitions-'));
    let database: Database | undefined;
    afterAll(async () => {
      await database?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("moves each run's lines into a partition of its own, unchanged", async () => {
      expect(at).toBeGreaterThan(0);
      database = await openTestDb(driver, { migrate: false });
      const url = testDatabaseUrl(database);
      const migrate = (folder?: string) =>
        url
          ? runMigrations({ driver: 'postgres', db: database!.db, url }, folder)
          : runMigrations({ driver: 'pglite', db: database!.db }, folder);
      await migrate(olderMigrations(dir, at));
      const { db } = database;
      await db.execute(sql`insert into row_scores (run_id, row_id, labeled, iou, confidence, label, predicted, num_gt, num_pred, uncertainty_least)
        values (3, 10, true, 1, 0.9, 1, 1, 1, 1, null), (3, 11, false, null, 0.4, null, 2, 0, 1, 0.6),
               (8, 12, true, 0, 0.7, 0, 2, 1, 1, null)`);
      const lines = sql`select run_id, row_id, labeled, iou, confidence, label, predicted, num_gt, num_pred, uncertainty_least
        from row_scores order by run_id, row_id`;
      const before = await rawRows(db, lines);
      await migrate();
      expect(await rawRows(db, lines)).toEqual(before);
      const partitions = await rawRows<{ name: string }>(
        db,
        sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
          where i.inhparent = 'row_scores'::regclass order by c.relname`,
      );
      expect(partitions.map((p) => p.name)).toEqual([
        'row_scores_default',
        'row_scores_run_3',
        'row_scores_run_8',
      ]);
      const where = await rawRows<{ name: string; n: number }>(
        db,
        sql`select tableoid::regclass::text as name, count(*)::int as n from row_scores group by 1 order by 1`,
      );
      expect(where).toEqual([
        { name: 'row_scores_run_3', n: 2 },
        { name: 'row_scores_run_8', n: 1 },
      ]);
    });
  });
}
