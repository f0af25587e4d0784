/**
 * Classification metrics speed.
 * 1. Per-class precision/recall/F1 over 1M rows × 1000 classes (target ≤ 0.5 s), next to the
 *    naive baseline (one pass over the rows per class, O(N·K)) on the same data; results must agree.
 * 2. Top-k (100k × 100) and ECE (1M) on their own.
 * 3. analyzeRun on a generated classification run (default 100k rows × 10 classes, `--rows N`) on
 *    PGlite (and Postgres when DATABASE_URL is set), next to the baseline of streaming the same
 *    rows into JS; then errors page 1 vs page 500 (keyset) vs OFFSET pagination, with EXPLAIN on Postgres.
 *
 *   npx tsx test/bench/metrics.ts [--rows 100000]
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { type Database, createDb } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { analyzeRun } from '../../src/analyze/run.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/deps.ts';
import { classCounts, classificationReport, perClassMetrics } from '../../src/metrics/classification.ts';
import { expectedCalibrationError } from '../../src/metrics/classification-calibration.ts';
import { topKHits } from '../../src/metrics/classification-topk.ts';
import { createRandom } from '../../src/random.ts';
import { encodeErrorCursor, listErrors } from '../../src/store/errors.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';

const TARGET_SECONDS = 0.5;

function time<T>(fn: () => T): { value: T; s: number } {
  const started = performance.now();
  const value = fn();
  return { value, s: (performance.now() - started) / 1000 };
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<{ value: T; s: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, s: (performance.now() - started) / 1000 };
}

/** The obvious implementation: for each class, scan every row. */
function naivePerClass(labels: Uint16Array, predicted: Uint16Array, classes: number) {
  const out = [];
  for (let c = 0; c < classes; c++) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < labels.length; i++) {
      if (predicted[i] === c && labels[i] === c) tp++;
      else if (predicted[i] === c) fp++;
      else if (labels[i] === c) fn++;
    }
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
    const f1 = 2 * tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
    out.push({ precision, recall, f1, support: tp + fn });
  }
  return out;
}

function pureMetrics(): void {
  const N = 1_000_000;
  const K = 1000;
  const rand = createRandom(7);
  const labels = new Uint16Array(N);
  const predicted = new Uint16Array(N);
  for (let i = 0; i < N; i++) {
    labels[i] = Math.floor(rand() * K);
    predicted[i] = rand() < 0.8 ? labels[i] : Math.floor(rand() * K);
  }
  classificationReport(classCounts(labels, predicted, K)); // warm-up
  const runs = [0, 1, 2].map(() => time(() => classificationReport(classCounts(labels, predicted, K))));
  const fast = runs.sort((a, b) => a.s - b.s)[1];
  // The baseline is O(N·K): time it on the first 100 classes (all 1M rows) and scale by K / 100.
  const naive = time(() => naivePerClass(labels, predicted, 100));
  const naiveAll = (naive.s * K) / 100;
  const ours = perClassMetrics(classCounts(labels, predicted, K));
  const same = naive.value.every(
    (m, c) => m.precision === ours[c].precision && m.recall === ours[c].recall && m.f1 === ours[c].f1,
  );
  if (!same) throw new Error('per-class metrics disagree with the naive baseline');
  console.log(
    `per-class P/R/F1, 1M rows × 1000 classes (median of 3): ${fast.s.toFixed(3)} s (target ≤ ${TARGET_SECONDS} s)`,
  );
  console.log(
    `  naive O(N·K) baseline: ${naive.s.toFixed(3)} s for 100 classes → ${naiveAll.toFixed(1)} s for 1000 → speed-up ×${(naiveAll / fast.s).toFixed(0)}; identical: ${same}`,
  );
  console.log(`  accuracy ${fast.value.accuracy.toFixed(4)}, macro F1 ${fast.value.macro.f1.toFixed(4)}`);
  if (fast.s > TARGET_SECONDS) console.log(`  WARNING: above the ${TARGET_SECONDS} s target`);

  const conf = new Float64Array(N);
  const correct = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    conf[i] = rand();
    correct[i] = labels[i] === predicted[i] ? 1 : 0;
  }
  const ece = time(() => expectedCalibrationError(conf, correct));
  console.log(`ECE, 1M rows, 15 bins: ${ece.s.toFixed(3)} s`);

  const n = 100_000;
  const k = 100;
  const scores = new Float32Array(n * k);
  for (let i = 0; i < scores.length; i++) scores[i] = rand();
  const topLabels = labels.subarray(0, n).map((l) => l % k);
  const top = time(() => topKHits(scores, k, topLabels, [1, 3, 5]));
  console.log(`top-1/3/5, 100k rows × 100 classes: ${top.s.toFixed(3)} s`);
}

