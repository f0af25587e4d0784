import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { insertDataset, insertRun } from '../helpers/builder.ts';

export interface SyntheticRun {
  runId: number;
  datasetId: number;
  name: string;
  classNames: string[];
  rows: number;
}

/**
 * A classification run of any size generated in SQL (generate_series), the same on PGlite and
 * Postgres: row g has label g mod K (every 4th row unlabeled), a wrong prediction on about 20%
 * of rows, a confidence spread over [0.3, 1), uncertainty scores on the unlabeled pool, the
 * demo's digit images (or files of a registered folder), and a projection with one cluster per class. Everything is a fixed
 * function of g, so sizes and answers are reproducible.
 *
 * @example
 * const run = await insertSyntheticRun(db, { name: 'big', rows: 1_000_000 });
 */
export async function insertSyntheticRun(
  db: Db,
  {
    name,
    rows,
    classes = 10,
    chunk = 20_000,
    details = true,
    images,
  }: {
    name: string;
    rows: number;
    classes?: number;
    chunk?: number;
    /** Also write annotations and predictions (row pages need them; galleries and the projector do not). */
    details?: boolean;
    /** Images from a registered folder instead of the demo's digits: row g shows `<g mod files>.jpg`. */
    images?: { rootId: number; files: number };
  },
): Promise<SyntheticRun> {
  const classNames = Array.from({ length: classes }, (_, i) => (classes <= 10 ? String(i) : `class-${i}`));
  const ds = { id: await insertDataset(db, { name: `${name}-ds`, kind: 'classification', classNames }) };
  const run = { id: await insertRun(db, { name, datasetId: ds.id, kind: 'classification' }) };
  const k = classes;
  const image = images
    ? sql`'root:' || ${images.rootId}::int || '/' || (g % ${images.files}::int) || '.jpg'`
    : sql`'/media/digits/' || (g % 1797) || '.svg'`;
  for (let lo = 0; lo < rows; lo += chunk) {
    const hi = Math.min(rows, lo + chunk) - 1;
    await db.execute(sql`insert into data_rows (dataset_id, external_id, labeled, image_url, width, height)
      select ${ds.id}::int, g::text, g % 4 <> 0, ${image}, ${images ? 640 : 8}, ${images ? 480 : 8}
      from generate_series(${lo}::int, ${hi}::int) g`);
  }
  // One statement per slice of rows: PGlite runs each statement synchronously, and a long one
  // would stall the event loop of the process that hosts it (the test runner, the server).
  const [span] = await rawRows<{ lo: number; hi: number }>(
    db,
    sql`select min(id)::float8 as lo, max(id)::float8 as hi from data_rows where dataset_id = ${ds.id}::int`,
  );
  // Slices of the primary key (the rows were just inserted, so their ids are one run).
  for (let lo = Number(span.lo); lo <= Number(span.hi); lo += chunk) {
    const hi = lo + chunk - 1;
    const gen = sql`with base as (
        select r.id as row_id, r.labeled, r.external_id::bigint as g from data_rows r
        where r.dataset_id = ${ds.id}::int and r.id between ${lo}::bigint and ${hi}::bigint
      ), scored as (
        select row_id, labeled, g, g % ${k}::int as label,
          case when (g * 7919) % 10 < 2 then (g % ${k}::int + 1 + g % 3) % ${k}::int else g % ${k}::int end as predicted,
          0.3 + ((g * 48271) % 1000) / 1430.0 as confidence
        from base
      )`;
    await db.execute(sql`${gen}
      insert into row_scores (run_id, row_id, labeled, iou, confidence, min_conf, max_conf, label, predicted,
        num_gt, num_pred, uncertainty_least, uncertainty_margin, uncertainty_entropy)
      select ${run.id}::int, row_id, labeled,
        case when labeled then (label = predicted)::int::float8 else null end,
        confidence, confidence, confidence,
        case when labeled then label else null end, predicted,
        labeled::int, 1,
        case when labeled then null else 1 - confidence end,
        case when labeled then null else 1 - confidence end,
        case when labeled then null else 1 - confidence end
      from scored`);
    await db.execute(sql`${gen}
      insert into projections (run_id, row_id, x, y, fitted)
      select ${run.id}::int, row_id,
        (5 * cos(2 * pi() * label / ${k}::int) + ((g * 16807) % 1000) / 400.0)::real,
        (5 * sin(2 * pi() * label / ${k}::int) + ((g * 69621) % 1000) / 400.0)::real,
        g % 10 = 0
      from scored`);
    if (details) {
      await db.execute(sql`${gen}
        insert into annotations (row_id, ann_key, label) select row_id, 'label', label from scored where labeled`);
      await db.execute(sql`${gen}
        insert into predictions (run_id, row_id, pred_key, label, score)
        select ${run.id}::int, row_id, 0, predicted, confidence from scored`);
    }
  }
  const cells = await rawRows<{ label: number; predicted: number; n: number }>(
    db,
    sql`select label, predicted, count(*)::int as n from row_scores
        where run_id = ${run.id}::int and labeled group by label, predicted`,
  );
  // The row counts the analysis stores with its metrics (the runs page reads them, not the rows).
  const [{ unlabeled }] = await rawRows<{ unlabeled: number }>(
    db,
    sql`select count(*)::int as unlabeled from row_scores where run_id = ${run.id}::int and not labeled`,
  );
  const metrics = { ...metricsFromConfusion(classNames, cells), unlabeled: Number(unlabeled) };
  await db.execute(
    sql`update model_runs set metrics = ${JSON.stringify(metrics)}::jsonb where id = ${run.id}::int`,
  );
  return { runId: run.id, datasetId: ds.id, name, classNames, rows };
}

/** The parts of the classification metrics document the board reads, from confusion counts. */
export function metricsFromConfusion(
  classNames: string[],
  cells: { label: number; predicted: number; n: number }[],
) {
  const k = classNames.length;
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const c of cells) matrix[c.label][c.predicted] += Number(c.n);
  const total = matrix.flat().reduce((s, v) => s + v, 0);
  const correct = matrix.reduce((s, row, i) => s + row[i], 0);
  const classes = classNames.map((name, i) => {
    const support = matrix[i].reduce((s, v) => s + v, 0);
    const predicted = matrix.reduce((s, row) => s + row[i], 0);
    const precision = predicted ? matrix[i][i] / predicted : 0;
    const recall = support ? matrix[i][i] / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { name, precision, recall, f1, support };
  });
  const mean = (key: 'precision' | 'recall' | 'f1') => classes.reduce((s, c) => s + c[key], 0) / k;
  return {
    kind: 'classification',
    accuracy: total ? correct / total : 0,
    classes,
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') },
    ece: 0,
    calibration: [],
    confusion: { labels: classNames, matrix },
    labeled: total,
  };
}
