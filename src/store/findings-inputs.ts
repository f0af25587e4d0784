import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import {
  annotations,
  dataRows,
  datasets,
  embeddings,
  modelRuns,
  predictions,
  rowScores,
} from '../../db/schema.ts';

/** What the findings computation reads of a run: its classes, rows, predictions and embeddings. */

/** A run with what the findings need from its dataset. */
export interface FindingsRun {
  id: number;
  datasetId: number;
  name: string;
  kind: 'classification' | 'detection';
  classNames: string[];
}

/** The run, or an error naming the id. */
export async function loadFindingsRun(db: Db, runId: number): Promise<FindingsRun> {
  const [run] = await db
    .select({
      id: modelRuns.id,
      datasetId: modelRuns.datasetId,
      name: modelRuns.name,
      kind: modelRuns.kind,
      classNames: datasets.classNames,
    })
    .from(modelRuns)
    .innerJoin(datasets, eq(datasets.id, modelRuns.datasetId))
    .where(eq(modelRuns.id, runId));
  if (!run) throw new Error(`findings: no model run with id ${runId}`);
  return run;
}

/** The findings options last used on a run (empty when none were stored). */
export async function storedFindingsOptions(db: Db, runId: number): Promise<Record<string, unknown>> {
  const [stored] = await db
    .select({ options: modelRuns.findingsOptions })
    .from(modelRuns)
    .where(eq(modelRuns.id, runId));
  return stored?.options ?? {};
}

/** A classification run's rows in row id order: given label (−1 unlabeled) and probabilities. */
export interface ClassificationRows {
  rowIds: number[];
  labels: Int32Array;
  probs: Float32Array;
  k: number;
  /** 1 where the probabilities are the stored vector, 0 where they were spread from the score. */
  stored: Uint8Array;
}

/**
 * A new dataset's rows as its import read them from the files: what the findings read, with each
 * row's predicted class and score as stored on its prediction.
 */
export interface ImportedClassificationRows extends ClassificationRows {
  predicted: Int32Array;
  score: Float64Array;
}

