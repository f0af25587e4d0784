import type { TaskKind } from '../../db/schema.ts';
import type { BulkTx } from './ingest-tx.ts';

/**
 * COPY targets in the real tables, for imports that need no join on the external id (a new
 * dataset with a reserved id block; vectors for a dataset whose rows are such a block). Column
 * order = the order the encoders in src/ingest/direct-encode.ts (and, for a new COCO dataset,
 * src/ingest/coco-direct.ts) write fields in.
 */
export const DIRECT_TARGET = {
  rows: 'data_rows (id, dataset_id, external_id, labeled)',
  labels: 'annotations (id, row_id, ann_key, label)',
  predictions: 'predictions (id, run_id, row_id, pred_key, label, score, probs)',
  embeddings: 'embeddings (run_id, row_id, dim, vector)',
  imageRows: 'data_rows (id, dataset_id, external_id, labeled, image_url, width, height, metadata)',
  boxes: 'annotations (id, row_id, ann_key, label, x, y, w, h, area, iscrowd)',
  boxPredictions: 'predictions (id, run_id, row_id, pred_key, label, score, x, y, w, h)',
} as const;

/**
 * Session settings for one bulk import. Foreign-key checks run once per inserted row (an SPI
 * query plus a row lock each: four per classification row, more time than the inserts
 * themselves). Every id we insert comes from a join or a row checked in this transaction, so
 * where the role allows it (superuser, as pg_restore --disable-triggers does) we switch them off
 * for this transaction only and instead hold KEY SHARE locks on the dataset and run, which is
 * what the checks would have taken. Without the privilege the checks simply stay on.
 */
export async function prepareBulkSession(
  tx: BulkTx,
  { datasetId, runId }: { datasetId: number; runId: number },
) {
  await lockImports(tx);
  await tx.query(`set local work_mem = '256MB'`);
  // Stages are never analyzed (that alone costs a second per million rows); without statistics
  // the planner sizes them from their files, and bulk merges always want hash joins.
  await tx.query('set local enable_nestloop = off');
  await tx.query('select id from datasets where id = $1 for key share', [datasetId]);
  await tx.query('select id from model_runs where id = $1 for key share', [runId]);
  const [role] = await tx.query<{ ok: boolean }>(
    `select rolsuper as ok from pg_roles where rolname = current_user`,
  );
  if (role?.ok) await tx.query(`set local session_replication_role = replica`);
}

/**
 * One import at a time, from before it looks up its dataset and run until it commits: two
 * imports of the same run then run one after the other (the second sees the first's rows) instead
 * of racing to insert the same dataset name; row-id blocks are reserved from the sequence (see
 * reserveRowIds). Re-entrant within the transaction.
 */
export async function lockImports(tx: BulkTx) {
  await tx.query('select pg_advisory_xact_lock(7294001)');
}

export interface StoredDataset {
  id: number;
  kind: TaskKind;
  classNames: string[];
  sourceClassIds: number[] | null;
}

export async function findDataset(tx: BulkTx, name: string): Promise<StoredDataset | null> {
  const [row] = await tx.query<{
    id: number;
    kind: TaskKind;
    class_names: unknown;
    source_class_ids: unknown;
  }>('select id, kind, class_names, source_class_ids from datasets where name = $1', [name]);
  if (!row) return null;
  const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
  return {
    id: row.id,
    kind: row.kind,
    classNames: parse(row.class_names) as string[],
    sourceClassIds: (parse(row.source_class_ids) as number[] | null) ?? null,
  };
}

export async function insertDataset(
  tx: BulkTx,
  d: { name: string; kind: TaskKind; classNames: string[]; sourceClassIds: number[] | null },
): Promise<number> {
  const [row] = await tx.query<{ id: number }>(
    `insert into datasets (name, kind, class_names, source_class_ids) values ($1, $2, $3::text::jsonb, $4::text::jsonb)
     returning id`,
    [
      d.name,
      d.kind,
      JSON.stringify(d.classNames),
      d.sourceClassIds ? JSON.stringify(d.sourceClassIds) : null,
    ],
  );
  return row.id;
}

export interface StoredRun {
  id: number;
  datasetId: number;
  dataset: string;
  kind: TaskKind;
}

export async function findRunByName(tx: BulkTx, name: string): Promise<StoredRun | null> {
  const [row] = await tx.query<{ id: number; dataset_id: number; dataset: string; kind: TaskKind }>(
    `select r.id, r.dataset_id, d.name as dataset, r.kind from model_runs r join datasets d on d.id = r.dataset_id
     where r.name = $1`,
    [name],
  );
  return row ? { id: row.id, datasetId: row.dataset_id, dataset: row.dataset, kind: row.kind } : null;
}

export async function insertRun(
  tx: BulkTx,
  r: { name: string; datasetId: number; kind: TaskKind; source: Record<string, unknown> },
): Promise<number> {
  const [row] = await tx.query<{ id: number }>(
    `insert into model_runs (name, dataset_id, kind, source) values ($1, $2, $3, $4::text::jsonb) returning id`,
    [r.name, r.datasetId, r.kind, JSON.stringify(r.source)],
  );
  return row.id;
}

