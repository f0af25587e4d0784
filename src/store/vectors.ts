import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { dataRows, embeddings, modelRuns, rowScores } from '../../db/schema.ts';

/**
 * What identifies the content of a run's embeddings: a saved index whose sidecar carries the
 * same fingerprint was built from exactly these vectors (row ids and bytes).
 */
export interface EmbeddingFingerprint {
  count: number;
  dim: number;
  maxRowId: number;
  /** Decimal strings: sums can pass 2^53. */
  sumRowId: string;
  /**
   * Sum of the rows' xmin (the transaction that last wrote each row): any insert, update or
   * re-import changes it, and it is read from tuple headers without detoasting the vectors,
   * which an md5 over 2 GB of 1M × 512 floats would take a minute to do. Stable under VACUUM
   * FREEZE (the raw xmin is kept); a dump/restore changes it, costing one rebuild.
   */
  hash: string;
}

/** One page of a run's embeddings, in row id order, as one flat float32 matrix. */
export interface EmbeddingChunk {
  rowIds: Float64Array;
  vectors: Float32Array;
  dim: number;
}

/**
 * Fingerprint a run's embeddings in one aggregate query; throws when the run mixes dimensions.
 *
 * @example
 * const fp = await embeddingFingerprint(db, runId); // { count: 1797, dim: 16, … }
 */
export async function embeddingFingerprint(db: Db, runId: number): Promise<EmbeddingFingerprint> {
  const [row] = await rawRows<{
    count: number;
    min_dim: number | null;
    max_dim: number | null;
    max_row: string;
    sum_row: string;
    hash: string;
  }>(
    db,
    sql`select count(*)::int as count, min(dim) as min_dim, max(dim) as max_dim,
          coalesce(max(row_id), 0)::text as max_row, coalesce(sum(row_id), 0)::text as sum_row,
          coalesce(sum(xmin::text::bigint), 0)::text as hash
        from embeddings where run_id = ${runId}`,
  );
  if (row.min_dim !== row.max_dim)
    throw new Error(
      `embeddings of run ${runId}: mixed dimensions (${row.min_dim} and ${row.max_dim}); expected one dimension per run`,
    );
  return {
    count: Number(row.count),
    dim: Number(row.min_dim ?? 0),
    maxRowId: Number(row.max_row),
    sumRowId: row.sum_row,
    hash: row.hash,
  };
}

function decodeInto(
  out: Float32Array,
  offset: number,
  bytes: Uint8Array,
  dim: number,
  runId: number,
  rowId: number,
) {
  if (bytes.byteLength !== dim * 4)
    throw new Error(
      `embeddings of run ${runId}, row ${rowId}: vector has ${bytes.byteLength} bytes, expected ${dim * 4} (dim ${dim} × float32)`,
    );
  // Stored little-endian; every platform Node ships on is little-endian, so bytes copy as-is.
  new Uint8Array(out.buffer, out.byteOffset + offset * 4, dim * 4).set(bytes);
}

function toChunk(
  rows: { rowId: number; dim: number; vector: Uint8Array }[],
  dim: number,
  runId: number,
): EmbeddingChunk {
  const rowIds = new Float64Array(rows.length);
  const vectors = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => {
    if (r.dim !== dim)
      throw new Error(`embeddings of run ${runId}, row ${r.rowId}: dim ${r.dim}, expected ${dim}`);
    rowIds[i] = Number(r.rowId);
    decodeInto(vectors, i * dim, r.vector, dim, runId, r.rowId);
  });
  return { rowIds, vectors, dim };
}

/**
 * Read a run's embeddings page by page (keyset on row id), so a million rows never sit in one result.
 *
 * @example
 * for await (const chunk of readEmbeddingChunks(db, runId, { dim: 128 })) index.add(chunk);
 */
export async function* readEmbeddingChunks(
  db: Db,
  runId: number,
  {
    dim,
    pageSize = 5000,
    after: from = -1,
    last = null,
  }: {
    dim: number;
    pageSize?: number;
    /** Rows after this row id only. */
    after?: number;
    /** Rows up to this row id only (a chunk of the run). */
    last?: number | null;
  },
): AsyncGenerator<EmbeddingChunk> {
  let after = from;
  for (;;) {
    const rows = await db
      .select({ rowId: embeddings.rowId, dim: embeddings.dim, vector: embeddings.vector })
      .from(embeddings)
      .where(
        and(
          eq(embeddings.runId, runId),
          gt(embeddings.rowId, after),
          last === null ? undefined : lte(embeddings.rowId, last),
        ),
      )
      .orderBy(asc(embeddings.rowId))
      .limit(pageSize);
    if (rows.length === 0) return;
    yield toChunk(rows, dim, runId);
    after = rows[rows.length - 1].rowId;
    if (rows.length < pageSize) return;
  }
}

/**
 * The vectors of some rows of a run, in the order asked; throws naming the rows that have none.
 *
 * @example
 * const { vectors } = await readEmbeddings(db, runId, [12, 15], 16);
 */
