import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrationsFolder } from '../../db/migrate.ts';

export interface Journal {
  entries: { when: number; tag: string }[];
}

/** The drizzle-kit journal of the migrations folder. */
export const journal = JSON.parse(
  readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8'),
) as Journal;

/**
 * A copy of the migrations folder as an older install had it: its first `count` migrations.
 *
 * @example
 * await runMigrations({ driver: 'pglite', db }, olderMigrations(dir, journal.entries.length - 1));
 */
export function olderMigrations(dir: string, count: number): string {
  const folder = join(dir, `migrations-${count}`);
  cpSync(migrationsFolder, folder, { recursive: true });
  const older: Journal = { ...journal, entries: journal.entries.slice(0, count) };
  writeFileSync(join(folder, 'meta/_journal.json'), JSON.stringify(older));
  return folder;
}
