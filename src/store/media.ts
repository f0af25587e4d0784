import { eq } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { dataRows, mediaRoots } from '../../db/schema.ts';
import { CopyWriter } from './pgcopy.ts';
import type { BulkTx } from './ingest-tx.ts';

/** The id of a registered media folder, registering it when new (inside the import's transaction). */
export async function registerMediaRoot(tx: BulkTx, realPath: string): Promise<number> {
  const [row] = await tx.query<{ id: number }>(
    `insert into media_roots (path) values ($1)
     on conflict (path) do update set path = excluded.path returning id`,
    [realPath],
  );
  return row.id;
}

/** A registered folder's path, or null. */
export async function findMediaRoot(db: Db, id: number): Promise<string | null> {
  const [row] = await db.select({ path: mediaRoots.path }).from(mediaRoots).where(eq(mediaRoots.id, id));
  return row?.path ?? null;
}

/** A row's stored image reference and text; null when the row does not exist. */
export async function findRowMedia(
  db: Db,
  rowId: number,
): Promise<{ imageUrl: string | null; text: string | null } | null> {
  const [row] = await db
    .select({ imageUrl: dataRows.imageUrl, text: dataRows.text })
    .from(dataRows)
    .where(eq(dataRows.id, rowId));
  return row ?? null;
}

/** External ids of a dataset's rows in row order (the order they were first imported in). */
export async function datasetExternalIds(tx: BulkTx, datasetId: number): Promise<string[]> {
  const rows = await tx.query<{ external_id: string }>(
    'select external_id from data_rows where dataset_id = $1 order by id',
    [datasetId],
  );
  return rows.map((r) => r.external_id);
}

export interface RowMediaEntry {
  externalId: string;
  imageUrl: string | null;
  text: string | null;
}

/**
 * Set the image reference and/or text of a dataset's rows (same transaction as the import).
 * A null field leaves what is stored.
 */
export async function writeRowMedia(tx: BulkTx, datasetId: number, entries: RowMediaEntry[]): Promise<void> {
  if (!entries.length) return;
  await tx.query(
    'create temp table ingest_media (external_id text, image_url text, text text) on commit drop',
  );
  const w = new CopyWriter();
  const CHUNK = 20000;
  function* encode() {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      w.row(3);
      w.text(e.externalId);
      w.textOrNull(e.imageUrl);
      w.textOrNull(e.text);
      if ((i + 1) % CHUNK === 0) yield w.take();
    }
    yield w.take();
  }
  await tx.copyIn('ingest_media (external_id, image_url, text)', encode());
  await tx.query(
    `update data_rows d set image_url = coalesce(m.image_url, d.image_url), text = coalesce(m.text, d.text)
     from ingest_media m where d.dataset_id = $1 and d.external_id = m.external_id`,
    [datasetId],
  );
}
