import { type SQL, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { objectOutcomes } from '../../db/schema.ts';
import { CursorError, decodeCursor, encodeCursor } from './cursor.ts';
import { CopyWriter } from './pgcopy.ts';
import { bulkOf } from './ingest-tx.ts';
import { type ErrorType, OUTCOME_CODE, typeOfCode } from '../metrics/detection-errors.ts';
import { OBJECT_KINDS, OBJECT_SORTS, type ObjectKind, type ObjectSort } from './list-choices.ts';

/** One object_outcomes line as the analysis computes it (the store adds the run id). */
export interface ObjectOutcomeLine {
  rowId: number;
  predId: number | null;
  annId: number | null;
  label: number;
  score: number | null;
  iou: number;
  codes: string;
  involved: string | null;
}

/** object_outcomes tuples in line order (ids follow it); batches of `batch` lines. */
function* outcomeTuples(
  runId: number,
  lines: readonly ObjectOutcomeLine[],
  batch: number,
): Generator<Buffer[]> {
  const w = new CopyWriter();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (!Number.isFinite(l.iou) || (l.score !== null && !Number.isFinite(l.score)))
      throw new RangeError(`object outcome ${i}: expected finite score and IoU, got ${l.score}, ${l.iou}`);
    w.row(9);
    w.int4(runId);
    w.int8(l.rowId);
    if (l.predId === null) w.null();
    else w.int8(l.predId);
    if (l.annId === null) w.null();
    else w.int8(l.annId);
    w.int4(l.label);
    w.float8OrNull(l.score);
    w.float8(l.iou);
    w.text(l.codes);
    w.textOrNull(l.involved);
    if ((i + 1) % batch === 0) yield w.take();
  }
  yield w.take();
}

/**
 * Insert a run's object outcomes by binary COPY, in the transaction `db` belongs to (the analysis
 * stores a hundred thousand lines per run; row-wise inserts cost seconds).
 */
export async function insertObjectOutcomes(
  db: Db,
  runId: number,
  lines: readonly ObjectOutcomeLine[],
  { batch = 20_000 }: { batch?: number } = {},
): Promise<void> {
  await bulkOf(db).copyIn(
    'object_outcomes (run_id, row_id, pred_id, ann_id, label, score, iou, codes, involved)',
    outcomeTuples(runId, lines, batch),
  );
}

/** Drop a run's object outcomes before they are written again. */
export async function clearObjectOutcomes(db: Db, runId: number): Promise<void> {
  await db.delete(objectOutcomes).where(eq(objectOutcomes.runId, runId));
}

export { OBJECT_KINDS, OBJECT_SORTS, type ObjectKind, type ObjectSort };

export interface ListObjectsOptions {
  runId: number;
  /** Index of the IoU threshold in COCOeval's .50:.05:.95 (0 for 0.5). */
  t: number;
  kind?: ObjectKind;
  type?: ErrorType;
  /** Class index: objects whose ground-truth or predicted class is this one. */
  classIndex?: number;
  /** Ground-truth class of the box involved; 'background' for none (a bkg false positive). */
  gtClass?: number | 'background';
  /** Predicted class; 'background' for no prediction (a miss). */
  predClass?: number | 'background';
  /** Only objects scoring at least this (misses have no score and drop out). */
  minScore?: number;
  /** Only this image (row id). */
  rowId?: number;
  sort?: ObjectSort;
  limit?: number;
  cursor?: string;
}

type Xywh = { x: number; y: number; w: number; h: number };

export interface ObjectItem {
  /** The object_outcomes line id. */
  id: number;
  rowId: number;
  /** The image's external id (the COCO image id). */
  image: string;
  kind: ObjectKind;
  type: ErrorType | 'ok';
  /** Ground-truth class index of the box involved (null for bkg). */
  gtLabel: number | null;
  /** Predicted class index (null for fn). */
  predLabel: number | null;
  score: number | null;
  iou: number;
  /** COCO annotation id (ann_key) of the box involved, null for bkg. */
  annotation: string | null;
  predId: number | null;
  annId: number | null;
  gtBox: Xywh | null;
  predBox: Xywh | null;
  imageUrl: string | null;
  width: number | null;
  height: number | null;
}

