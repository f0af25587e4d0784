import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { annotations, dataRows, predictions } from '../../db/schema.ts';
import type { RunForAnalysis } from './analysis.ts';
import type { ImportedClassificationRows } from './findings-inputs.ts';
import { FINDINGS_COLUMNS, type RowFindings, writeFindingsColumns } from './findings-save.ts';
import { bulkOf } from './ingest-tx.ts';
import { CopyWriter } from './pgcopy.ts';
import type { RunScoresTable } from './run-scores.ts';

// The writers of a run's row_scores lines, each into the run's new table (openRunScores).

/** A line's columns before its findings, as the COPY writers below write them. */
const LINE_COLUMNS =
  'run_id, row_id, labeled, iou, confidence, min_conf, max_conf, label, predicted, num_gt, num_pred';

/**
 * Write one row_scores line per dataset row with a prediction or a label, set-based: the
 * prediction (pred_key 0) and the label (ann_key 'label') joined in one INSERT … SELECT.
 * `iou` is 1/0 for agreement on labeled rows and null on the unlabeled pool; a labeled row with no
 * prediction scores 0 with confidence 0. Returns the number of lines written.
 */
export async function writeClassificationRowScores(
  db: Db,
  run: RunForAnalysis,
  { withFindings = false, into }: { withFindings?: boolean; into: RunScoresTable },
): Promise<number> {
  // withFindings: the row values of the findings are staged in this transaction's findings_rows
  // (stageRowFindings) and go in with the scores, so they are never written twice.
  const findings = withFindings
    ? sql`v.lq, v.nd, v.ul, v.um, v.ue`
    : sql`null::float8, null::float8, null::float8, null::float8, null::float8`;
  const staged = withFindings ? sql`left join findings_rows v on v.row_id = r.id` : sql``;
  const rows = await rawRows<{ n: number }>(
    db,
    sql`with ins as (
      insert into ${sql.raw(into.table)} (${sql.raw(LINE_COLUMNS)}, ${sql.raw(FINDINGS_COLUMNS)})
      select ${run.id}::int, r.id, r.labeled,
        case when not r.labeled or a.label is null then null
             when p.label = a.label then 1::float8 else 0::float8 end,
        coalesce(p.score, 0), p.score, p.score, a.label, p.label,
        case when a.id is null then 0 else 1 end, case when p.id is null then 0 else 1 end,
        ${findings}
      from ${dataRows} r
      left join ${predictions} p on p.run_id = ${run.id}::int and p.row_id = r.id and p.pred_key = 0
      left join ${annotations} a on a.row_id = r.id and a.ann_key = 'label'
      ${staged}
      where r.dataset_id = ${run.datasetId}::int and (p.id is not null or a.id is not null)
      returning 1
    ) select count(*)::int as n from ins`,
  );
  return rows[0]?.n ?? 0;
}

/**
 * Write the row_scores lines of a classification run whose rows its import just wrote and still
 * holds, with their findings, by one binary COPY: the lines writeClassificationRowScores' join
 * gives (every row of a new dataset has its prediction, a labeled row its label), without the
 * join over a million rows or staging the findings first. `findings[i]` belongs to
 * `rows.rowIds[i]`. Returns the number of lines written.
 *
 * @example
 * await writeImportedRowScores(tx, scores, handed.inputs, early.rows);
 */
export async function writeImportedRowScores(
  db: Db,
  into: RunScoresTable,
  rows: ImportedClassificationRows,
  findings: readonly RowFindings[],
  { batch = 20_000 }: { batch?: number } = {},
): Promise<number> {
  const { rowIds, labels, predicted, score } = rows;
  if (findings.length !== rowIds.length)
    throw new RangeError(`${findings.length} findings rows for ${rowIds.length} imported rows`);
  await bulkOf(db).copyIn(
    `${into.table} (${LINE_COLUMNS}, ${FINDINGS_COLUMNS})`,
    copyTuples(rowIds, batch, (w, rowId, i) => {
      const f = findings[i];
      if (f.rowId !== rowId) throw new RangeError(`findings row ${f.rowId} where row ${rowId} was imported`);
      const labeled = labels[i] >= 0;
      w.row(16);
      w.int4(into.runId);
      w.int8(rowId);
      w.bool(labeled);
      w.float8OrNull(labeled ? (predicted[i] === labels[i] ? 1 : 0) : null);
      w.float8(score[i]);
      w.float8(score[i]);
      w.float8(score[i]);
      w.int4OrNull(labeled ? labels[i] : null);
      w.int4(predicted[i]);
      w.int4(labeled ? 1 : 0);
      w.int4(1);
      writeFindingsColumns(w, f);
    }),
  );
  return rowIds.length;
}

/** One row_scores line as the analysis computes it (the store adds the run id). */
export interface RowScoreLine {
  rowId: number;
  labeled: boolean;
  iou: number | null;
  confidence: number;
  minConf: number | null;
  maxConf: number | null;
  label: number | null;
  predicted: number | null;
  numGt: number;
  numPred: number;
}

/** Encode lines as binary COPY tuples, in batches of `batch` lines. */
function* copyTuples<T>(
  lines: readonly T[],
  batch: number,
  encode: (w: CopyWriter, line: T, i: number) => void,
): Generator<Buffer[]> {
  const w = new CopyWriter();
  for (let i = 0; i < lines.length; i++) {
    encode(w, lines[i], i);
    if ((i + 1) % batch === 0) yield w.take();
  }
  yield w.take();
}

/**
 * Insert a run's row_scores lines into its new table (openRunScores) by binary COPY, in the
 * transaction `db` belongs to (a detection run writes one per image; drizzle's multi-row inserts
 * cost seconds at 5k images). `findings`: the run's per-row findings computed first, written with
 * the lines instead of by an update after them; a line without one has none.
 */
export async function insertRowScores(
  db: Db,
  into: RunScoresTable,
  lines: readonly RowScoreLine[],
  { batch = 20_000, findings }: { batch?: number; findings?: readonly RowFindings[] } = {},
): Promise<void> {
  if (lines.length === 0) return;
  const found = findings && new Map(findings.map((f) => [f.rowId, f]));
  await bulkOf(db).copyIn(
    `${into.table} (${LINE_COLUMNS}${found ? `, ${FINDINGS_COLUMNS}` : ''})`,
    copyTuples(lines, batch, (w, l) => {
      w.row(found ? 16 : 11);
      w.int4(into.runId);
      w.int8(l.rowId);
      w.bool(l.labeled);
      w.float8OrNull(l.iou);
      w.float8(l.confidence);
      w.float8OrNull(l.minConf);
      w.float8OrNull(l.maxConf);
      w.int4OrNull(l.label);
      w.int4OrNull(l.predicted);
      w.int4(l.numGt);
      w.int4(l.numPred);
      if (found) writeFindingsColumns(w, found.get(l.rowId));
    }),
  );
}