function argRows(): number {
  const i = process.argv.indexOf('--rows');
  const v = i >= 0 ? Number(process.argv[i + 1]) : 100_000;
  if (!Number.isInteger(v) || v < 1000)
    throw new Error(`--rows ${process.argv[i + 1]}: expected a whole number ≥ 1000`);
  return v;
}

/** A classification run generated in SQL: every 10th row unlabeled, ~85 % right, deterministic. */
async function seedRun(database: Database, rows: number, K = 10): Promise<number> {
  const { db } = database;
  const names = JSON.stringify(Array.from({ length: K }, (_, i) => `class-${i}`));
  const [ds] = await rawRows<{ id: number }>(
    db,
    sql`insert into datasets (name, kind, class_names) values ('bench', 'classification', ${names}::jsonb) returning id`,
  );
  const [run] = await rawRows<{ id: number }>(
    db,
    sql`insert into model_runs (name, dataset_id, kind) values ('bench-run', ${ds.id}, 'classification') returning id`,
  );
  await db.execute(sql`insert into data_rows (dataset_id, external_id, labeled)
    select ${ds.id}::int, g::text, g % 10 <> 0 from generate_series(1, ${rows}::int) g`);
  await db.execute(sql`insert into annotations (row_id, ann_key, label)
    select id, 'label', ((id * 7919) % ${K}::int)::int from data_rows where dataset_id = ${ds.id}::int and labeled`);
  await db.execute(sql`insert into predictions (run_id, row_id, pred_key, label, score, probs)
    select ${run.id}::int, id, 0, p, s,
      array(select case when j = p then s else (1 - s) / (${K}::int - 1) end from generate_series(0, ${K}::int - 1) j order by j)::real[]
    from (
      select id,
        case when (id * 2654435761) % 100 < 85 then ((id * 7919) % ${K}::int)::int else ((id * 31) % ${K}::int)::int end as p,
        (0.5 + ((id * 13) % 50) / 100.0)::float8 as s
      from data_rows where dataset_id = ${ds.id}::int
    ) t`);
  return run.id;
}