export interface ObjectPage {
  items: ObjectItem[];
  nextCursor: string | null;
}

interface ObjectCursor {
  run: number;
  t: number;
  sort: ObjectSort;
  value: number;
  id: number;
}

const encodeObjectCursor = (c: ObjectCursor): string => encodeCursor([c.run, c.t, c.sort, c.value, c.id]);

/** Decode and check a page token (the one codec, `cursor.ts`); a token of another page says which. */
export function decodeObjectCursor(cursor: string, runId: number, t: number, sort: ObjectSort): ObjectCursor {
  const [run, ct, cs, value, id] = decodeCursor(cursor, (p) =>
    Array.isArray(p) &&
    p.length === 5 &&
    Number.isInteger(p[0]) &&
    Number.isInteger(p[1]) &&
    OBJECT_SORTS.includes(p[2]) &&
    typeof p[3] === 'number' &&
    Number.isFinite(p[3]) &&
    Number.isSafeInteger(p[4])
      ? (p as [number, number, ObjectSort, number, number])
      : null,
  );
  if (run !== runId) throw new CursorError('cursor: the page token belongs to another run');
  if (ct !== t) throw new CursorError('cursor: the page token was made at another --iou');
  if (cs !== sort) throw new CursorError(`cursor: the page token was made for --sort ${cs}, not ${sort}`);
  return { run, t, sort, value, id };
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * One page of a detection run's objects at one IoU threshold, with keyset pagination over the
 * run's score or IoU index. Listed: tp detections (one matched pair each), fp detections, and fn
 * ground truths; ignored detections and matched ground truths (their pair is the tp) are not.
 *
 * @example
 * const page = await listObjects(db, { runId, t: 0, kind: 'fp', type: 'cls', sort: 'confidence:desc' });
 */
export async function listObjects(
  db: Db,
  {
    runId,
    t,
    kind,
    type,
    classIndex,
    gtClass,
    predClass,
    minScore,
    rowId,
    sort = 'confidence:desc',
    limit = 50,
    cursor,
  }: ListObjectsOptions,
): Promise<ObjectPage> {
  if (!Number.isInteger(t) || t < 0 || t > 15) throw new RangeError(`t ${t}: expected a threshold index`);
  if (!OBJECT_SORTS.includes(sort))
    throw new Error(`sort ${JSON.stringify(sort)}: expected one of ${OBJECT_SORTS.join(', ')}`);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new RangeError(`limit ${limit}: expected an integer from 1 to 1000`);
  const after = cursor ? decodeObjectCursor(cursor, runId, t, sort) : null;
  const pos = t + 1;
  const code = sql`substr(o.codes, ${pos}::int, 1)`;
  const isPred = sql`o.pred_id is not null`;
  const filters: SQL[] = [
    sql`o.run_id = ${runId}::int`,
    sql`((${isPred} and ${code} <> ${OUTCOME_CODE.ignored}) or (not ${isPred} and ${code} <> ${OUTCOME_CODE.tp}))`,
  ];
  if (kind === 'tp') filters.push(sql`${isPred} and ${code} = ${OUTCOME_CODE.tp}`);
  else if (kind === 'fp') filters.push(sql`${isPred} and ${code} <> ${OUTCOME_CODE.tp}`);
  else if (kind === 'fn') filters.push(sql`not ${isPred}`);
  if (type !== undefined) filters.push(sql`${code} = ${OUTCOME_CODE[type]}`);
  if (classIndex !== undefined)
    filters.push(sql`(o.label = ${classIndex}::int or a.label = ${classIndex}::int)`);
  if (gtClass === 'background') filters.push(sql`a.id is null`);
  else if (gtClass !== undefined) filters.push(sql`a.label = ${gtClass}::int`);
  if (predClass === 'background') filters.push(sql`not ${isPred}`);
  else if (predClass !== undefined) filters.push(sql`${isPred} and o.label = ${predClass}::int`);
  if (minScore !== undefined) filters.push(sql`o.score >= ${minScore}::float8`);
  if (rowId !== undefined) filters.push(sql`o.row_id = ${rowId}::int8`);

  const key = sort === 'iou:asc' ? sql`o.iou` : sql`coalesce(o.score, -1)`;
  // Prediction lines score in [0, 1], box lines sort as −1: in confidence order each side is one
  // range of the score index, so a filter that keeps one side reads only that range (misses in
  // confidence:desc would otherwise come after every prediction line of the run).
  const side = sideOf({ kind, type, predClass, minScore });
  if (sort !== 'iou:asc' && side === 'pred') filters.push(sql`${key} >= 0`);
  else if (sort !== 'iou:asc' && side === 'box') filters.push(sql`${key} = -1`);
  const descending = sort === 'confidence:desc';
  if (after)
    filters.push(
      descending
        ? sql`(${key}, o.id) < (${after.value}::float8, ${after.id}::int8)`
        : sql`(${key}, o.id) > (${after.value}::float8, ${after.id}::int8)`,
    );
  const order = descending ? sql`${key} desc, o.id desc` : sql`${key} asc, o.id asc`;

  const rows = await rawRows<Record<string, unknown>>(
    db,
    sql`select ${objectColumns(pos)}, ${key} as sort_value
      ${objectFrom(pos)}
      where ${sql.join(filters, sql` and `)}
      order by ${order}
      limit ${limit + 1}::int`,
  );
  const page = rows.slice(0, limit);
  const items = page.map(toObjectItem);
  const last = page[page.length - 1];
  return {
    items,
    nextCursor:
      rows.length > limit && last
        ? encodeObjectCursor({ run: runId, t, sort, value: Number(last.sort_value), id: Number(last.id) })
        : null,
  };
}

/** Which lines a filter can match: only prediction lines, only box (miss) lines, or both. */
function sideOf({
  kind,
  type,
  predClass,
  minScore,
}: Pick<ListObjectsOptions, 'kind' | 'type' | 'predClass' | 'minScore'>): 'pred' | 'box' | null {
  if (kind === 'fn' || type === 'missed' || predClass === 'background') return 'box';
  if (kind === 'tp' || kind === 'fp' || type === 'dupe' || type === 'bkg') return 'pred';
  if (minScore !== undefined || predClass !== undefined) return 'pred';
  return null;
}

/** The columns an ObjectItem is read from (`pos` is the 1-based threshold position in `codes`). */
function objectColumns(pos: number): SQL {
  return sql`o.id, o.row_id, o.pred_id, o.ann_id, o.label, o.score, o.iou, substr(o.codes, ${pos}::int, 1) as code,
    r.external_id, r.image_url, r.width, r.height,
    a.ann_key, a.label as gt_label, a.x as ax, a.y as ay, a.w as aw, a.h as ah,
    p.x as px, p.y as py, p.w as pw, p.h as ph`;
}

/** The object lines with their image, the box involved at the threshold and the prediction. */
function objectFrom(pos: number): SQL {
  return sql`from object_outcomes o
    join data_rows r on r.id = o.row_id
    left join annotations a on a.id = coalesce(o.ann_id, nullif(split_part(o.involved, ',', ${pos}::int), '')::int8)
    left join predictions p on p.id = o.pred_id`;
}

function toObjectItem(r: Record<string, unknown>): ObjectItem {
  const c = String(r.code);
  const isPrediction = r.pred_id !== null;
  const box = (x: unknown, y: unknown, w: unknown, h: unknown) =>
    x === null || x === undefined ? null : { x: Number(x), y: Number(y), w: Number(w), h: Number(h) };
  const ty = typeOfCode(c);
  return {
    id: Number(r.id),
    rowId: Number(r.row_id),
    image: String(r.external_id),
    kind: isPrediction ? (c === OUTCOME_CODE.tp ? 'tp' : 'fp') : 'fn',
    type: ty === 'ignored' ? 'ok' : ty,
    gtLabel: num(r.gt_label),
    predLabel: isPrediction ? Number(r.label) : null,
    score: num(r.score),
    iou: Number(r.iou),
    annotation: r.ann_key === null || r.ann_key === undefined ? null : String(r.ann_key),
    predId: num(r.pred_id),
    annId: num(r.ann_id),
    gtBox: box(r.ax, r.ay, r.aw, r.ah),
    predBox: box(r.px, r.py, r.pw, r.ph),
    imageUrl: (r.image_url as string | null) ?? null,
    width: num(r.width),
    height: num(r.height),
  };
}

/**
 * Each image's worst object at threshold index `t`: its most confident false positive, else its
 * miss with the lowest IoU, else its true positive with the lowest IoU. Everything shown about
 * it (classes, score, IoU, type) belongs to that one object.
 *
 * @example
 * const worst = await worstObjects(db, runId, 0, [rowId]); // Map { rowId => { kind: 'fp', type: 'cls', … } }
 */
export async function worstObjects(
  db: Db,
  runId: number,
  t: number,
  rowIds: readonly number[],
): Promise<Map<number, ObjectItem>> {
  if (rowIds.length === 0) return new Map();
  const pos = t + 1;
  const code = sql`substr(o.codes, ${pos}::int, 1)`;
  const rows = await rawRows<Record<string, unknown>>(
    db,
    sql`select distinct on (o.row_id) ${objectColumns(pos)}
      ${objectFrom(pos)}
      where o.run_id = ${runId}::int and o.row_id in (${sql.join(
        rowIds.map((r) => sql`${r}::int8`),
        sql`, `,
      )})
        and ((o.pred_id is not null and ${code} <> 'i') or (o.pred_id is null and ${code} <> 'o'))
      order by o.row_id,
        case when o.pred_id is not null and ${code} <> 'o' then 0 when o.pred_id is null then 1 else 2 end,
        case when o.pred_id is not null and ${code} <> 'o' then -o.score else o.iou end, o.id`,
  );
  return new Map(rows.map((r) => [Number(r.row_id), toObjectItem(r)]));
}

/**
 * `exists` an fp or fn of the run at threshold index `t` on the image `rowId` (an SQL expression),
 * through the (run, row) index.
 */
export function detectionErrorFilter(runId: number, t: number, rowId: SQL): SQL {
  const code = sql`substr(e.codes, ${t + 1}::int, 1)`;
  return sql`exists (select 1 from object_outcomes e where e.run_id = ${runId}::int and e.row_id = ${rowId}
    and ((e.pred_id is not null and ${code} not in ('o', 'i')) or (e.pred_id is null and ${code} <> 'o')))`;
}

/** Per image of a run at threshold index `t`: tp/fp/fn counts, for the images that have any. */
export async function imageOutcomeCounts(
  db: Db,
  runId: number,
  t: number,
  rowIds: readonly number[],
): Promise<Map<number, { tp: number; fp: number; fn: number }>> {
  if (rowIds.length === 0) return new Map();
  const pos = t + 1;
  const code = sql`substr(codes, ${pos}::int, 1)`;
  const rows = await rawRows<{ row_id: number; tp: number; fp: number; fn: number }>(
    db,
    sql`select row_id,
        count(*) filter (where pred_id is not null and ${code} = 'o')::int as tp,
        count(*) filter (where pred_id is not null and ${code} not in ('o', 'i'))::int as fp,
        count(*) filter (where pred_id is null and ${code} <> 'o')::int as fn
      from object_outcomes
      where run_id = ${runId}::int and row_id in (${sql.join(
        rowIds.map((r) => sql`${r}::int8`),
        sql`, `,
      )})
      group by row_id`,
  );
  return new Map(
    rows.map((r) => [Number(r.row_id), { tp: Number(r.tp), fp: Number(r.fp), fn: Number(r.fn) }]),
  );
}
