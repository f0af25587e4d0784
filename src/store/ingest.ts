import type { TaskKind } from '../../db/schema.ts';
import type { BulkTx } from './ingest-tx.ts';

// Staging tables live for one import transaction; the real tables are filled from them with
// INSERT … SELECT … ON CONFLICT DO NOTHING, which makes a repeated import a no-op.

/** `fresh`: nothing can conflict (the dataset or run was created by this import), so plain
 * INSERTs skip the speculative-insertion work ON CONFLICT does per row. */
export interface Fresh {
  fresh?: boolean;
}

export type Stage = 'rows' | 'anns' | 'preds' | 'vectors';

const STAGE_DDL: Record<Stage, string> = {
  rows: `create temp table ingest_rows (ord int4, seq int4, external_id text, labeled bool, image_url text, width int4,
    height int4, metadata jsonb, label int4, pred int4, score float8, probs real[]) on commit drop`,
  anns: `create temp table ingest_anns (ord int4, external_id text, ann_key text, label int4, x float8, y float8,
    w float8, h float8, area float8, iscrowd bool) on commit drop`,
  preds: `create temp table ingest_preds (ord int4, external_id text, pred_key int4, label int4, score float8,
    x float8, y float8, w float8, h float8) on commit drop`,
  vectors: 'create temp table ingest_vectors (ord int4, external_id text, vector bytea) on commit drop',
};

/** COPY targets, column order = the order the encoders write fields in. */
export const STAGE_TARGET: Record<Stage, string> = {
  rows: 'ingest_rows (ord, seq, external_id, labeled, image_url, width, height, metadata, label, pred, score, probs)',
  anns: 'ingest_anns (ord, external_id, ann_key, label, x, y, w, h, area, iscrowd)',
  preds: 'ingest_preds (ord, external_id, pred_key, label, score, x, y, w, h)',
  vectors: 'ingest_vectors (ord, external_id, vector)',
};

/**
 * COPY targets in the real tables, for imports that need no join on the external id (a new
 * dataset with a reserved id block; vectors for a dataset whose rows are such a block). Column
 * order = the order the encoders in src/ingest/direct-encode.ts write fields in.
 */
export const DIRECT_TARGET = {
  rows: 'data_rows (id, dataset_id, external_id, labeled)',
  labels: 'annotations (id, row_id, ann_key, label)',
  predictions: 'predictions (id, run_id, row_id, pred_key, label, score, probs)',
  embeddings: 'embeddings (run_id, row_id, dim, vector)',
} as const;

export const STAGE_FIELDS: Record<Stage, number> = { rows: 12, anns: 10, preds: 9, vectors: 3 };

const STAGE_TABLE: Record<Stage, string> = {
  rows: 'ingest_rows',
  anns: 'ingest_anns',
  preds: 'ingest_preds',
  vectors: 'ingest_vectors',
};

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
  // One import at a time: row-id blocks are reserved from the sequence (see reserveRowIds).
  await tx.query('select pg_advisory_xact_lock(7294001)');
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

export async function createStage(tx: BulkTx, stage: Stage): Promise<void> {
  await tx.query(STAGE_DDL[stage]);
}

/** The first external id staged twice, with the two positions, or null. */
export async function findDuplicateId(
  tx: BulkTx,
  stage: 'rows' | 'vectors',
): Promise<{ externalId: string; first: number; second: number } | null> {
  const [dup] = await tx.query<{ external_id: string; first: number; second: number }>(
    `select external_id, min(ord) as first, max(ord) as second from ${STAGE_TABLE[stage]}
     group by external_id having count(*) > 1 order by min(ord) limit 1`,
  );
  return dup ? { externalId: dup.external_id, first: dup.first, second: dup.second } : null;
}