/** One page of rows packed by the database: big-endian int4/int8/float8 columns and array_send vectors. */
interface PackedPage {
  n: number;
  last: number | string | null;
  ids: Uint8Array;
  given: Uint8Array;
  label: Uint8Array;
  score: Uint8Array;
  plen: Uint8Array;
  probs: Uint8Array | null;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/**
 * Every row of a classification run that has a prediction, read in pages (keyset on row id). A
 * prediction stored without its probability vector gets its score on the predicted class and the rest
 * spread evenly, so confident learning still sees what the model claimed.
 *
 * Each page comes back as one line of packed binary columns (the database aggregates a page into
 * byte strings): parsing a million `real[]` texts into objects cost a minute, the packed page a
 * fraction of a second. Every table is bounded by the page's first row id, though the join implies
 * it: Postgres does not carry a range across a join, and each page's merge join then read the
 * rows' and labels' indexes from their start (a million rows: 5.5M index entries instead of 2M).
 * Pages of 25k rows: each page's decoding holds the thread ~50 ms (100k-row pages held it ~200 ms,
 * in a server that answers requests meanwhile), and the whole read is no slower (1M rows: ~4 s).
 */
export async function loadClassificationRows(
  db: Db,
  runId: number,
  k: number,
  { pageSize = 25_000 }: { pageSize?: number } = {},
): Promise<ClassificationRows> {
  const rowIds: number[] = [];
  const labels: number[] = [];
  const stored: number[] = [];
  let probs = new Float32Array(Math.max(1024, k) * k);
  // Errors name the row as the user knows it (the analysis does too); looked up only then.
  const externalIdOf = async (rowId: number) => {
    const [row] = await db.select({ id: dataRows.externalId }).from(dataRows).where(eq(dataRows.id, rowId));
    return row?.id ?? String(rowId);
  };
  let after = -1;
  for (;;) {
    const [page] = await rawRows<PackedPage>(
      db,
      sql`with page as (
          select p.row_id, p.probs, p.label, p.score,
            case when r.labeled and a.label is not null then a.label else -1 end as given
          from ${predictions} p
          join ${dataRows} r on r.id = p.row_id and r.id > ${after}::int8
          left join ${annotations} a on a.row_id = p.row_id and a.ann_key = 'label' and a.row_id > ${after}::int8
          where p.run_id = ${runId}::int and p.pred_key = 0 and p.row_id > ${after}::int8
          order by p.row_id
          limit ${pageSize}::int
        )
        select count(*)::int as n, max(row_id) as last,
          coalesce(string_agg(int8send(row_id), ''::bytea), ''::bytea) as ids,
          coalesce(string_agg(int4send(given), ''::bytea), ''::bytea) as given,
          coalesce(string_agg(int4send(coalesce(label, -1)), ''::bytea), ''::bytea) as label,
          coalesce(string_agg(float8send(score), ''::bytea), ''::bytea) as score,
          coalesce(string_agg(int4send(coalesce(cardinality(probs), -1)), ''::bytea), ''::bytea) as plen,
          string_agg(array_send(probs), ''::bytea) as probs
        from page`,
    );
    const n = Number(page?.n ?? 0);
    if (n === 0) break;
    const ids = view(page.ids);
    const given = view(page.given);
    const label = view(page.label);
    const score = view(page.score);
    const plen = view(page.plen);
    const packed = page.probs ? view(page.probs) : null;
    const base = rowIds.length;
    if ((base + n) * k > probs.length) {
      const grown = new Float32Array(Math.max(probs.length * 2, (base + n) * k));
      grown.set(probs);
      probs = grown;
    }
    let at = 0;
    for (let s = 0; s < n; s++) {
      const i = base + s;
      const rowId = Number(ids.getBigInt64(s * 8));
      const g = given.getInt32(s * 4);
      if (g >= k)
        throw new Error(
          `run ${runId}, row ${await externalIdOf(rowId)}: label ${g} is outside the ${k} classes`,
        );
      const len = plen.getInt32(s * 4);
      if (len >= 0 && packed) {
        // array_send: ndim, has-nulls, element type, then (length, lower bound) per dimension,
        // then (byte length, value) per element; an empty array stops after the element type.
        const ndim = packed.getInt32(at);
        at += 12 + 8 * ndim;
        if (len !== k)
          throw new Error(
            `run ${runId}, row ${await externalIdOf(rowId)}: probs has ${len} values, expected ${k} (one per class)`,
          );
        for (let j = 0; j < len; j++) {
          const bytes = packed.getInt32(at);
          at += 4;
          probs[i * k + j] = bytes < 0 ? Number.NaN : packed.getFloat32(at);
          if (bytes > 0) at += bytes;
        }
        stored.push(1);
      } else {
        const predicted = label.getInt32(s * 4);
        const sc = score.getFloat64(s * 8);
        const rest = k > 1 ? (1 - sc) / (k - 1) : 0;
        for (let j = 0; j < k; j++) probs[i * k + j] = j === predicted ? sc : rest;
        stored.push(0);
      }
      rowIds.push(rowId);
      labels.push(g);
    }
    if (n < pageSize) break;
    after = Number(page.last);
  }
  const out = {
    rowIds,
    labels: Int32Array.from(labels),
    probs: probs.slice(0, rowIds.length * k),
    k,
    stored: Uint8Array.from(stored),
  };
  return inRowIdOrder(out);
}

/**
 * The rows sorted by row id. A page's aggregates take its rows in one order (so the columns agree)
 * but SQL does not promise that order is the page's ORDER BY; sorting inside each aggregate cost
 * a sort per column, so the rare unordered page is put right here.
 */
function inRowIdOrder(rows: ClassificationRows): ClassificationRows {
  const { rowIds, k } = rows;
  let sorted = true;
  for (let i = 1; i < rowIds.length && sorted; i++) sorted = rowIds[i - 1] < rowIds[i];
  if (sorted) return rows;
  const order = Array.from(rowIds.keys()).sort((a, b) => rowIds[a] - rowIds[b]);
  const probs = new Float32Array(rows.probs.length);
  order.forEach((from, to) => {
    probs.set(rows.probs.subarray(from * k, from * k + k), to * k);
  });
  return {
    rowIds: order.map((i) => rowIds[i]),
    labels: Int32Array.from(order, (i) => rows.labels[i]),
    probs,
    k,
    stored: Uint8Array.from(order, (i) => rows.stored[i]),
  };
}

/** One detection image: its labeled flag, ground-truth boxes and predictions. */
export interface DetectionImage {
  rowId: number;
  labeled: boolean;
  gts: { id: number; label: number; box: [number, number, number, number] }[];
  dets: { id: number; label: number; score: number; box: [number, number, number, number] }[];
}

/** Every row of a detection run that has a row_scores line, with its boxes. */
export async function loadDetectionImages(db: Db, runId: number): Promise<DetectionImage[]> {
  const rows = await db
    .select({ rowId: rowScores.rowId, labeled: rowScores.labeled })
    .from(rowScores)
    .where(eq(rowScores.runId, runId))
    .orderBy(asc(rowScores.rowId));
  const byRow = new Map<number, DetectionImage>();
  for (const r of rows)
    byRow.set(Number(r.rowId), { rowId: Number(r.rowId), labeled: r.labeled, gts: [], dets: [] });
  const gts = await rawRows<{
    id: number;
    row_id: number;
    label: number;
    x: number;
    y: number;
    w: number;
    h: number;
  }>(
    db,
    sql`select a.id, a.row_id, a.label, a.x, a.y, a.w, a.h from ${annotations} a
        join ${rowScores} s on s.row_id = a.row_id and s.run_id = ${runId}::int
        where a.x is not null and not a.iscrowd order by a.id`,
  );
  for (const g of gts)
    byRow.get(Number(g.row_id))?.gts.push({
      id: Number(g.id),
      label: g.label,
      box: [Number(g.x), Number(g.y), Number(g.w), Number(g.h)],
    });
  const dets = await db
    .select({
      id: predictions.id,
      rowId: predictions.rowId,
      label: predictions.label,
      score: predictions.score,
      x: predictions.x,
      y: predictions.y,
      w: predictions.w,
      h: predictions.h,
    })
    .from(predictions)
    .where(eq(predictions.runId, runId))
    .orderBy(asc(predictions.id));
  for (const d of dets) {
    if (d.x === null || d.y === null || d.w === null || d.h === null) continue;
    byRow.get(Number(d.rowId))?.dets.push({
      id: Number(d.id),
      label: d.label,
      score: d.score,
      box: [d.x, d.y, d.w, d.h],
    });
  }
  return [...byRow.values()];
}

/** Whether the run has any embedding (the neighbourhood signal needs them). */
export async function countEmbeddings(db: Db, runId: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(embeddings)
    .where(eq(embeddings.runId, runId));
  return row?.n ?? 0;
}

/** Vectors of some rows of a run (float32 little-endian bytea decoded); rows without one are absent. */
export async function loadEmbeddingVectors(
  db: Db,
  runId: number,
  rowIds: number[],
  { pageSize = 5000 }: { pageSize?: number } = {},
): Promise<Map<number, Float32Array>> {
  const out = new Map<number, Float32Array>();
  for (let s = 0; s < rowIds.length; s += pageSize) {
    const rows = await db
      .select({ rowId: embeddings.rowId, dim: embeddings.dim, vector: embeddings.vector })
      .from(embeddings)
      .where(and(eq(embeddings.runId, runId), inArray(embeddings.rowId, rowIds.slice(s, s + pageSize))));
    for (const r of rows) {
      const bytes = new Uint8Array(r.vector);
      if (bytes.byteLength !== r.dim * 4)
        throw new Error(
          `embeddings of run ${runId}, row ${r.rowId}: ${bytes.byteLength} bytes, expected ${r.dim * 4}`,
        );
      const v = new Float32Array(r.dim);
      new Uint8Array(v.buffer).set(bytes);
      out.set(Number(r.rowId), v);
    }
  }
  return out;
}

/** A flag to store; `rank` is assigned from the array order. */