/**
 * Reserve `n` consecutive ids of a bigserial table: data_rows ids for a new dataset, so labels and
 * predictions can name their row as `base + seq` instead of joining back on the external id, or
 * annotation/prediction ids written by a COPY that would otherwise call nextval once per row.
 * Imports hold an advisory lock (prepareBulkSession) and are the only writers of these tables.
 */
export async function reserveIds(
  tx: BulkTx,
  table: 'data_rows' | 'annotations' | 'predictions',
  n: number,
): Promise<number> {
  const [r] = await tx.query<{ last: string | number }>(
    `select setval(pg_get_serial_sequence($2, 'id'), nextval(pg_get_serial_sequence($2, 'id')) + $1 - 1)
       as last`,
    [n, table],
  );
  return Number(r.last) - n + 1;
}

export const reserveRowIds = (tx: BulkTx, n: number) => reserveIds(tx, 'data_rows', n);

/**
 * When the dataset's rows are one id block whose external ids are the row indices (a .npy import
 * without --ids), the id of row index i is `base + i`: vectors in row order need no join.
 * Returns that base and the row count, or null.
 */
export async function rowIndexBlock(
  tx: BulkTx,
  datasetId: number,
): Promise<{ base: number; rows: number } | null> {
  const [r] = await tx.query<{ base: string | null; rows: number; top: string | null }>(
    'select min(id) as base, max(id) as top, count(*)::int as rows from data_rows where dataset_id = $1',
    [datasetId],
  );
  if (!r.rows || r.base === null || Number(r.top) - Number(r.base) + 1 !== r.rows) return null;
  const base = Number(r.base);
  const [off] = await tx.query<{ n: number }>(
    `select count(*)::int as n from data_rows where dataset_id = $1 and external_id <> (id - $2::int8)::text`,
    [datasetId, base],
  );
  return off.n === 0 ? { base, rows: r.rows } : null;
}

export async function runHasEmbeddings(tx: BulkTx, runId: number): Promise<boolean> {
  const [r] = await tx.query<{ has: boolean }>(
    'select exists (select 1 from embeddings where run_id = $1) as has',
    [runId],
  );
  return r.has;
}

export async function countEmbeddings(tx: BulkTx, runId: number): Promise<number> {
  const [r] = await tx.query<{ n: number }>('select count(*)::int as n from embeddings where run_id = $1', [
    runId,
  ]);
  return r.n;
}

/**
 * Refresh the planner statistics of the embeddings table after a bulk write. Without them (PGlite
 * has no autovacuum; Postgres' comes minutes later, or never where it is off) the planner took a
 * million fresh lines for a few thousand, and every page an index build or a kNN chunk read
 * bitmap-scanned and sorted all the run's lines after it on disk: 3 s a page, 200 pages a build.
 * Only the key columns: the vectors are never in a condition.
 */
export async function refreshEmbeddingStatistics(tx: BulkTx): Promise<void> {
  await tx.query('analyze embeddings (run_id, row_id)');
}

/**
 * Where the id sequences of the imported tables stand, as one string. Imports run one at a time
 * (lockImports) and every line they add to these tables takes its id from them, as do the label
 * writes, which a label version records as well. So marks read at the end of an import and again
 * later are the same only if no line was added since: an analysis then knows the import's counts
 * still hold without counting the tables (a second at a million rows on Postgres). A sequence
 * also moves for a line written elsewhere, or for one rolled back: the caller then counts.
 *
 * @example
 * const marks = await importMarks(tx); // '1000000:949507:1000000'
 */
export async function importMarks(tx: BulkTx): Promise<string> {
  const last = (table: string) =>
    `coalesce(pg_sequence_last_value(pg_get_serial_sequence('${table}', 'id')::regclass), 0)`;
  const [r] = await tx.query<{ marks: string }>(
    `select concat_ws(':', ${last('data_rows')}, ${last('annotations')}, ${last('predictions')}) as marks`,
  );
  return r.marks;
}

/** What the dataset and run hold after an import. */
export interface ImportCounts {
  rows: number;
  annotations: number;
  predictions: number;
  embeddings: number;
}

/** What the dataset and run hold after an import (ImportCounts), counted. */
export async function countImport(tx: BulkTx, datasetId: number, runId: number): Promise<ImportCounts> {
  const [c] = await tx.query<ImportCounts>(
    `select
       (select count(*)::int from data_rows where dataset_id = $1) as rows,
       (select count(*)::int from annotations a join data_rows r on r.id = a.row_id where r.dataset_id = $1)
         as annotations,
       (select count(*)::int from predictions where run_id = $2) as predictions,
       (select count(*)::int from embeddings where run_id = $2) as embeddings`,
    [datasetId, runId],
  );
  return c;
}
