import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { annotations, batchItems, batches, dataRows, datasets, rowScores } from '../../db/schema.ts';
import { absoluteUrl } from '../text/csv.ts';
import { type BatchExportDocument, formatBatchExport } from '../export/batch-format.ts';
import type { MediaRow } from '../media/urls.ts';

export type BatchStatus = 'open' | 'closed';

export interface Batch {
  id: number;
  name: string;
  status: BatchStatus;
  runId: number | null;
  source: Record<string, unknown> | null;
  createdBy: string | null;
  createdAt: Date;
  closedAt: Date | null;
  /** Who labels it (a Slack user id), and the day it is due (YYYY-MM-DD); see src/store/batch-work.ts. */
  owner: string | null;
  dueOn: string | null;
  remindedFor: string | null;
  assignedBy: string | null;
  assignedAt: Date | null;
}

export class BatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchError';
  }
}

const NAME_MAX = 200;

function checkName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new BatchError('a batch needs a name');
  if (trimmed.length > NAME_MAX) throw new BatchError(`batch names are at most ${NAME_MAX} characters`);
  return trimmed;
}

/**
 * Create a named labeling batch from rows in the given order. Rows already in another open
 * batch are skipped unless `includeOpen`; duplicates in `rowIds` count once.
 *
 * @example
 * const { batch, added, skipped } = await createBatch(db, { name: 'Uncertainty batch 1', rowIds, source: { from: 'uncertain' } });
 */
export async function createBatch(
  db: Db,
  {
    name,
    runId = null,
    rowIds,
    source = null,
    createdBy = null,
    includeOpen = false,
  }: {
    name: string;
    runId?: number | null;
    rowIds: number[];
    source?: Record<string, unknown> | null;
    createdBy?: string | null;
    includeOpen?: boolean;
  },
): Promise<{ batch: Batch; added: number; skipped: number }> {
  const batchName = checkName(name);
  return db.transaction(async (tx) => {
    const [existing] = await tx.select({ id: batches.id }).from(batches).where(eq(batches.name, batchName));
    if (existing)
      throw new BatchError(
        `a batch named "${batchName}" already exists; pick another name or add to it with \`loupe batch add\``,
      );
    const [batch] = await tx
      .insert(batches)
      .values({ name: batchName, runId, source, createdBy })
      .returning();
    const { added, skipped } = await insertItems(tx as unknown as Db, batch.id, rowIds, includeOpen, 0);
    return { batch, added, skipped };
  });
}

/** Append rows to an existing open batch (rows already in it are left in place). */
export async function addToBatch(
  db: Db,
  { name, rowIds, includeOpen = false }: { name: string; rowIds: number[]; includeOpen?: boolean },
): Promise<{ batch: Batch; added: number; skipped: number }> {
  return db.transaction(async (tx) => {
    const batch = await requireBatch(tx as unknown as Db, name);
    if (batch.status !== 'open') throw new BatchError(`batch "${batch.name}" is closed; open a new one`);
    const [{ max }] = await tx
      .select({ max: sql<number>`coalesce(max(${batchItems.position}), -1)::int` })
      .from(batchItems)
      .where(eq(batchItems.batchId, batch.id));
    const result = await insertItems(tx as unknown as Db, batch.id, rowIds, includeOpen, max + 1);
    return { batch, ...result };
  });
}

/**
 * Take rows out of an open batch by their external ids; ids not in the batch are an error naming
 * them, and nothing is removed.
 *
 * @example
 * const { removed } = await removeFromBatch(db, { name: 'week-12', ids: ['1491', '851'] });
 */
