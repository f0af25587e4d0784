import { classNamesOfRun } from './run-lookup.ts';
import { CursorError, decodeCursor, encodeCursor } from './cursor.ts';
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import {
  annotations,
  batchItems,
  batches,
  dataRows,
  datasets,
  embeddings,
  labelFlags,
  modelRuns,
  predictions,
  rowScores,
} from '../../db/schema.ts';
import { runCompute } from '../compute/pool.ts';
import type { Deps } from '../deps.ts';
import type { Strategy } from '../findings/uncertainty.ts';
import type { NewFlag } from './findings-save.ts';

/** A run with what the findings need from its dataset. */
export interface FindingsRun {
  id: number;
  name: string;
  kind: 'classification' | 'detection';
  classNames: string[];
}

/** The run, or an error naming the id. */
export async function loadFindingsRun(db: Db, runId: number): Promise<FindingsRun> {
  const [run] = await db
    .select({ id: modelRuns.id, name: modelRuns.name, kind: modelRuns.kind, classNames: datasets.classNames })
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
}

/**
 * Every row of a classification run that has a prediction, read in pages (keyset on row id). A
 * prediction stored without its probability vector gets its score on the predicted class and the rest
 * spread evenly, so confident learning still sees what the model claimed.
 */
export async function loadClassificationRows(
  db: Db,
  runId: number,
  k: number,
  { pageSize = 20_000 }: { pageSize?: number } = {},
): Promise<ClassificationRows> {
  const rowIds: number[] = [];
  const labels: number[] = [];
  let probs = new Float32Array(Math.max(1024, k) * k);
  // Errors name the row as the user knows it (the analysis does too); looked up only then.
  const externalIdOf = async (rowId: number) => {
    const [row] = await db.select({ id: dataRows.externalId }).from(dataRows).where(eq(dataRows.id, rowId));
    return row?.id ?? String(rowId);
  };
  let after = -1;
  for (;;) {
    const page = await db
      .select({
        rowId: predictions.rowId,
        probs: predictions.probs,
        label: predictions.label,
        score: predictions.score,
        labeled: dataRows.labeled,
        given: annotations.label,
      })
      .from(predictions)
      .innerJoin(dataRows, eq(dataRows.id, predictions.rowId))
      .leftJoin(annotations, and(eq(annotations.rowId, predictions.rowId), eq(annotations.annKey, 'label')))
      .where(and(eq(predictions.runId, runId), eq(predictions.predKey, 0), gt(predictions.rowId, after)))
      .orderBy(asc(predictions.rowId))
      .limit(pageSize);
    for (const r of page) {
      const i = rowIds.length;
      if ((i + 1) * k > probs.length) {
        const grown = new Float32Array(probs.length * 2);
        grown.set(probs);
        probs = grown;
      }
      const rowId = Number(r.rowId);
      const given = r.labeled && r.given !== null ? r.given : -1;
      if (given >= k)
        throw new Error(
          `run ${runId}, row ${await externalIdOf(rowId)}: label ${given} is outside the ${k} classes`,
        );
      if (r.probs && r.probs.length !== k)
        throw new Error(
          `run ${runId}, row ${await externalIdOf(rowId)}: probs has ${r.probs.length} values, expected ${k} (one per class)`,
        );
      if (r.probs) probs.set(r.probs, i * k);
      else {
        const rest = k > 1 ? (1 - r.score) / (k - 1) : 0;
        for (let j = 0; j < k; j++) probs[i * k + j] = j === r.label ? r.score : rest;
      }
      rowIds.push(rowId);
      labels.push(given);
    }
    if (page.length < pageSize) break;
    after = Number(page[page.length - 1].rowId);
  }
  return { rowIds, labels: Int32Array.from(labels), probs: probs.slice(0, rowIds.length * k), k };
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
export interface MislabelItem {
  rowId: number;
  id: string;
  given: string | null;
  suggested: string | null;
  score: number;
  methods: string[];
  evidence: string;
  kind: string;
  imageUrl: string | null;
  /** The model's own answer: its top class and that class's probability (a box flag's class, no probability). */
  predicted: string | null;
  confidence: number | null;
  width: number | null;
  height: number | null;
  /** Detection flags: the flagged ground-truth box (none for overlooked). */
  gtBox: { x: number; y: number; w: number; h: number } | null;
  /** Detection flags: the prediction that contradicts the label, and its score. */
  predBox: { x: number; y: number; w: number; h: number } | null;
  predScore: number | null;
}

export interface MislabelPage {
  items: MislabelItem[];
  total: number;
  nextCursor: string | null;
}

/** A stored box, or null when it has no geometry. */
function xywh(x: number | null, y: number | null, w: number | null, h: number | null) {
  if (x === null || y === null || w === null || h === null) return null;
  return { x: Number(x), y: Number(y), w: Number(w), h: Number(h) };
}

function encodeRankCursor(runId: number, rank: number): string {
  return encodeCursor([runId, rank]);
}

function decodeRankCursor(cursor: string, runId: number): number {
  const [run, rank] = decodeCursor(cursor, (v) =>
    Array.isArray(v) && v.length === 2 && v.every(Number.isSafeInteger) ? (v as [number, number]) : null,
  );
  if (run !== runId) throw new CursorError(`cursor: the page token belongs to another run (id ${run})`);
  return rank;
}

/**
 * A run's suspected label errors, most likely wrong first, leaving out rows whose latest review said
 * approve or dismiss. Keyset pages on the flag rank (index `label_flags_run_rank_idx`).
 *
 * @example
 * const page = await listMislabels(db, { runId, limit: 20 });
 * const next = page.nextCursor ? await listMislabels(db, { runId, cursor: page.nextCursor }) : null;
 */
export async function listMislabels(
  db: Db,
  {
    runId,
    limit = 20,
    cursor,
    kind,
    flagIds,
  }: {
    runId: number;
    limit?: number;
    cursor?: string | null;
    kind?: NewFlag['kind'] | null;
    /** These flags only, in this order (a re-ranked queue's page); no cursor then. */
    flagIds?: number[] | null;
  },
): Promise<MislabelPage> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`limit: expected a positive integer, got ${limit}`);
  const after = cursor ? decodeRankCursor(cursor, runId) : 0;
  const classNames = await classNamesOfRun(db, runId);
  if (!classNames) throw new Error(`no model run with id ${runId}`);
  const open = sql`coalesce((select r.decision from reviews r where r.row_id = f.row_id order by r.id desc limit 1), '')
    not in ('approve', 'dismiss')`;
  const kindFilter = kind ? sql`and f.kind = ${kind}` : sql``;
  const idFilter = flagIds
    ? sql`and f.id in (${
        flagIds.length
          ? sql.join(
              flagIds.map((id) => sql`${id}::bigint`),
              sql`, `,
            )
          : sql`null`
      })`
    : sql``;
  const rows = await rawRows<{
    flag_id: number;
    row_id: number;
    kind: string;
    given: number | null;
    suggested: number | null;
    score: number;
    methods: string[] | string;
    evidence: string;
    rank: number;
    external_id: string;
    image_url: string | null;
    predicted: number | null;
    confidence: number | null;
    width: number | null;
    height: number | null;
    ax: number | null;
    ay: number | null;
    aw: number | null;
    ah: number | null;
    px: number | null;
    py: number | null;
    pw: number | null;
    ph: number | null;
    pscore: number | null;
  }>(
    db,
    sql`select f.id as flag_id, f.row_id, f.kind, f.given, f.suggested, f.score, f.methods, f.evidence, f.rank,
          d.external_id, d.image_url, d.width, d.height, s.predicted, s.confidence,
          a.x as ax, a.y as ay, a.w as aw, a.h as ah, p.x as px, p.y as py, p.w as pw, p.h as ph,
          p.score as pscore
        from ${labelFlags} f join ${dataRows} d on d.id = f.row_id
        left join ${rowScores} s on s.run_id = f.run_id and s.row_id = f.row_id
        left join ${annotations} a on a.id = f.ann_id
        left join ${predictions} p on p.id = f.pred_id
        where f.run_id = ${runId}::int and f.rank > ${after}::int ${kindFilter} ${idFilter} and ${open}
        order by f.rank limit ${limit + 1}::int`,
  );
  const [{ total }] = await rawRows<{ total: number }>(
    db,
    sql`select count(*)::int as total from ${labelFlags} f
        where f.run_id = ${runId}::int ${kindFilter} and ${open}`,
  );
  const name = (c: number | null) => (c === null ? null : (classNames[c] ?? String(c)));
  const position = new Map((flagIds ?? []).map((id, i) => [id, i]));
  const page = flagIds
    ? rows.sort((a, b) => (position.get(Number(a.flag_id)) ?? 0) - (position.get(Number(b.flag_id)) ?? 0))
    : rows.slice(0, limit);
  return {
    items: page.map((r) => ({
      rowId: Number(r.row_id),
      id: r.external_id,
      given: name(r.given),
      suggested: name(r.suggested),
      score: Number(r.score),
      methods: typeof r.methods === 'string' ? JSON.parse(r.methods) : r.methods,
      evidence: r.evidence,
      kind: r.kind,
      imageUrl: r.image_url,
      width: r.width === null ? null : Number(r.width),
      height: r.height === null ? null : Number(r.height),
      gtBox: xywh(r.ax, r.ay, r.aw, r.ah),
      predBox: xywh(r.px, r.py, r.pw, r.ph),
      predScore: r.pscore === null ? null : Number(r.pscore),
      ...(r.kind === 'label'
        ? { predicted: name(r.predicted), confidence: r.confidence === null ? null : Number(r.confidence) }
        : { predicted: name(r.suggested), confidence: null }),
    })),
    total: Number(total),
    nextCursor:
      !flagIds && rows.length > limit ? encodeRankCursor(runId, Number(page[page.length - 1].rank)) : null,
  };
}

