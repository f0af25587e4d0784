import { CursorError, decodeCursor, encodeCursor } from './cursor.ts';
import { type SQL, and, asc, desc, eq, exists, gte, lt, lte, notExists, sql } from 'drizzle-orm';
import { rawRows } from '../../db/raw.ts';
import { dataRows, datasets, modelRuns, reviews, rowScores, tags } from '../../db/schema.ts';
import { iouThresholdIndex } from '../metrics/detection-errors.ts';
import {
  type ObjectItem,
  type ObjectSource,
  detectionErrorFilter,
  imageOutcomeCounts,
  worstObjects,
} from './objects.ts';

import { DECISION_FILTERS, type DecisionFilter, ERROR_SORTS, type ErrorSort } from './list-choices.ts';

export { DECISION_FILTERS, type DecisionFilter, ERROR_SORTS, type ErrorSort };

export interface ListErrorsOptions {
  runId: number;
  /** Rows whose IoU is strictly below this (classification: 0 = wrong, 1 = right); null: every row. */
  iouBelow?: number | null;
  /** Rows whose IoU is at least this (classification: 1 = the right answers). */
  iouAtLeast?: number;
  /** Rows whose confidence lies in [minConfidence, maxConfidence]. */
  minConfidence?: number;
  maxConfidence?: number;
  sort?: ErrorSort;
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  label?: number;
  predicted?: number;
  tag?: string;
  /** The row's latest review decision, or 'undecided' (alias 'none') for rows never reviewed. */
  decision?: DecisionFilter;
}

export interface ErrorItem {
  rowId: number;
  /** The external id the user knows. */
  id: string;
  label: string | null;
  predicted: string | null;
  confidence: number;
  iou: number | null;
  /** Label quality from the findings (classification; lower = more likely mislabeled). */
  labelQuality: number | null;
  imageUrl: string | null;
  /** The start of the row's text (text datasets). */
  text: string | null;
  width: number | null;
  height: number | null;
  /** Detection: the image's tp/fp/fn at the IoU threshold. */
  objects?: { tp: number; fp: number; fn: number };
  /**
   * Detection: the image's worst object at the threshold (see `worstObjects`); `label`,
   * `predicted` and `iou` above are this object's, `score` its confidence.
   */
  worst?: {
    kind: ObjectItem['kind'];
    type: ObjectItem['type'];
    score: number | null;
    annotation: string | null;
  } | null;
}

/** Characters of a row's text a gallery page carries (a card shows the start). */
const CARD_TEXT_CHARS = 400;

export interface ErrorPage {
  items: ErrorItem[];
  /**
   * Rows matching the filters, across all pages, when `totalExact`; otherwise a lower bound
   * (`TOTAL_CAP`: "1,000+"). Outcome, label and prediction filters of an analysed classification
   * run are counted exactly from its confusion matrix; any other filter counts up to the cap.
   */
  total: number;
  totalExact: boolean;
  nextCursor: string | null;
}

/**
 * Matching rows counted past this are shown as "1,000+": an exact count of a filter the confusion
 * matrix cannot answer reads every matching row (150k wrong rows of a 1M-row run: seconds a page).
 */
export const TOTAL_CAP = 1000;

interface CursorState {
  run: number;
  sort: ErrorSort;
  confidence: number;
  rowId: number;
}

/** An opaque page token: base64url JSON of the last row's sort key. */
export function encodeErrorCursor(state: CursorState): string {
  return encodeCursor([state.run, state.sort, state.confidence, state.rowId]);
}

/** Decode and validate a page token; the message says what was wrong with it. */
export function decodeErrorCursor(cursor: string, runId: number, sort: ErrorSort): CursorState {
  const [run, cursorSort, confidence, rowId] = decodeCursor(cursor, (v) =>
    Array.isArray(v) &&
    v.length === 4 &&
    Number.isInteger(v[0]) &&
    ERROR_SORTS.includes(v[1]) &&
    typeof v[2] === 'number' &&
    Number.isFinite(v[2]) &&
    Number.isSafeInteger(v[3])
      ? (v as [number, ErrorSort, number, number])
      : null,
  );
  if (run !== runId) throw new CursorError(`cursor: the page token belongs to another run (id ${run})`);
  if (cursorSort !== sort)
    throw new CursorError(`cursor: the page token was made for --sort ${cursorSort}, not ${sort}`);
  return { run, sort: cursorSort, confidence, rowId };
}