export async function removeFromBatch(
  db: Db,
  { name, ids }: { name: string; ids: string[] },
): Promise<{ batch: Batch; removed: number }> {
  return db.transaction(async (tx) => {
    const batch = await requireBatch(tx as unknown as Db, name);
    if (batch.status !== 'open')
      throw new BatchError(`batch "${batch.name}" is closed; its rows stay as they were`);
    const unique = [...new Set(ids)];
    if (unique.length === 0) throw new BatchError('no row ids given');
    const inBatch = await tx
      .select({ rowId: batchItems.rowId, id: dataRows.externalId })
      .from(batchItems)
      .innerJoin(dataRows, eq(dataRows.id, batchItems.rowId))
      .where(and(eq(batchItems.batchId, batch.id), inArray(dataRows.externalId, unique)));
    const found = new Set(inBatch.map((r) => r.id));
    const missing = unique.filter((id) => !found.has(id));
    if (missing.length)
      throw new BatchError(
        `not in batch "${batch.name}": ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`,
      );
    await tx.delete(batchItems).where(
      and(
        eq(batchItems.batchId, batch.id),
        inArray(
          batchItems.rowId,
          inBatch.map((r) => r.rowId),
        ),
      ),
    );
    return { batch, removed: inBatch.length };
  });
}

async function insertItems(db: Db, batchId: number, rowIds: number[], includeOpen: boolean, start: number) {
  const unique = [...new Set(rowIds)];
  if (unique.length === 0) return { added: 0, skipped: 0 };
  // Ids travel as one array parameter, not thousands: a 3,000-row batch is three short statements
  // (an embedded database runs them on the thread that answers requests).
  const ids = idArray(unique);
  const missing = await rawRows<{ id: number }>(
    db,
    sql`select u.id from unnest(${ids}::bigint[]) with ordinality as u(id, ord)
        where not exists (select 1 from ${dataRows} d where d.id = u.id) order by u.ord limit 11`,
  );
  if (missing.length) {
    const shown = missing.slice(0, 10).map((m) => Number(m.id));
    throw new BatchError(`unknown row ids: ${shown.join(', ')}${missing.length > 10 ? ', …' : ''}`);
  }
  const taken = new Set<number>();
  const inOpen = await rawRows<{ row_id: number; batch_id: number }>(
    db,
    sql`select i.row_id, i.batch_id from ${batchItems} i join ${batches} b on b.id = i.batch_id
        where b.status = 'open' and i.row_id = any(${ids}::bigint[])`,
  );
  for (const r of inOpen) if (Number(r.batch_id) === batchId || !includeOpen) taken.add(Number(r.row_id));
  const fresh = unique.filter((id) => !taken.has(id));
  if (fresh.length > 0) {
    await db.execute(
      sql`insert into ${batchItems} (batch_id, row_id, position)
          select ${batchId}::int, u.id, ${start}::int + u.ord::int - 1
          from unnest(${idArray(fresh)}::bigint[]) with ordinality as u(id, ord)`,
    );
  }
  return { added: fresh.length, skipped: unique.length - fresh.length };
}

/** Integer ids as one Postgres array literal (they are validated numbers, never user text). */
function idArray(ids: number[]): string {
  for (const id of ids)
    if (!Number.isSafeInteger(id)) throw new BatchError(`row id ${id} is not a whole number`);
  return `{${ids.join(',')}}`;
}

async function requireBatch(db: Db, name: string): Promise<Batch> {
  const [batch] = await db.select().from(batches).where(eq(batches.name, name.trim()));
  if (!batch) throw new BatchError(`no batch named "${name}"`);
  return batch;
}

/** Every batch, newest first, with its size. */
export async function listBatches(db: Db): Promise<(Batch & { size: number })[]> {
  return db
    .select({
      id: batches.id,
      name: batches.name,
      status: batches.status,
      runId: batches.runId,
      source: batches.source,
      createdBy: batches.createdBy,
      createdAt: batches.createdAt,
      closedAt: batches.closedAt,
      owner: batches.owner,
      dueOn: batches.dueOn,
      remindedFor: batches.remindedFor,
      assignedBy: batches.assignedBy,
      assignedAt: batches.assignedAt,
      size: sql<number>`(select count(*) from ${batchItems} where ${batchItems.batchId} = ${batches.id})::int`,
    })
    .from(batches)
    .orderBy(desc(batches.createdAt), desc(batches.id));
}