export interface UncertainItem {
  rowId: number;
  id: string;
  score: number;
  predicted: string | null;
  imageUrl: string | null;
}

/**
 * Distance terms (candidates × picks × dimensions) a diverse pick may cost on the request thread:
 * about 20 ms here, e.g. the board's 200 picks from 1,000 candidates at 64 dimensions.
 */
export const INLINE_DIVERSE_WORK = 15_000_000;

const strategyColumn = {
  least: sql.raw('uncertainty_least'),
  margin: sql.raw('uncertainty_margin'),
  entropy: sql.raw('uncertainty_entropy'),
} as const;

const notInOpenBatch = sql`and not exists (
  select 1 from ${batchItems} bi join ${batches} b on b.id = bi.batch_id
  where bi.row_id = s.row_id and b.status = 'open')`;

/**
 * The unlabeled rows to label next, most uncertain first. With `diverse`, the `limit` picks are spread
 * over the top 5×limit by greedy k-center on the run's embeddings (rows without an embedding follow
 * the diverse picks in uncertainty order).
 *
 * @example
 * const { items } = await listUncertain(deps, { runId, strategy: 'entropy', limit: 50, diverse: true });
 */
export async function listUncertain(
  deps: Pick<Deps, 'db' | 'compute'>,
  {
    runId,
    strategy = 'least',
    limit = 50,
    diverse = false,
    outsideOpenBatches = false,
    pageSize = 250,
  }: {
    runId: number;
    strategy?: Strategy;
    limit?: number;
    diverse?: boolean;
    /** Leave out rows already in an open batch (someone is labeling them): for suggestions. */
    outsideOpenBatches?: boolean;
    pageSize?: number;
  },
): Promise<{ items: UncertainItem[] }> {
  const { db } = deps;
  if (!(strategy in strategyColumn))
    throw new Error(`strategy: expected least, margin or entropy, got ${JSON.stringify(strategy)}`);
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`limit: expected a positive integer, got ${limit}`);
  const run = await loadFindingsRun(db, runId);
  const col = strategyColumn[strategy];
  const take = diverse ? limit * 5 : limit;
  // Read in keyset pages: an embedded database runs each statement on this thread, and one
  // 15,000-row read would stall every other request for seconds.
  const items: UncertainItem[] = [];
  let after: { score: number; rowId: number } | null = null;
  while (items.length < take) {
    const want = Math.min(pageSize, take - items.length);
    const rows = await rawRows<{
      row_id: number;
      score: number;
      predicted: number | null;
      external_id: string;
      image_url: string | null;
    }>(
      db,
      sql`select s.row_id, s.${col} as score, s.predicted, d.external_id, d.image_url
          from ${rowScores} s join ${dataRows} d on d.id = s.row_id
          where s.run_id = ${runId}::int and not s.labeled and s.${col} is not null
          ${outsideOpenBatches ? notInOpenBatch : sql``}
          ${after ? sql`and (s.${col} < ${after.score}::float8 or (s.${col} = ${after.score}::float8 and s.row_id > ${after.rowId}::bigint))` : sql``}
          order by s.${col} desc nulls last, s.row_id limit ${want}::int`,
    );
    for (const r of rows)
      items.push({
        rowId: Number(r.row_id),
        id: r.external_id,
        score: Number(r.score),
        predicted: r.predicted === null ? null : (run.classNames[r.predicted] ?? String(r.predicted)),
        imageUrl: r.image_url,
      });
    if (rows.length < want) break;
    const last = items[items.length - 1];
    after = { score: last.score, rowId: last.rowId };
  }
  if (!diverse) return { items };
  const vectors = await loadEmbeddingVectors(
    db,
    runId,
    items.map((i) => i.rowId),
    { pageSize },
  );
  const withVec = items.filter((i) => vectors.has(i.rowId));
  const dim = withVec.length ? vectors.get(withVec[0].rowId)!.length : 0;
  const flat = new Float32Array(withVec.length * dim);
  withVec.forEach((item, i) => {
    const v = vectors.get(item.rowId)!;
    if (v.length !== dim)
      throw new Error(
        `embeddings of run ${runId}: row ${item.rowId} has ${v.length} dimensions, row ${withVec[0].rowId} has ${dim}`,
      );
    flat.set(v, i * dim);
  });
  // Quadratic in the batch size: a board-sized list is a few ms here, a labeling batch of thousands
  // takes seconds and goes to the compute pool (when the process has one).
  const work = withVec.length * Math.min(limit, withVec.length) * dim;
  const order = withVec.length
    ? await runCompute(
        deps,
        'diverse',
        { data: flat, dim, n: limit },
        { transfer: [flat.buffer], inline: work <= INLINE_DIVERSE_WORK },
      )
    : new Int32Array(0);
  const picks = Array.from(order, (i) => withVec[i]);
  const chosen = new Set(picks.map((p) => p.rowId));
  const rest = items.filter((i) => !vectors.has(i.rowId) && !chosen.has(i.rowId));
  return { items: [...picks, ...rest].slice(0, limit) };
}