const nameOf = (names: string[], i: number | null) => (i === null ? null : (names[i] ?? String(i)));

/**
 * Labeled rows whose IoU is below a threshold, least (or most) confident first, with keyset
 * pagination on (confidence, row id) over `row_scores_run_conf_idx`, so every page costs the same.
 *
 * @example
 * const page = await listErrors(deps, { runId, sort: 'confidence:desc', limit: 20 });
 * const next = await listErrors(deps, { runId, sort: 'confidence:desc', cursor: page.nextCursor! });
 */
export async function listErrors(
  src: ObjectSource,
  {
    runId,
    iouBelow = 0.5,
    iouAtLeast,
    minConfidence,
    maxConfidence,
    sort = 'confidence:asc',
    limit = 20,
    cursor,
    label,
    predicted,
    tag,
    decision,
  }: ListErrorsOptions,
): Promise<ErrorPage> {
  const { db } = src;
  if (!ERROR_SORTS.includes(sort))
    throw new Error(`sort ${JSON.stringify(sort)}: expected one of ${ERROR_SORTS.join(', ')}`);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new RangeError(`limit ${limit}: expected an integer from 1 to 1000`);
  if (iouBelow !== null && (typeof iouBelow !== 'number' || !Number.isFinite(iouBelow)))
    throw new RangeError(`iouBelow ${iouBelow}: expected a number`);
  if (decision !== undefined && !DECISION_FILTERS.includes(decision))
    throw new Error(`decision ${JSON.stringify(decision)}: expected one of ${DECISION_FILTERS.join(', ')}`);
  const after = cursor ? decodeErrorCursor(cursor, runId, sort) : null;

  const [run] = await db
    .select({ classNames: datasets.classNames, kind: modelRuns.kind, metrics: modelRuns.metrics })
    .from(modelRuns)
    .innerJoin(datasets, eq(datasets.id, modelRuns.datasetId))
    .where(eq(modelRuns.id, runId));
  if (!run) throw new Error(`no model run with id ${runId}`);

  // Detection: an image is an error at IoU t when it has any false positive or miss at t (one of
  // COCOeval's thresholds); past 1 (or `all`) nothing is filtered out. Classification keeps its row IoU.
  let t: number | null = null;
  if (run.kind === 'detection' && iouBelow !== null && iouBelow <= 1) {
    t = iouThresholdIndex(iouBelow);
    if (t < 0)
      throw new RangeError(
        `iouBelow ${iouBelow}: a detection run's errors are taken at one of COCOeval's IoU thresholds 0.5, 0.55, …, 0.95`,
      );
  }
  const filters: SQL[] = [eq(rowScores.runId, runId), eq(rowScores.labeled, true)];
  if (run.kind !== 'detection') {
    if (iouBelow !== null) filters.push(lt(rowScores.iou, iouBelow));
  } else if (t !== null) filters.push(detectionErrorFilter(runId, t, sql`${rowScores.rowId}`));
  if (iouAtLeast !== undefined) filters.push(gte(rowScores.iou, iouAtLeast));
  if (minConfidence !== undefined) filters.push(gte(rowScores.confidence, minConfidence));
  if (maxConfidence !== undefined) filters.push(lte(rowScores.confidence, maxConfidence));
  if (label !== undefined) filters.push(eq(rowScores.label, label));
  if (predicted !== undefined) filters.push(eq(rowScores.predicted, predicted));
  if (tag !== undefined)
    filters.push(
      exists(
        db
          .select({ one: sql`1` })
          .from(tags)
          .where(and(eq(tags.rowId, rowScores.rowId), eq(tags.tag, tag))),
      ),
    );
  if (decision === 'undecided' || decision === 'none')
    filters.push(
      notExists(db.select({ one: sql`1` }).from(reviews).where(eq(reviews.rowId, rowScores.rowId))),
    );
  else if (decision !== undefined)
    filters.push(
      sql`(select ${reviews.decision} from ${reviews} where ${reviews.rowId} = ${rowScores.rowId} order by ${reviews.id} desc limit 1) = ${decision}`,
    );

  const ascending = sort === 'confidence:asc';
  const pageFilters = after
    ? [
        ...filters,
        ascending
          ? sql`(${rowScores.confidence}, ${rowScores.rowId}) > (${after.confidence}::float8, ${after.rowId}::bigint)`
          : sql`(${rowScores.confidence}, ${rowScores.rowId}) < (${after.confidence}::float8, ${after.rowId}::bigint)`,
      ]
    : filters;
  const order = ascending
    ? [asc(rowScores.confidence), asc(rowScores.rowId)]
    : [desc(rowScores.confidence), desc(rowScores.rowId)];

  const fromMatrix =
    run.kind === 'classification' &&
    minConfidence === undefined &&
    maxConfidence === undefined &&
    tag === undefined &&
    decision === undefined
      ? matrixTotal(run.metrics, { iouBelow, iouAtLeast, label, predicted })
      : null;
  // The page and the count are independent: on a Postgres pool they run side by side.
  const [rows, total] = await Promise.all([
    db
      .select({
        rowId: rowScores.rowId,
        id: dataRows.externalId,
        label: rowScores.label,
        predicted: rowScores.predicted,
        confidence: rowScores.confidence,
        iou: rowScores.iou,
        labelQuality: rowScores.labelQuality,
        imageUrl: dataRows.imageUrl,
        text: sql<string | null>`left(${dataRows.text}, ${CARD_TEXT_CHARS})`,
        width: dataRows.width,
        height: dataRows.height,
      })
      .from(rowScores)
      .innerJoin(dataRows, eq(dataRows.id, rowScores.rowId))
      .where(and(...pageFilters))
      .orderBy(...order)
      .limit(limit + 1),
    fromMatrix ??
      rawRows<{ n: number }>(
        db,
        sql`select count(*)::int as n from (select 1 from ${rowScores} where ${and(...filters)} limit ${TOTAL_CAP + 1}) m`,
      ).then(([c]) => Number(c.n)),
  ]);

  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const ids = page.map((r) => r.rowId);
  const [counts, worst] =
    run.kind === 'detection'
      ? await Promise.all([
          imageOutcomeCounts(src, runId, t ?? 0, ids),
          worstObjects(src, runId, t ?? 0, ids),
        ])
      : [null, null];
  return {
    items: page.map((r) => {
      const item: ErrorItem = {
        ...r,
        label: nameOf(run.classNames, r.label),
        predicted: nameOf(run.classNames, r.predicted),
      };
      if (!counts || !worst) return item;
      const w = worst.get(r.rowId);
      return {
        ...item,
        label: w ? nameOf(run.classNames, w.gtLabel) : null,
        predicted: w ? nameOf(run.classNames, w.predLabel) : null,
        iou: w ? w.iou : item.iou,
        objects: counts.get(r.rowId) ?? { tp: 0, fp: 0, fn: 0 },
        worst: w ? { kind: w.kind, type: w.type, score: w.score, annotation: w.annotation } : null,
      };
    }),
    total: fromMatrix ?? Math.min(total, TOTAL_CAP),
    totalExact: fromMatrix !== null || total <= TOTAL_CAP,
    nextCursor:
      rows.length > limit && last
        ? encodeErrorCursor({ run: runId, sort, confidence: last.confidence, rowId: last.rowId })
        : null,
  };
}