export interface BatchItem {
  rowId: number;
  id: string;
  dataset: string;
  imageUrl: string | null;
  width: number | null;
  height: number | null;
  /** Current ground-truth class name (classification), if any. */
  label: string | null;
  /** The batch run's predicted class name, if the batch belongs to a run. */
  predicted: string | null;
  position: number;
}

/** A batch and its items in batch order. */
export async function getBatch(db: Db, name: string): Promise<Batch & { items: BatchItem[] }> {
  const batch = await requireBatch(db, name);
  const rows = await db
    .select({
      rowId: batchItems.rowId,
      position: batchItems.position,
      id: dataRows.externalId,
      dataset: datasets.name,
      classNames: datasets.classNames,
      imageUrl: dataRows.imageUrl,
      width: dataRows.width,
      height: dataRows.height,
      label: annotations.label,
      predicted: rowScores.predicted,
    })
    .from(batchItems)
    .innerJoin(dataRows, eq(dataRows.id, batchItems.rowId))
    .innerJoin(datasets, eq(datasets.id, dataRows.datasetId))
    .leftJoin(annotations, and(eq(annotations.rowId, dataRows.id), eq(annotations.annKey, 'label')))
    .leftJoin(
      rowScores,
      and(eq(rowScores.rowId, dataRows.id), eq(rowScores.runId, sql`${batch.runId ?? -1}::int`)),
    )
    .where(eq(batchItems.batchId, batch.id))
    .orderBy(asc(batchItems.position));
  const name_ = (names: string[], i: number | null) => (i === null ? null : (names[i] ?? String(i)));
  return {
    ...batch,
    items: rows.map(({ classNames, label, predicted, ...r }) => ({
      ...r,
      label: name_(classNames, label),
      predicted: name_(classNames, predicted),
    })),
  };
}

/** Close an open batch (closing twice is a no-op). */
export async function closeBatch(db: Db, name: string): Promise<Batch> {
  const batch = await requireBatch(db, name);
  if (batch.status === 'closed') return batch;
  const [closed] = await db
    .update(batches)
    .set({ status: 'closed', closedAt: sql`now()` })
    .where(eq(batches.id, batch.id))
    .returning();
  return closed;
}

/**
 * A batch's export records, in batch order (formatted by `formatBatchExport`). Image URLs come
 * from `imageUrl` (the media module's `handoff`: absolute, signed where the board is closed),
 * else the stored path made absolute against `publicUrl`.
 */
export async function batchExportDocument(
  db: Db,
  name: string,
  { publicUrl, imageUrl }: { publicUrl?: string; imageUrl?: (row: MediaRow) => string | null } = {},
): Promise<BatchExportDocument> {
  const batch = await getBatch(db, name);
  return {
    batch: batch.name,
    status: batch.status,
    items: batch.items.map((it) => ({
      id: it.id,
      dataset: it.dataset,
      image_url: imageUrl ? imageUrl(it) : absoluteUrl(it.imageUrl, publicUrl),
      width: it.width,
      height: it.height,
      label: it.label,
      predicted: it.predicted,
    })),
  };
}

/**
 * A batch as a labeling tool takes it: CSV with a header (`id` first) or a JSON document; image
 * URLs are absolute when the board's `publicUrl` is given.
 *
 * @example
 * writeFileSync('batch.csv', await exportBatch(db, 'Uncertainty batch 1', 'csv'));
 */
export async function exportBatch(
  db: Db,
  name: string,
  format: 'csv' | 'json',
  { publicUrl }: { publicUrl?: string } = {},
): Promise<string> {
  return formatBatchExport(await batchExportDocument(db, name, { publicUrl }), format);
}