export async function readEmbeddings(
  db: Db,
  runId: number,
  rowIds: number[],
  dim: number,
): Promise<EmbeddingChunk> {
  const rows = rowIds.length
    ? await db
        .select({ rowId: embeddings.rowId, dim: embeddings.dim, vector: embeddings.vector })
        .from(embeddings)
        .where(and(eq(embeddings.runId, runId), inArray(embeddings.rowId, rowIds)))
    : [];
  const byId = new Map(rows.map((r) => [Number(r.rowId), r]));
  const missing = rowIds.filter((id) => !byId.has(id));
  if (missing.length)
    throw new Error(
      `run ${runId}: no embedding for row id(s) ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`,
    );
  return toChunk(
    rowIds.map((id) => byId.get(id)!),
    dim,
    runId,
  );
}

/**
 * The vectors of some rows of a run, in the order asked, a page at a time (a kNN chunk's tens of
 * thousands of rows never sit in one result); throws as readEmbeddings does.
 *
 * @example
 * for await (const chunk of readEmbeddingPages(db, runId, rowIds, { dim: 128 })) search(chunk);
 */
export async function* readEmbeddingPages(
  db: Db,
  runId: number,
  rowIds: number[],
  { dim, pageSize = 5000 }: { dim: number; pageSize?: number },
): AsyncGenerator<EmbeddingChunk> {
  for (let at = 0; at < rowIds.length; at += pageSize)
    yield readEmbeddings(db, runId, rowIds.slice(at, at + pageSize), dim);
}

/**
 * Every embedded row of a run in row id order, with its given label (null when unlabeled or not
 * scored yet): what the projection stratifies its sample by.
 */
export async function listEmbeddedRows(
  db: Db,
  runId: number,
): Promise<{ rowIds: number[]; labels: (number | null)[] }> {
  const rows = await db
    .select({ rowId: embeddings.rowId, label: rowScores.label })
    .from(embeddings)
    .leftJoin(rowScores, and(eq(rowScores.runId, embeddings.runId), eq(rowScores.rowId, embeddings.rowId)))
    .where(eq(embeddings.runId, runId))
    .orderBy(asc(embeddings.rowId));
  return { rowIds: rows.map((r) => Number(r.rowId)), labels: rows.map((r) => r.label ?? null) };
}

/**
 * Map a run's external ids (what the user typed) to data row ids; unknown ids are absent from the map.
 *
 * @example
 * const ids = await resolveExternalIds(db, runId, ['17', '42']); // Map { '17' => 118, '42' => 143 }
 */
export async function resolveExternalIds(db: Db, runId: number, ids: string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: dataRows.id, externalId: dataRows.externalId })
    .from(dataRows)
    .innerJoin(modelRuns, eq(modelRuns.datasetId, dataRows.datasetId))
    .where(and(eq(modelRuns.id, runId), inArray(dataRows.externalId, ids)));
  return new Map(rows.map((r) => [r.externalId, Number(r.id)]));
}

/** External id and labeled flag of some rows. */
export async function describeRows(
  db: Db,
  rowIds: number[],
): Promise<Map<number, { id: string; labeled: boolean }>> {
  if (rowIds.length === 0) return new Map();
  const rows = await db
    .select({ rowId: dataRows.id, id: dataRows.externalId, labeled: dataRows.labeled })
    .from(dataRows)
    .where(inArray(dataRows.id, rowIds));
  return new Map(rows.map((r) => [Number(r.rowId), { id: r.id, labeled: r.labeled }]));
}

/**
 * The embedded row ids of a run, ascending: the positions a kNN graph refers to. Read as packed
 * pages of int8s: a million ids as result lines held the embedded engine's thread ~5 s and made
 * a million objects.
 */
export async function embeddedRowIds(
  db: Db,
  runId: number,
  { pageSize = 250_000 }: { pageSize?: number } = {},
): Promise<Float64Array> {
  const pages: Float64Array[] = [];
  let after = -1;
  for (;;) {
    const [page] = await rawRows<{ n: number; last: string | number | null; ids: Uint8Array | null }>(
      db,
      sql`with page as (
          select row_id from ${embeddings}
          where run_id = ${runId}::int and row_id > ${after}::int8
          order by row_id limit ${pageSize}::int
        )
        select count(*)::int as n, max(row_id) as last,
          string_agg(int8send(row_id), ''::bytea order by row_id) as ids
        from page`,
    );
    const n = Number(page?.n ?? 0);
    if (n === 0 || !page.ids) break;
    const ids = new DataView(page.ids.buffer, page.ids.byteOffset, page.ids.byteLength);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(ids.getBigInt64(i * 8));
    pages.push(out);
    after = Number(page.last);
    if (n < pageSize) break;
  }
  const all = new Float64Array(pages.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of pages) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/** Runs that have embeddings, with their counts. */
export async function runsWithEmbeddings(db: Db): Promise<{ runId: number; count: number }[]> {
  const rows = await db
    .select({ runId: embeddings.runId, count: sql<number>`count(*)::int` })
    .from(embeddings)
    .groupBy(embeddings.runId)
    .orderBy(asc(embeddings.runId));
  return rows.map((r) => ({ runId: r.runId, count: Number(r.count) }));
}
