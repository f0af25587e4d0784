/**
 * Per-object outcomes and TIDE's dAP.
 * 1. On the 5k-image synthetic set (crowds included): what keeping COCOeval's matches and typing
 *    every box adds to the evaluation (target ≤ 1 s, with storing them), and the dAP breakdown
 *    (target ≤ 2 s); the baseline is `evaluateCoco` alone on the same data.
 * 2. Storing the object lines (packed per image, binary COPY, in the transaction) on PGlite, and on
 *    Postgres when DATABASE_URL is set: the target holds on both.
 * 3. `objects` pages on Postgres (DATABASE_URL): p95 over filters and sorts, first and deep pages,
 *    on a run with `--objects N` object lines (default 1M; copies of the 5k set's lines), served
 *    from the process's decoded run; the first page after the run was written (which decodes it)
 *    is printed on its own and counted in the p95.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx test/bench/objects.ts [--objects 1000000] [--skip-pglite]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { type Database, createDb } from '../../db/index.ts';
import { insertDataset, insertRows, insertRun } from '../helpers/builder.ts';
import { createComputePool } from '../../src/compute/pool.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';
import { detectionObjects } from '../../src/analyze/detection-objects.ts';
import { evaluateCoco } from '../../src/metrics/coco-eval.ts';
import { deltaAp } from '../../src/metrics/detection-dap.ts';
import { classifyObjects } from '../../src/metrics/detection-errors.ts';
import { syntheticDetections } from '../../src/metrics/detection-synthetic.ts';
import {
  type ObjectOutcomeLine,
  type ObjectSource,
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
  const name = `bench-objects-${randomBytes(3).toString('hex')}`;
  const classNames = Array.from({ length: 10 }, (_, i) => `c${i + 1}`);
  const datasetId = await insertDataset(db, { name, kind: 'detection', classNames });
  const runId = await insertRun(db, { name: `${name}-run`, datasetId, kind: 'detection' });
  const rowIds = await insertRows(
    db,
    datasetId,
    Array.from({ length: images }, (_, i) => ({ externalId: String(i + 1) })),
  );
  return { runId, rowIds };
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
  const addedOn = (db: string, s: number) => {
    const added = withMatches - plain + typing + s;
    console.log(
      `added to the analysis (${db}): ${added.toFixed(3)} s (target ≤ ${ADDED_TARGET} s: ${added <= ADDED_TARGET ? 'met' : 'MISSED'})`,
    );
  };
  if (!argv.includes('--skip-pglite')) addedOn('PGlite', store);
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
  const compute = createComputePool({ threads: 1 });
  try {
    addedOn('Postgres', (await storeTimed(database, lines, 5000, 'Postgres')).s);
    const copies = Math.max(1, Math.ceil(objectsN / lines.length));
    const many: ObjectOutcomeLine[] = [];
    for (let c = 0; c < copies && many.length < objectsN; c++)
      for (const l of lines) {
        if (many.length >= objectsN) break;
        many.push({ ...l, rowId: l.rowId + c * 5000 });
      }
    const { runId } = await storeTimed(database, many, 5000 * copies, 'Postgres');
    await database.db.execute(sql`analyze object_outcomes`);
    // The first page decodes the run: on this thread (no pool, as the CLI) as the baseline, then in
    // a pool thread as serve does, with the longest the event loop was held during each.
    const firstPage = async (src: ObjectSource) => {
      const stall = monitorEventLoopDelay({ resolution: 5 });
      stall.enable();
      const started = performance.now();
      await listObjects(src, { runId, t: 0, limit: 50 });
      const ms = performance.now() - started;
      stall.disable();
      return { ms, stallMs: stall.max / 1e6 };
    };
    const inline = await firstPage({ db: database.db, objectCache: createObjectCache() });
    const src: ObjectSource = { db: database.db, compute, objectCache: createObjectCache() };
    const pooled = await firstPage(src);
    const coldMs = pooled.ms;
    console.log(
      `  first page after the write (decodes the run): inline ${inline.ms.toFixed(1)} ms, event loop held ${inline.stallMs.toFixed(1)} ms (baseline); in the pool ${pooled.ms.toFixed(1)} ms, event loop held ${pooled.stallMs.toFixed(1)} ms`,
    );
    const cases: { name: string; q: Parameters<typeof listObjects>[1] }[] = [];
    for (const sort of ['confidence:desc', 'confidence:asc', 'iou:asc'] as ObjectSort[]) {
      cases.push({ name: `all ${sort}`, q: { runId, t: 0, sort, limit: 50 } });
      cases.push({ name: `fp ${sort}`, q: { runId, t: 0, kind: 'fp', sort, limit: 50 } });
      cases.push({ name: `fn ${sort}`, q: { runId, t: 5, kind: 'fn', sort, limit: 50 } });
      cases.push({ name: `cls c3 ${sort}`, q: { runId, t: 0, type: 'cls', classIndex: 2, sort, limit: 50 } });
      cases.push({ name: `dupe ${sort}`, q: { runId, t: 9, type: 'dupe', sort, limit: 50 } });
    }
    const times: number[] = [coldMs];
    for (const c of cases) {
      let cursor: string | undefined;
      const perCase: number[] = [];
      for (let page = 0; page < 20; page++) {
        const started = performance.now();
        const res = await listObjects(src, { ...c.q, cursor });
        perCase.push(performance.now() - started);
        if (!res.nextCursor) break;
        cursor = res.nextCursor;
      }
      times.push(...perCase);
      console.log(
        `  ${c.name.padEnd(28)} median ${perCase.sort((a, b) => a - b)[Math.floor(perCase.length / 2)].toFixed(1)} ms over ${perCase.length} pages`,
      );
    }
    times.sort((a, b) => a - b);
    const p95 = times[Math.floor(times.length * 0.95)];
    console.log(
      `objects pages on ${many.length} objects: p95 ${p95.toFixed(1)} ms over ${times.length} pages (target ≤ ${PAGE_P95_TARGET_MS} ms: ${p95 <= PAGE_P95_TARGET_MS ? 'met' : 'MISSED'})`,
    );
  } finally {
    await compute.close();
    await database.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