async function analyzeBench(label: string, database: Database, rows: number): Promise<void> {
  // analyzeRun logs the time of its own transaction before the findings run; keep both apart.
  const analyzedMs: number[] = [];
  const deps = {
    db: database.db,
    database,
    config: loadConfig({ LOUPE_DEMO: '0' }),
    logger: createLogger({
      level: 'info',
      write: (line) => {
        const m = /run analyzed .*"ms":(\d+)/.exec(line);
        if (m) analyzedMs.push(Number(m[1]));
      },
    }),
    clock: { now: () => new Date() },
    objectCache: createObjectCache(),
  };
  const seeded = await timeAsync(() => seedRun(database, rows));
  const runId = seeded.value;
  console.log(`${label}: seeded ${rows} rows in ${seeded.s.toFixed(1)} s`);
  const baseline = await timeAsync(() =>
    rawRows(
      database.db,
      sql`select p.row_id, a.label, p.label as predicted, p.score, p.probs from predictions p
        left join annotations a on a.row_id = p.row_id and a.ann_key = 'label' where p.run_id = ${runId}::int`,
    ),
  );
  const analyzed = await timeAsync(() => analyzeRun(deps, runId));
  const again = await timeAsync(() => analyzeRun(deps, runId));
  const own = analyzedMs[0] / 1000;
  console.log(
    `  analyzeRun ${analyzed.s.toFixed(2)} s, of which metrics + row_scores ${own.toFixed(2)} s and findings the rest (re-analysis ${again.s.toFixed(2)} s / ${(analyzedMs[1] / 1000).toFixed(2)} s)`,
  );
  console.log(
    `  baseline: streaming the same ${baseline.value.length} rows with probabilities into JS ${baseline.s.toFixed(2)} s → metrics + row_scores ×${(own / baseline.s).toFixed(2)} of it`,
  );
  const doc = analyzed.value as { accuracy: number; labeled: number };
  console.log(`  accuracy ${doc.accuracy.toFixed(4)} over ${doc.labeled} labeled rows`);

  const first = await timeAsync(() => listErrors(deps, { runId, limit: 20 }));
  // Page 500 by keyset (or the last full page of a smaller run): its cursor found once by OFFSET.
  const skip = Math.max(20, Math.floor(Math.min(9980, first.value.total - 20) / 20) * 20);
  const [at] = await rawRows<{ confidence: number; row_id: number }>(
    database.db,
    sql`select confidence, row_id from row_scores where run_id = ${runId}::int and labeled and iou < 0.5
      order by confidence, row_id offset ${skip - 1}::int limit 1`,
  );
  const cursor = encodeErrorCursor({
    run: runId,
    sort: 'confidence:asc',
    confidence: at.confidence,
    rowId: Number(at.row_id),
  });
  const page500 = await timeAsync(() => listErrors(deps, { runId, limit: 20, cursor }));
  const offset500 = await timeAsync(() =>
    rawRows(
      database.db,
      sql`select rs.row_id from row_scores rs join data_rows r on r.id = rs.row_id
        where rs.run_id = ${runId}::int and rs.labeled and rs.iou < 0.5 order by rs.confidence, rs.row_id offset ${skip}::int limit 21`,
    ),
  );
  console.log(
    `  errors (${first.value.total} rows): page 1 ${(first.s * 1000).toFixed(0)} ms, page ${skip / 20 + 1} keyset ${(page500.s * 1000).toFixed(0)} ms, same page by OFFSET (baseline) ${(offset500.s * 1000).toFixed(0)} ms (listErrors pages include the total count)`,
  );
  if (database.driver === 'postgres') {
    const plan = await rawRows<{ 'QUERY PLAN': string }>(
      database.db,
      sql`explain select rs.row_id from row_scores rs where rs.run_id = ${runId}::int and rs.labeled and rs.iou < 0.5
        and (rs.confidence, rs.row_id) > (${at.confidence}::float8, ${Number(at.row_id)}::bigint)
        order by rs.confidence, rs.row_id limit 21`,
    );
    console.log(`  EXPLAIN (keyset page):\n${plan.map((p) => `    ${p['QUERY PLAN']}`).join('\n')}`);
  }
}

async function freshPostgres(base: string): Promise<{ database: Database; drop: () => Promise<void> }> {
  const name = `loupe_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const database = await createDb({ url: url.toString() });
  return {
    database,
    drop: async () => {
      await database.close();
      const a = postgres(base, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export async function main(): Promise<void> {
  pureMetrics();
  const rows = argRows();
  const pglite = await createDb();
  try {
    await analyzeBench('PGlite', pglite, rows);
  } finally {
    await pglite.close();
  }
  if (process.env.DATABASE_URL) {
    const pg = await freshPostgres(process.env.DATABASE_URL);
    try {
      await analyzeBench('Postgres', pg.database, rows);
    } finally {
      await pg.drop();
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