/**
 * The exact number of labeled rows a classification run's stored confusion matrix holds for an
 * outcome / label / prediction filter (row IoU: 1 on the diagonal, 0 off it), or null when the
 * metrics document cannot say: not analysed, or labeled rows without a label or prediction
 * (they are not in the matrix), so the count must come from the rows.
 *
 * @example
 * matrixTotal({ confusion: { matrix: [[5, 1], [2, 7]] }, labeled: 15 }, { iouBelow: 0.5 }); // 3
 */
export function matrixTotal(
  metrics: Record<string, unknown> | null,
  f: { iouBelow: number | null; iouAtLeast?: number; label?: number; predicted?: number },
): number | null {
  const matrix = (metrics?.confusion as { matrix?: unknown } | undefined)?.matrix;
  if (!Array.isArray(matrix) || typeof metrics?.labeled !== 'number') return null;
  let all = 0;
  let total = 0;
  for (const [l, row] of matrix.entries()) {
    if (!Array.isArray(row)) return null;
    for (const [p, n] of row.entries()) {
      if (typeof n !== 'number') return null;
      all += n;
      const iou = l === p ? 1 : 0;
      if (f.iouBelow !== null && !(iou < f.iouBelow)) continue;
      if (f.iouAtLeast !== undefined && !(iou >= f.iouAtLeast)) continue;
      if (f.label !== undefined && l !== f.label) continue;
      if (f.predicted !== undefined && p !== f.predicted) continue;
      total += n;
    }
  }
  return all === metrics.labeled ? total : null;
}
