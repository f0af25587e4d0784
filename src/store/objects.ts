import { type SQL, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { objectOutcomes } from '../../db/schema.ts';
import { CursorError, decodeCursor, encodeCursor } from './cursor.ts';
import { CopyWriter } from './pgcopy.ts';
import { bulkOf } from './ingest-tx.ts';
import type { Deps } from '../deps.ts';
import { runCompute } from '../compute/pool.ts';
import { type ErrorType, OUTCOME_CODE, typeOfCode } from '../metrics/detection-errors.ts';
import { OBJECT_KINDS, OBJECT_SORTS, type ObjectKind, type ObjectSort } from './list-choices.ts';
import { type ObjectFilter, listed, pageFilter, passingObjects, sortKey } from './object-filter.ts';
import {
  type PackLine,
  CODE,
  type DecodedObjects,
  annIdAt,
  decodeRun,
  type PackedObjectOutcomes,
  packObjectOutcomes,
  rowIndex,
  viewDecoded,
} from './object-pack.ts';

/**
 * What the object queries need: the database, the process's decoded-run cache, and the compute
 * pool that decodes runs and walks them (absent → on this thread, as in the CLI).
 */
export type ObjectSource = Pick<Deps, 'db' | 'compute' | 'objectCache'>;

/** One object line as the analysis computes it (the packed form's line). */
export type ObjectOutcomeLine = PackLine;

/**
 * Store a run's object outcomes, in the transaction `db` belongs to: the objects packed in chunks
 * (src/store/object-pack.ts), one line per image with its error mask, both by binary COPY, and a
 * new generation for the run so every process's decoded copy of earlier outcomes is dropped.
 */
export async function insertObjectOutcomes(
  db: Db,
  runId: number,
  lines: readonly ObjectOutcomeLine[],
): Promise<void> {
  // The boxes a prediction involves are evaluated boxes of its image, which have lines of their
  // own; lines from elsewhere get the classes from the annotations.
  const labelOfAnn = new Map<number, number>();
  for (const l of lines) if (l.annId !== null) labelOfAnn.set(l.annId, l.label);
  const unknown = new Set<number>();
  for (const l of lines)
    for (const a of l.involved ?? []) if (a !== null && !labelOfAnn.has(a)) unknown.add(a);
  if (unknown.size > 0) {
    const found = await rawRows<{ id: number; label: number }>(
      db,
      sql`select id, label from annotations where id = any(string_to_array(${[...unknown].join(',')}, ',')::int8[])`,
    );
    for (const r of found) labelOfAnn.set(Number(r.id), Number(r.label));
  }
  await writeObjectOutcomes(
    db,
    runId,
    packObjectOutcomes(lines, (a) => labelOfAnn.get(a)),
  );
}

/** Store packed object outcomes (see insertObjectOutcomes), in the transaction `db` belongs to. */
export async function writeObjectOutcomes(
  db: Db,
  runId: number,
  { chunks, masks, objects }: PackedObjectOutcomes,
): Promise<void> {
  const bulk = bulkOf(db);
  function* imageTuples(): Generator<Buffer[]> {
    const w = new CopyWriter();
    for (const [rowId, mask] of masks) {
      w.row(3);
      w.int4(runId);
      w.int8(rowId);
      w.int4(mask);
    }
    yield w.take();
  }
  function* chunkTuples(): Generator<Buffer[]> {
    for (let c = 0; c < chunks.length; c++) {
      const w = new CopyWriter({ chunkBytes: chunks[c].length + 64 });
      w.row(3);
      w.int4(runId);
      w.int4(c);
      w.bytea(chunks[c]);
      yield w.take();
    }
  }
  await db.execute(sql`delete from object_outcome_chunks where run_id = ${runId}::int`);
  if (masks.size > 0) await bulk.copyIn('object_outcomes (run_id, row_id, error_mask)', imageTuples());
  if (chunks.length > 0) await bulk.copyIn('object_outcome_chunks (run_id, chunk, data)', chunkTuples());
  await db.execute(sql`insert into object_outcome_runs (run_id, images, objects)
    values (${runId}::int, ${masks.size}::int, ${objects}::int)
    on conflict (run_id) do update set generation = nextval('object_outcomes_generation'),
      images = excluded.images, objects = excluded.objects`);
}

/** Drop a run's object outcomes before they are written again. */
export async function clearObjectOutcomes(db: Db, runId: number): Promise<void> {
  await db.delete(objectOutcomes).where(eq(objectOutcomes.runId, runId));
  await db.execute(sql`delete from object_outcome_chunks where run_id = ${runId}::int`);
}

const EMPTY = decodeRun([]);

/**
 * A run's decoded objects, from the process's cache while the stored generation is the same: the
 * chunks are read and decoded (in the compute pool) once per process and write, then every page
 * is a walk in memory.
 */
async function runObjects(src: ObjectSource, runId: number): Promise<DecodedObjects> {
  const [g] = await rawRows<{ generation: number | string }>(
    src.db,
    sql`select generation from object_outcome_runs where run_id = ${runId}::int`,
  );
  if (!g) return EMPTY;
  return src.objectCache.get(src.db, runId, Number(g.generation), () => loadRun(src, runId));
}

/**
 * Read a run's chunks and decode them in the pool; objects of rows deleted since the write are left
 * out. One chunk a query: each reply is parsed on this thread, so a large run holds it a moment at
 * a time rather than for the whole read. The generation read again at the end says whether an
 * analysis wrote between the queries; then the read starts over.
 */
async function loadRun(src: ObjectSource, runId: number): Promise<DecodedObjects> {
  const generationOf = async () =>
    (
      await rawRows<{ generation: number | string }>(
        src.db,
        sql`select generation from object_outcome_runs where run_id = ${runId}::int`,
      )
    )[0]?.generation;
  let chunks: { data: unknown }[] = [];
  let head: { images: number; live: number; chunks: number } | undefined;
  for (let attempt = 0; ; attempt++) {
    const before = await generationOf();
    [head] = await rawRows<{ images: number; live: number; chunks: number }>(
      src.db,
      sql`select r.images, (select count(*)::int from object_outcomes o where o.run_id = r.run_id) as live,
                 (select count(*)::int from object_outcome_chunks c where c.run_id = r.run_id) as chunks
            from object_outcome_runs r where r.run_id = ${runId}::int`,
    );
    chunks = [];
    for (let c = 0; c < Number(head?.chunks ?? 0); c++)
      chunks.push(
        ...(await rawRows<{ data: unknown }>(
          src.db,
          // As base64: postgres.js would read bytea as hex text, twice the bytes to receive and parse.
          sql`select encode(data, 'base64') as data from object_outcome_chunks
               where run_id = ${runId}::int and chunk = ${c}::int`,
        )),
      );
    if (before === (await generationOf()) || attempt === 2) break;
  }
  if (!head || chunks.length === 0) return EMPTY;
  let live: Float64Array | null = null;
  if (Number(head.live) !== Number(head.images)) {
    const rows = await rawRows<{ row_id: number | string }>(
      src.db,
      sql`select row_id from object_outcomes where run_id = ${runId}::int`,
    );
    live = Float64Array.from(rows, (r) => Number(r.row_id));
  }
  // The base64 text goes to the thread as it is (a copy of a string, no parsing here); the result
  // is one SharedArrayBuffer, viewed in place.
  const buffer = await runCompute(
    src,
    'decodeObjects',
    { base64: chunks.map((c) => String(c.data)), live },
    { transfer: live ? [live.buffer as ArrayBuffer] : [] },
  );
  return viewDecoded(buffer);
}

export { OBJECT_KINDS, OBJECT_SORTS, type ObjectKind, type ObjectSort };

export interface ListObjectsOptions extends ObjectFilter {
  runId: number;
  sort?: ObjectSort;
  limit?: number;
  cursor?: string;
}

type Xywh = { x: number; y: number; w: number; h: number };

export interface ObjectItem {
  /** The object's id within its run: its line's place in the analysis's output. */
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
const TP = CODE.tp;
const IGNORED = CODE.ignored;

/**
 * One page of a detection run's objects at one IoU threshold, with keyset pagination in score or
 * IoU order (ties by the object's id). Listed: tp detections (one matched pair each), fp
 * detections, and fn ground truths; ignored detections and matched ground truths (their pair is
 * the tp) are not. Served from the run's decoded objects (one image's for `rowId`): a page is a
 * walk along a presorted order from the cursor, so a rare filter costs a few ms at a million.
 *
 * @example
 * const page = await listObjects(deps, { runId, t: 0, kind: 'fp', type: 'cls', sort: 'confidence:desc' });
 */
export async function listObjects(src: ObjectSource, q: ListObjectsOptions): Promise<ObjectPage> {
  const { runId, t, rowId, sort = 'confidence:desc', limit = 50, cursor } = q;
  if (!Number.isInteger(t) || t < 0 || t > 15) throw new RangeError(`t ${t}: expected a threshold index`);
  if (!OBJECT_SORTS.includes(sort))
    throw new Error(`sort ${JSON.stringify(sort)}: expected one of ${OBJECT_SORTS.join(', ')}`);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new RangeError(`limit ${limit}: expected an integer from 1 to 1000`);
  const after = cursor ? decodeObjectCursor(cursor, runId, t, sort) : null;
  const d = await runObjects(src, runId);
  if (d.n > 0 && t >= d.T) throw new RangeError(`t ${t}: the run was evaluated at ${d.T} thresholds`);

  const key = sortKey(d, sort);
  const filter: ObjectFilter = {
    t,
    kind: q.kind,
    type: q.type,
    classIndex: q.classIndex,
    gtClass: q.gtClass,
    predClass: q.predClass,
    minScore: q.minScore,
  };
  // One image (the row view): its few objects in the run's order. A run-wide page reads the run's
  // objects that pass its filter, listed once per decoded run and filter (in the pool): a rare
  // type then costs what any filter does, no page walks a million objects to find its fifty.
  const order =
    rowId !== undefined
      ? Uint32Array.from(rowIndex(d).get(rowId) ?? [])
          .filter(pageFilter(d, { ...filter, rowId }, sort))
          .sort((a, b) => key(a) - key(b) || a - b)
      : await passingOrder(src, d, filter, sort);
  // (key, id) of object i against the cursor's.
  const cmp = (i: number, value: number, id: number) => {
    const k = key(i);
    return k < value ? -1 : k > value ? 1 : i - id;
  };
  // First place whose (key, id) is greater than the cursor's (asc), or not less (desc).
  const bound = (strict: boolean) => {
    if (!after) return 0;
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = cmp(order[mid], after.value, after.id);
      if (c < 0 || (strict && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const descending = sort === 'confidence:desc';
  const picked: number[] = [];
  if (descending) {
    for (let p = (after ? bound(false) : order.length) - 1; p >= 0 && picked.length <= limit; p--)
      picked.push(order[p]);
  } else {
    for (let p = bound(true); p < order.length && picked.length <= limit; p++) picked.push(order[p]);
  }
  const page = picked.slice(0, limit);
  const items = await objectItems(src.db, d, t, page);
  const last = page[page.length - 1];
  return {
    items,
    nextCursor:
      picked.length > limit && last !== undefined
        ? encodeObjectCursor({ run: runId, t, sort, value: key(last), id: last })
        : null,
  };
}

/**
 * The run's objects passing a filter, in the sort's order, kept with the decoded run (the newest
 * 64 filters). The walk runs in the pool over the run's shared buffer; a run decoded on this
 * thread into an unshared buffer (none is) would be walked here.
 */
function passingOrder(
  src: ObjectSource,
  d: DecodedObjects,
  filter: ObjectFilter,
  sort: ObjectSort,
): Promise<Uint32Array> {
  if (d.n === 0) return Promise.resolve(new Uint32Array(0)); // nothing to walk, nothing to keep
  const memo = d.passing ?? new Map<string, Promise<Uint32Array>>();
  d.passing = memo;
  const name = JSON.stringify([
    sort === 'iou:asc',
    filter.t,
    filter.kind,
    filter.type,
    filter.classIndex,
    filter.gtClass,
    filter.predClass,
    filter.minScore,
  ]);
  const hit = memo.get(name);
  if (hit) {
    memo.delete(name);
    memo.set(name, hit);
    return hit;
  }
  const order =
    d.buffer instanceof SharedArrayBuffer
      ? runCompute(src, 'objectsPassing', { buffer: d.buffer, filter, sort })
      : Promise.resolve(passingObjects(d, filter, sort));
  memo.set(name, order);
  order.catch(() => {
    if (memo.get(name) === order) memo.delete(name);
  });
  for (const k of memo.keys()) {
    if (memo.size <= 64) break;
    memo.delete(k);
  }
  return order;
}

/**
 * ObjectItems for decoded objects `idx` at threshold `t`, in that order: with their image, the
 * box involved and the prediction, read in one statement (an object whose image is gone drops out).
 */
async function objectItems(
  db: Db,
  d: DecodedObjects,
  t: number,
  idx: readonly number[],
): Promise<ObjectItem[]> {
  if (idx.length === 0) return [];
  const list = (f: (i: number) => number | null) => idx.map((i) => f(i) ?? '').join(',');
  const rows = await rawRows<Record<string, unknown>>(
    db,
    sql`select k.ord::int as k, r.external_id, r.image_url, r.width, r.height,
        a.ann_key, a.label as gt_label, a.x as ax, a.y as ay, a.w as aw, a.h as ah,
        p.x as px, p.y as py, p.w as pw, p.h as ph
      from unnest(
        string_to_array(${list((i) => d.rowId[i])}, ',', '')::int8[],
        string_to_array(${list((i) => annIdAt(d, i, t))}, ',', '')::int8[],
        string_to_array(${list((i) => (d.isPred[i] ? d.id[i] : null))}, ',', '')::int8[]
      ) with ordinality as k(row_id, ann_id, pred_id, ord)
      join data_rows r on r.id = k.row_id
      left join annotations a on a.id = k.ann_id
      left join predictions p on p.id = k.pred_id
      order by k.ord`,
  );
  const box = (x: unknown, y: unknown, w: unknown, h: unknown) =>
    x === null || x === undefined ? null : { x: Number(x), y: Number(y), w: Number(w), h: Number(h) };
  return rows.map((r) => {
    const i = idx[Number(r.k) - 1];
    const c = String.fromCharCode(d.codes[i * d.T + t]);
    const isPrediction = d.isPred[i] === 1;
    const ty = typeOfCode(c);
    return {
      id: i,
      rowId: d.rowId[i],
      image: String(r.external_id),
      kind: isPrediction ? (c === OUTCOME_CODE.tp ? 'tp' : 'fp') : 'fn',
      type: ty === 'ignored' ? 'ok' : ty,
      gtLabel: num(r.gt_label),
      predLabel: isPrediction ? d.label[i] : null,
      score: isPrediction ? d.score[i] : null,
      iou: d.iou[i],
      annotation: r.ann_key === null || r.ann_key === undefined ? null : String(r.ann_key),
      predId: isPrediction ? d.id[i] : null,
      annId: isPrediction ? null : d.id[i],
      gtBox: box(r.ax, r.ay, r.aw, r.ah),
      predBox: box(r.px, r.py, r.pw, r.ph),
      imageUrl: (r.image_url as string | null) ?? null,
      width: num(r.width),
      height: num(r.height),
    };
  });
}

/**
 * Each image's worst object at threshold index `t`: its most confident false positive, else its
 * miss with the lowest IoU, else its true positive with the lowest IoU. Everything shown about
 * it (classes, score, IoU, type) belongs to that one object.
 *
 * @example
 * const worst = await worstObjects(deps, runId, 0, [rowId]); // Map { rowId => { kind: 'fp', type: 'cls', … } }
 */
export async function worstObjects(
  src: ObjectSource,
  runId: number,
  t: number,
  rowIds: readonly number[],
): Promise<Map<number, ObjectItem>> {
  if (rowIds.length === 0) return new Map();
  const d = await runObjects(src, runId);
  const rank = (i: number) => {
    const c = d.codes[i * d.T + t];
    return d.isPred[i] && c !== TP ? 0 : d.isPred[i] ? 2 : 1;
  };
  const worse = (i: number, j: number) => {
    const ri = rank(i);
    const rj = rank(j);
    if (ri !== rj) return ri < rj;
    const ki = ri === 0 ? -d.score[i] : d.iou[i];
    const kj = rj === 0 ? -d.score[j] : d.iou[j];
    return ki !== kj ? ki < kj : i < j;
  };
  const rows = rowIndex(d);
  const worst = new Map<number, number>();
  for (const r of rowIds)
    for (const i of rows.get(r) ?? []) {
      if (!listed(d, i, t)) continue;
      const w = worst.get(r);
      if (w === undefined || worse(i, w)) worst.set(r, i);
    }
  const items = await objectItems(src.db, d, t, [...worst.values()]);
  return new Map(items.map((it) => [it.rowId, it]));
}

/**
 * `exists` an fp or fn of the run at threshold index `t` on the image `rowId` (an SQL expression),
 * through the image's line and its error mask.
 */
export function detectionErrorFilter(runId: number, t: number, rowId: SQL): SQL {
  return sql`exists (select 1 from object_outcomes e where e.run_id = ${runId}::int and e.row_id = ${rowId}
    and e.error_mask & ${1 << t}::int <> 0)`;
}

/** Per image of a run at threshold index `t`: tp/fp/fn counts, for the images that have any. */
export async function imageOutcomeCounts(
  src: ObjectSource,
  runId: number,
  t: number,
  rowIds: readonly number[],
): Promise<Map<number, { tp: number; fp: number; fn: number }>> {
  if (rowIds.length === 0) return new Map();
  const d = await runObjects(src, runId);
  const rows = rowIndex(d);
  const out = new Map<number, { tp: number; fp: number; fn: number }>();
  for (const r of rowIds)
    for (const i of rows.get(r) ?? []) {
      const c = out.get(r) ?? { tp: 0, fp: 0, fn: 0 };
      out.set(r, c);
      const code = d.codes[i * d.T + t];
      if (d.isPred[i]) {
        if (code === TP) c.tp++;
        else if (code !== IGNORED) c.fp++;
      } else if (code !== TP) c.fn++;
    }
  return out;
}
