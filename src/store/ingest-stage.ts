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

export const STAGE_FIELDS: Record<Stage, number> = { rows: 12, anns: 10, preds: 9, vectors: 3 };

const STAGE_TABLE: Record<Stage, string> = {
  rows: 'ingest_rows',
  anns: 'ingest_anns',
  preds: 'ingest_preds',
  vectors: 'ingest_vectors',
};

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
 * A merge into a table that may hold some of the staged lines already (the same files again, a
 * second run of a dataset) leaves those out by an anti-join first: Postgres then hashes the stored
 * keys once, where ON CONFLICT alone probes the unique index for every line (a million rows of a
 * dataset again: 2.8 s by conflicts, 0.7 s by the anti-join). ON CONFLICT stays for a line stored
 * meanwhile by another transaction (a label change, not an import: imports take turns).
 */
const unlessStored = (where: 'where' | 'and', stored: string, key: string) =>
  `${where} not exists (${stored}) on conflict (${key}) do nothing`;

/**
 * Row ids follow file order: the stage is filled in file order and read back by one seq scan.
 * This merge and the others answer how many lines they inserted: an import into a run that inserts
 * none left it as it was (the same files again), with no count of the tables before it.
 */
export async function mergeRows(
  tx: BulkTx,
  datasetId: number,
  { fresh = false, base }: Fresh & { base?: number } = {},
): Promise<number> {
  if (base !== undefined) {
    return tx.write(
      `insert into data_rows (id, dataset_id, external_id, labeled, image_url, width, height, metadata)
       select $2::int8 + seq, $1, external_id, labeled, image_url, width, height, metadata from ingest_rows`,
      [datasetId, base],
    );
  }
  return tx.write(
    `insert into data_rows (dataset_id, external_id, labeled, image_url, width, height, metadata)
     select $1, s.external_id, s.labeled, s.image_url, s.width, s.height, s.metadata from ingest_rows s
     ${fresh ? '' : unlessStored('where', 'select 1 from data_rows d where d.dataset_id = $1 and d.external_id = s.external_id', 'dataset_id, external_id')}`,
    [datasetId],
  );
}

/**
 * The row id of each staged row, as a select list item and its FROM clause: `base + seq` for a
 * new dataset's reserved id block (no join back), else the stored row found by its external id.
 * `param` is the placeholder that carries `base`, or the dataset id for the join.
 */
function stagedRowIds(param: string, base: number | undefined): { id: string; from: string } {
  return base === undefined
    ? {
        id: 'r.id',
        from: `ingest_rows s join data_rows r on r.dataset_id = ${param} and r.external_id = s.external_id`,
      }
    : { id: `${param}::int8 + s.seq`, from: 'ingest_rows s' };
}

/** Classification labels as annotations keyed 'label'. */
export async function mergeLabels(
  tx: BulkTx,
  datasetId: number,
  { fresh = false, base }: Fresh & { base?: number } = {},
): Promise<number> {
  const rows = stagedRowIds('$1', base);
  return tx.write(
    `insert into annotations (row_id, ann_key, label)
     select ${rows.id}, 'label', s.label from ${rows.from}
     where s.label is not null
     ${fresh ? '' : unlessStored('and', `select 1 from annotations a where a.row_id = ${rows.id} and a.ann_key = 'label'`, 'row_id, ann_key')}`,
    [base ?? datasetId],
  );
}

export async function mergeClassPredictions(
  tx: BulkTx,
  datasetId: number,
  runId: number,
  { fresh = false, base }: Fresh & { base?: number } = {},
): Promise<number> {
  const rows = stagedRowIds('$2', base);
  return tx.write(
    `insert into predictions (run_id, row_id, pred_key, label, score, probs)
     select $1, ${rows.id}, 0, s.pred, s.score, s.probs from ${rows.from}
     where s.pred is not null
     ${fresh ? '' : unlessStored('and', `select 1 from predictions p where p.run_id = $1 and p.row_id = ${rows.id} and p.pred_key = 0`, 'run_id, row_id, pred_key')}`,
    [runId, base ?? datasetId],
  );
}

export async function mergeAnnotations(
  tx: BulkTx,
  datasetId: number,
  { fresh = false }: Fresh = {},
): Promise<number> {
  return tx.write(
    `insert into annotations (row_id, ann_key, label, x, y, w, h, area, iscrowd)
     select r.id, s.ann_key, s.label, s.x, s.y, s.w, s.h, s.area, s.iscrowd from ingest_anns s
     join data_rows r on r.dataset_id = $1 and r.external_id = s.external_id
     ${fresh ? '' : 'where not exists (select 1 from annotations a where a.row_id = r.id and a.ann_key = s.ann_key)'}
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
): Promise<number> {
  return tx.write(
    `insert into predictions (run_id, row_id, pred_key, label, score, x, y, w, h)
     select $2, r.id, s.pred_key, s.label, s.score, s.x, s.y, s.w, s.h from ingest_preds s
     join data_rows r on r.dataset_id = $1 and r.external_id = s.external_id
     ${fresh ? '' : 'where not exists (select 1 from predictions p where p.run_id = $2 and p.row_id = r.id and p.pred_key = s.pred_key)'}
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
): Promise<number> {
  return tx.write(
    `insert into embeddings (run_id, row_id, dim, vector)
     select $2, r.id, $3, s.vector from ingest_vectors s
     join data_rows r on r.dataset_id = $1 and r.external_id = s.external_id
     ${fresh ? '' : unlessStored('where', 'select 1 from embeddings e where e.run_id = $2 and e.row_id = r.id', 'run_id, row_id')}`,
    [datasetId, runId, dim],
  );
}