/** Same key twice within one image, e.g. a repeated COCO annotation id. */
export async function findDuplicateAnnKey(
  tx: BulkTx,
): Promise<{ annKey: string; first: number; second: number } | null> {
  const [dup] = await tx.query<{ ann_key: string; first: number; second: number }>(
    `select ann_key, min(ord) as first, max(ord) as second from ingest_anns
     group by ann_key having count(*) > 1 order by min(ord) limit 1`,
  );
  return dup ? { annKey: dup.ann_key, first: dup.first, second: dup.second } : null;
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

/** The first staged row whose label differs from the ground truth stored for the same row. */
export async function findLabelConflict(
  tx: BulkTx,
  datasetId: number,
): Promise<{ ord: number; externalId: string; label: number | null; stored: number | null } | null> {
  const [row] = await tx.query<{
    ord: number;
    external_id: string;
    label: number | null;
    stored: number | null;
  }>(
    `select s.ord, s.external_id, s.label, a.label as stored
     from ingest_rows s
     join data_rows r on r.dataset_id = $1 and r.external_id = s.external_id
     left join annotations a on a.row_id = r.id and a.ann_key = 'label'
     where a.label is distinct from s.label or r.labeled <> s.labeled
     order by s.ord limit 1`,
    [datasetId],
  );
  return row ? { ord: row.ord, externalId: row.external_id, label: row.label, stored: row.stored } : null;
}

/** Staged boxes of an already stored image that differ from (or are missing in) the stored ones. */
export async function findBoxConflict(
  tx: BulkTx,
  datasetId: number,
): Promise<{ externalId: string; annKey: string; reason: 'differs' | 'new' | 'missing' } | null> {
  const [changed] = await tx.query<{ external_id: string; ann_key: string; missing: boolean }>(
    `select s.external_id, s.ann_key, a.id is null as missing
     from ingest_anns s
     join data_rows r on r.dataset_id = $1 and r.external_id = s.external_id
     left join annotations a on a.row_id = r.id and a.ann_key = s.ann_key
     where a.id is null or a.label <> s.label or a.x <> s.x or a.y <> s.y or a.w <> s.w or a.h <> s.h
       or a.iscrowd <> s.iscrowd
     order by s.ord limit 1`,
    [datasetId],
  );
  if (changed)
    return {
      externalId: changed.external_id,
      annKey: changed.ann_key,
      reason: changed.missing ? 'new' : 'differs',
    };
  const [gone] = await tx.query<{ external_id: string; ann_key: string }>(
    `select r.external_id, a.ann_key
     from ingest_rows s
     join data_rows r on r.dataset_id = $1 and r.external_id = s.external_id
     join annotations a on a.row_id = r.id
     where not exists (select 1 from ingest_anns n where n.external_id = s.external_id and n.ann_key = a.ann_key)
     order by s.ord limit 1`,
    [datasetId],
  );
  return gone ? { externalId: gone.external_id, annKey: gone.ann_key, reason: 'missing' } : null;
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

/** Row ids follow file order: the stage is filled in file order and read back by one seq scan. */
export async function mergeRows(
  tx: BulkTx,
  datasetId: number,
  { fresh = false, base }: Fresh & { base?: number } = {},
): Promise<void> {
  if (base !== undefined) {
    await tx.query(
      `insert into data_rows (id, dataset_id, external_id, labeled, image_url, width, height, metadata)
       select $2::int8 + seq, $1, external_id, labeled, image_url, width, height, metadata from ingest_rows`,
      [datasetId, base],
    );
    return;
  }
  await tx.query(
    `insert into data_rows (dataset_id, external_id, labeled, image_url, width, height, metadata)
     select $1, external_id, labeled, image_url, width, height, metadata from ingest_rows
     ${fresh ? '' : 'on conflict (dataset_id, external_id) do nothing'}`,
    [datasetId],
  );
}

/** Classification labels as annotations keyed 'label'. */
export async function mergeLabels(
  tx: BulkTx,
  datasetId: number,
  { fresh = false, base }: Fresh & { base?: number } = {},
): Promise<void> {
  if (base !== undefined) {
    await tx.query(
      `insert into annotations (row_id, ann_key, label)
       select $1::int8 + seq, 'label', label from ingest_rows where label is not null`,
      [base],
    );
    return;
  }
  await tx.query(
    `insert into annotations (row_id, ann_key, label)
     select r.id, 'label', s.label from ingest_rows s
     join data_rows r on r.dataset_id = $1 and r.external_id = s.external_id
     where s.label is not null
     ${fresh ? '' : 'on conflict (row_id, ann_key) do nothing'}`,
    [datasetId],
  );
}

export async function mergeClassPredictions(
  tx: BulkTx,
  datasetId: number,
  runId: number,
  { fresh = false, base }: Fresh & { base?: number } = {},
): Promise<void> {
  if (base !== undefined) {
    await tx.query(
      `insert into predictions (run_id, row_id, pred_key, label, score, probs)
       select $1, $2::int8 + seq, 0, pred, score, probs from ingest_rows where pred is not null`,
      [runId, base],
    );
    return;
  }
  await tx.query(
    `insert into predictions (run_id, row_id, pred_key, label, score, probs)
     select $2, r.id, 0, s.pred, s.score, s.probs from ingest_rows s
     join data_rows r on r.dataset_id = $1 and r.external_id = s.external_id
     where s.pred is not null
     ${fresh ? '' : 'on conflict (run_id, row_id, pred_key) do nothing'}`,
    [datasetId, runId],
  );
}

export async function mergeAnnotations(
  tx: BulkTx,
  datasetId: number,
  { fresh = false }: Fresh = {},
): Promise<void> {
  await tx.query(
    `insert into annotations (row_id, ann_key, label, x, y, w, h, area, iscrowd)
     select r.id, s.ann_key, s.label, s.x, s.y, s.w, s.h, s.area, s.iscrowd from ingest_anns s
     join data_rows r on r.dataset_id = $1 and r.external_id = s.external_id
     order by s.ord
     ${fresh ? '' : 'on conflict (row_id, ann_key) do nothing'}`,
    [datasetId],
  );
}

export async function mergeBoxPredictions(
  tx: BulkTx,
  datasetId: number,
  runId: number,
  { fresh = false }: Fresh = {},
): Promise<void> {
  await tx.query(
    `insert into predictions (run_id, row_id, pred_key, label, score, x, y, w, h)
     select $2, r.id, s.pred_key, s.label, s.score, s.x, s.y, s.w, s.h from ingest_preds s
     join data_rows r on r.dataset_id = $1 and r.external_id = s.external_id
     order by s.ord
     ${fresh ? '' : 'on conflict (run_id, row_id, pred_key) do nothing'}`,
    [datasetId, runId],
  );
}

/** The first staged vector whose external id is not a row of the dataset. */
export async function findUnknownVectorId(
  tx: BulkTx,
  datasetId: number,
): Promise<{ ord: number; externalId: string } | null> {
  const [row] = await tx.query<{ ord: number; external_id: string }>(
    `select s.ord, s.external_id from ingest_vectors s
     where not exists (select 1 from data_rows r where r.dataset_id = $1 and r.external_id = s.external_id)
     order by s.ord limit 1`,
    [datasetId],
  );
  return row ? { ord: row.ord, externalId: row.external_id } : null;
}

export async function mergeEmbeddings(
  tx: BulkTx,
  datasetId: number,
  runId: number,
  dim: number,
  { fresh = false }: Fresh = {},
): Promise<void> {
  await tx.query(
    `insert into embeddings (run_id, row_id, dim, vector)
     select $2, r.id, $3, s.vector from ingest_vectors s
     join data_rows r on r.dataset_id = $1 and r.external_id = s.external_id
     ${fresh ? '' : 'on conflict (run_id, row_id) do nothing'}`,
    [datasetId, runId, dim],
  );
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

/** What the dataset and run hold after an import. */
export async function countImport(
  tx: BulkTx,
  datasetId: number,
  runId: number,
): Promise<{ rows: number; annotations: number; predictions: number; embeddings: number }> {
  const [c] = await tx.query<{ rows: number; annotations: number; predictions: number; embeddings: number }>(
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
