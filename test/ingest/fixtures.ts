import { hasSharedData } from '../helpers/shared-data.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';

export { SHARED } from '../helpers/shared-data.ts';

/** The shared real data, when this checkout sits next to it (CI fails without it). */
export const hasShared = hasSharedData('label-errors/mnist/labels.npy', 'imports of the published datasets');

/** A scratch folder for hand-made input files, removed by `cleanup`. */
export function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'loupe-ingest-'));
  return {
    dir,
    write(name: string, content: string | Uint8Array): string {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const TABLES = ['datasets', 'model_runs', 'data_rows', 'annotations', 'predictions', 'embeddings'];

/** Row count and content checksum of every table an import writes. */
export async function snapshot(db: Db): Promise<Record<string, { n: number; md5: string | null }>> {
  const out: Record<string, { n: number; md5: string | null }> = {};
  for (const t of TABLES) {
    const [r] = await rawRows<{ n: number; md5: string | null }>(
      db,
      sql.raw(`select count(*)::int as n, md5(string_agg(x::text, '|' order by x::text)) as md5 from ${t} x`),
    );
    out[t] = r;
  }
  return out;
}

/** How many jobs a run has had (queued, run or failed): an import that analyses queues some. */
export async function runJobs(db: Db, run: string): Promise<number> {
  const [r] = await rawRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from jobs j join model_runs r on r.id = j.run_id where r.name = ${run}`,
  );
  return r.n;
}
