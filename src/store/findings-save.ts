import type { Database } from '../../db/index.ts';
import { CopyWriter } from './pgcopy.ts';
import { type BulkTx, withBulkTransaction } from './ingest-tx.ts';

export interface NewFlag {
  rowId: number;
  kind: 'label' | 'swap' | 'overlooked' | 'bad_location';
  annId?: number | null;
  predId?: number | null;
  given: number | null;
  suggested: number | null;
  score: number;
  methods: string[];
  evidence: string;
}

/** Per-row findings columns of row_scores; null clears. */
export interface RowFindings {
  rowId: number;
  labelQuality: number | null;
  neighbourDisagreement: number | null;
  uncertaintyLeast: number | null;
  uncertaintyMargin: number | null;
  uncertaintyEntropy: number | null;
}

/** A findings value as stored: non-finite ones (and none) go in as null. */
const finiteOrNull = (v: number | null | undefined): number | null =>
  v === null || v === undefined || !Number.isFinite(v) ? null : v;

/** row_scores' findings columns, in the order writeFindingsColumns writes them. */
export const FINDINGS_COLUMNS =
  'label_quality, neighbour_disagreement, uncertainty_least, uncertainty_margin, uncertainty_entropy';

/** A row's five findings values into a COPY tuple (all null for none), as FINDINGS_COLUMNS lists them. */
export function writeFindingsColumns(w: CopyWriter, f: RowFindings | undefined): void {
  w.float8OrNull(finiteOrNull(f?.labelQuality));
  w.float8OrNull(finiteOrNull(f?.neighbourDisagreement));
  w.float8OrNull(finiteOrNull(f?.uncertaintyLeast));
  w.float8OrNull(finiteOrNull(f?.uncertaintyMargin));
  w.float8OrNull(finiteOrNull(f?.uncertaintyEntropy));
}

/** label_flags tuples, ranked in array order; batches of 20k. */
function* flagTuples(flags: NewFlag[], runId: number): Generator<Buffer[]> {
  const w = new CopyWriter();
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i];
    w.row(11);
    w.int4(runId);
    w.int8(f.rowId);
    w.text(f.kind);
    if (f.annId === null || f.annId === undefined) w.null();
    else w.int8(f.annId);
    if (f.predId === null || f.predId === undefined) w.null();
    else w.int8(f.predId);
    w.int4OrNull(f.given);
    w.int4OrNull(f.suggested);
    w.float8(f.score);
    w.jsonbOrNull(f.methods);
    w.text(f.evidence);
    w.int4(i + 1);
    if ((i + 1) % 20_000 === 0) yield w.take();
  }
  yield w.take();
}

/** Per-row findings tuples for the staging table; non-finite values go in as null. */
function* rowTuples(rows: RowFindings[]): Generator<Buffer[]> {
  const w = new CopyWriter();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    w.row(6);
    w.int8(r.rowId);
    writeFindingsColumns(w, r);
    if ((i + 1) % 20_000 === 0) yield w.take();
  }
  yield w.take();
}

/**
 * Stage per-row findings in the transaction's temporary table `findings_rows` (row_id, lq, nd, ul,
 * um, ue), dropped at commit: saveFindings updates row_scores from it, and the analysis writes them
 * with the row scores (writeClassificationRowScores) when it computed the findings first.
 */
export async function stageRowFindings(tx: BulkTx, rows: RowFindings[]): Promise<void> {
  await tx.query(
    `create temp table findings_rows (row_id int8, lq float8, nd float8, ul float8, um float8, ue float8)
     on commit drop`,
  );
  await tx.copyIn('findings_rows (row_id, lq, nd, ul, um, ue)', rowTuples(rows));
  // Statistics, so the planner joins a million staged rows by hash rather than row by row.
  await tx.query('analyze findings_rows');
}

/**
 * Replace a run's findings inside an open transaction: its flags (ranked in array order, 1 = most
 * likely wrong), the options used, and, unless `rowsStaged` (the analysis staged them and wrote
 * them with its fresh row scores), the findings columns of its row_scores (rows not listed are
 * cleared). Flags and row values go in by binary COPY (a million-row run flags and scores every
 * row), the row values through a staging table and one UPDATE … FROM.
 */
export async function writeFindings(
  tx: BulkTx,
  runId: number,
  { flags, rows, options }: { flags: NewFlag[]; rows: RowFindings[]; options: Record<string, unknown> },
  { rowsStaged = false }: { rowsStaged?: boolean } = {},
): Promise<void> {
  await tx.query('delete from label_flags where run_id = $1', [runId]);
  await tx.copyIn(
    'label_flags (run_id, row_id, kind, ann_id, pred_id, given, suggested, score, methods, evidence, rank)',
    flagTuples(flags, runId),
  );
  if (!rowsStaged) {
    await stageRowFindings(tx, rows);
    // Only the lines whose values change. A kNN pass's fold changes the neighbour column of a
    // fifth of a run; rewriting every line of a million-row run (each with its seven index
    // entries) took most of the fold.
    await tx.query(
      `update row_scores r set label_quality = v.lq, neighbour_disagreement = v.nd, uncertainty_least = v.ul,
         uncertainty_margin = v.um, uncertainty_entropy = v.ue
       from findings_rows v where r.run_id = $1 and r.row_id = v.row_id
         and (${FINDINGS_COLUMNS}) is distinct from (v.lq, v.nd, v.ul, v.um, v.ue)`,
      [runId],
    );
    // Lines the findings no longer cover lose their values.
    await tx.query(
      `update row_scores r set label_quality = null, neighbour_disagreement = null, uncertainty_least = null,
         uncertainty_margin = null, uncertainty_entropy = null
       where r.run_id = $1 and (${FINDINGS_COLUMNS}) is distinct from (null, null, null, null, null)
         and not exists (select 1 from findings_rows v where v.row_id = r.row_id)`,
      [runId],
    );
  }
  await tx.query('update model_runs set findings_options = $2::text::jsonb where id = $1', [
    runId,
    JSON.stringify(options),
  ]);
}

/**
 * Replace a run's findings in one transaction (see writeFindings). A failure leaves the previous
 * findings as they were.
 */
export async function saveFindings(
  database: Database,
  runId: number,
  findings: { flags: NewFlag[]; rows: RowFindings[]; options: Record<string, unknown> },
): Promise<void> {
  await withBulkTransaction(database, (tx) => writeFindings(tx, runId, findings));
}
