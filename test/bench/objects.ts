/**
 * Per-object outcomes and TIDE's dAP.
 * 1. On the 5k-image synthetic set (crowds included): what keeping COCOeval's matches and typing
 *    every box adds to the evaluation (target ≤ 1 s, with storing them), and the dAP breakdown
 *    (target ≤ 2 s); the baseline is `evaluateCoco` alone on the same data.
 * 2. Storing the object lines (binary COPY, in the transaction) on PGlite, and on
 *    Postgres when DATABASE_URL is set.
 * 3. `objects` pages on Postgres (DATABASE_URL): p95 over filters and sorts, first and deep pages,
 *    on a run with `--objects N` object lines (default 1M; copies of the 5k set's lines).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx test/bench/objects.ts [--objects 1000000] [--skip-pglite]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { type Database, createDb } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { dataRows, datasets, modelRuns } from '../../db/schema.ts';
import { detectionObjects } from '../../src/analyze/detection-objects.ts';
import { evaluateCoco } from '../../src/metrics/coco-eval.ts';
import { deltaAp } from '../../src/metrics/detection-dap.ts';
import { classifyObjects } from '../../src/metrics/detection-errors.ts';
import { syntheticDetections } from '../../src/metrics/detection-synthetic.ts';
import {
  type ObjectOutcomeLine,
  type ObjectSort,
  insertObjectOutcomes,
  listObjects,
} from '../../src/store/objects.ts';

const ADDED_TARGET = 1;
const DAP_TARGET = 2;
const PAGE_P95_TARGET_MS = 50;

const seconds = <T>(fn: () => T) => {
  const started = performance.now();
  const value = fn();
  return { value, s: (performance.now() - started) / 1000 };
};
const best = (fn: () => unknown, n = 3) => Math.min(...Array.from({ length: n }, () => seconds(fn).s));

async function seedRun(database: Database, images: number) {
  const db = database.db;
  const [ds] = await db
    .insert(datasets)
    .values({
      name: `bench-objects-${randomBytes(3).toString('hex')}`,
      kind: 'detection',
      classNames: Array.from({ length: 10 }, (_, i) => `c${i + 1}`),
    })
    .returning();
  const [run] = await db
    .insert(modelRuns)
    .values({ name: `${ds.name}-run`, datasetId: ds.id, kind: 'detection' })
    .returning();
  const ids: number[] = [];
  for (let i = 0; i < images; i += 5000) {
    const part = await db
      .insert(dataRows)
      .values(
        Array.from({ length: Math.min(5000, images - i) }, (_, j) => ({
          datasetId: ds.id,
          externalId: String(i + j + 1),
        })),
      )
      .returning({ id: dataRows.id });
    ids.push(...part.map((r) => r.id));
  }
  return { runId: run.id, rowIds: ids };
}

async function storeTimed(database: Database, lines: ObjectOutcomeLine[], images: number, label: string) {
  const { runId, rowIds } = await seedRun(database, images);
  const mapped = lines.map((l) => ({ ...l, rowId: rowIds[(l.rowId - 1) % rowIds.length] }));
  const started = performance.now();
  await database.db.transaction((tx) => insertObjectOutcomes(tx, runId, mapped));
  const s = (performance.now() - started) / 1000;
  console.log(`store ${mapped.length} object lines on ${label}: ${s.toFixed(3)} s`);
  return { runId, s };
}

export async function main(argv = process.argv.slice(2)) {
  const at = argv.indexOf('--objects');
  const objectsN = at >= 0 ? Number(argv[at + 1]) : 1_000_000;
  const data = syntheticDetections({ seed: 2024, images: 5000 });
  const crowds = data.gts.filter((g) => g.iscrowd).length;
  console.log(
    `data: 5000 images, ${data.gts.length} ground truths (${crowds} crowd), ${data.dets.length} detections`,
  );

  evaluateCoco(data, {}, { keepMatches: true }); // warm-up
  const plain = best(() => evaluateCoco(data));
  const withMatches = best(() => evaluateCoco(data, {}, { keepMatches: true }));
  const ev = evaluateCoco(data, {}, { keepMatches: true });
  const typing = best(() => classifyObjects(data.gts, data.dets, ev.matches!, ev.params.iouThrs));
  const o = classifyObjects(data.gts, data.dets, ev.matches!, ev.params.iouThrs);
  const dap = best(() => deltaAp(data.gts, data.dets, ev.matches!, o, ev.labels));
  const { lines } = detectionObjects(data.gts, data.dets, ev, (i) => i);
  console.log(`evaluateCoco (baseline) ${plain.toFixed(3)} s; with matches kept ${withMatches.toFixed(3)} s`);
  console.log(`typing every box at 10 thresholds ${typing.toFixed(3)} s; ${lines.length} object lines`);

  // A data folder, as `npm start` uses: in-memory PGlite grows its files by copying.
  const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-objects-'));
  const pglite = await createDb({ dataDir: dir });
  let store = 0;
  try {
    if (!argv.includes('--skip-pglite'))
      store = (await storeTimed(pglite, lines, 5000, 'PGlite (data folder)')).s;
  } finally {
    await pglite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const added = withMatches - plain + typing + store;
  console.log(
    `added to the analysis: ${added.toFixed(3)} s (target ≤ ${ADDED_TARGET} s: ${added <= ADDED_TARGET ? 'met' : 'MISSED'})`,
  );
  console.log(
    `dAP breakdown ${dap.toFixed(3)} s (target ≤ ${DAP_TARGET} s: ${dap <= DAP_TARGET ? 'met' : 'MISSED'})`,
  );

  const base = process.env.DATABASE_URL;
  if (!base) {
    console.log('objects pages: set DATABASE_URL to measure them on Postgres');
    return;
  }
  const name = `loupe_bench_objects_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const database = await createDb({ url: url.toString() });
  try {
    const copies = Math.max(1, Math.ceil(objectsN / lines.length));
    const many: ObjectOutcomeLine[] = [];
    for (let c = 0; c < copies && many.length < objectsN; c++)
      for (const l of lines) {
        if (many.length >= objectsN) break;
        many.push({ ...l, rowId: l.rowId + c * 5000 });
      }
    const { runId } = await storeTimed(database, many, 5000 * copies, 'Postgres');
    await database.db.execute(sql`analyze object_outcomes`);
    const cases: { name: string; q: Parameters<typeof listObjects>[1] }[] = [];
    for (const sort of ['confidence:desc', 'confidence:asc', 'iou:asc'] as ObjectSort[]) {
      cases.push({ name: `all ${sort}`, q: { runId, t: 0, sort, limit: 50 } });
      cases.push({ name: `fp ${sort}`, q: { runId, t: 0, kind: 'fp', sort, limit: 50 } });
      cases.push({ name: `fn ${sort}`, q: { runId, t: 5, kind: 'fn', sort, limit: 50 } });
      cases.push({ name: `cls c3 ${sort}`, q: { runId, t: 0, type: 'cls', classIndex: 2, sort, limit: 50 } });
      cases.push({ name: `dupe ${sort}`, q: { runId, t: 9, type: 'dupe', sort, limit: 50 } });
    }
    const times: number[] = [];
    for (const c of cases) {
      let cursor: string | undefined;
      const perCase: number[] = [];
      for (let page = 0; page < 20; page++) {
        const started = performance.now();
        const res = await listObjects(database.db, { ...c.q, cursor });
        perCase.push(performance.now() - started);
        if (!res.nextCursor) break;
        cursor = res.nextCursor;
      }
      times.push(...perCase);
      console.log(
        `  ${c.name.padEnd(28)} median ${perCase.sort((a, b) => a - b)[Math.floor(perCase.length / 2)].toFixed(1)} ms over ${perCase.length} pages`,
      );
    }
    // Where the time goes in a rare filter: the run's score index read in order, each line's code
    // checked on the heap (the filter is on one character of `codes`, which no index holds).
    const plan = await rawRows<{ 'QUERY PLAN': string }>(
      database.db,
      sql`explain (analyze, buffers) select o.id from object_outcomes o
        where o.run_id = ${runId}::int and substr(o.codes, 10, 1) = 'd' and coalesce(o.score, -1) >= 0
        order by coalesce(o.score, -1) desc, o.id desc limit 51`,
    );
    console.log('  plan of the first dupe page at IoU 0.95 (lines only):');
    for (const r of plan) console.log(`    ${r['QUERY PLAN']}`);
    times.sort((a, b) => a - b);
    const p95 = times[Math.floor(times.length * 0.95)];
    console.log(
      `objects pages on ${many.length} objects: p95 ${p95.toFixed(1)} ms over ${times.length} pages (target ≤ ${PAGE_P95_TARGET_MS} ms: ${p95 <= PAGE_P95_TARGET_MS ? 'met' : 'MISSED'})`,
    );
  } finally {
    await database.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
