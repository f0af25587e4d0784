/**
 * Board server time on Postgres with a 1M-row classification run whose rows show images from a
 * registered folder, through `app.request()`: the overview page, the gallery pages a user opens
 * (page 1, a filter, a later keyset page, and page 1 with its 48 thumbnails fetched 6 at a time as
 * a browser does, thumbnails already made), the projector page and its data. `/healthz` (one
 * `select 1`) is the baseline measured in the same run. Target: p95 < 150 ms (issue 13: gallery
 * pages with thumbnails cached, p95 over ≥ 50 requests).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx test/bench/board.ts [rows] [iterations]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { createDb } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/deps.ts';
import { encodeErrorCursor } from '../../src/store/errors.ts';
import { withBulkTransaction } from '../../src/store/ingest-tx.ts';
import { registerMediaRoot } from '../../src/store/media.ts';
import { createWebApp } from '../../web/app.ts';
import { writeJpegs } from '../helpers/jpegs.ts';
import { insertSyntheticRun } from '../web/synthetic.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';

const PAGE = 48;
/** Distinct image files the rows share (row g shows file g mod IMAGES). */
const IMAGES = 200;
const TARGET_MS = 150;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export async function main(
  rows = Number(process.argv[2] ?? 1_000_000),
  iterations = Number(process.argv[3] ?? 50),
) {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('bench/board: set DATABASE_URL (Postgres); the target is about Postgres');
  const name = `loupe_bench_board_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const database = await createDb({ url: url.toString() });
  const work = mkdtempSync(join(tmpdir(), 'loupe-bench-board-'));
  try {
    const folder = join(work, 'images');
    mkdirSync(folder);
    await writeJpegs(folder, IMAGES);
    const rootId = await withBulkTransaction(database, (tx) => registerMediaRoot(tx, folder));
    let t = performance.now();
    const run = await insertSyntheticRun(database.db, {
      name: 'bench-run',
      rows,
      chunk: 250_000,
      details: false,
      images: { rootId, files: IMAGES },
    });
    await database.db.execute(sql`analyze`);
    console.log(`seeded ${rows} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // The cursor the page before hands out: the sort key of its last row. Small runs have fewer
    // pages; then the deepest full page stands in for page 500.
    const [{ errors }] = await rawRows<{ errors: number }>(
      database.db,
      sql`select count(*)::int as errors from row_scores where run_id = ${run.runId}::int and labeled and iou < 0.5`,
    );
    const deep = Math.max(2, Math.min(500, Math.floor(errors / PAGE)));
    const [last] = await rawRows<{ confidence: number; row_id: number }>(
      database.db,
      sql`select confidence, row_id::float8 as row_id from row_scores
          where run_id = ${run.runId}::int and labeled and iou < 0.5
          order by confidence, row_id offset ${(deep - 1) * PAGE - 1} limit 1`,
    );
    const cursor = encodeErrorCursor({
      run: run.runId,
      sort: 'confidence:asc',
      confidence: last.confidence,
      rowId: Number(last.row_id),
    });

    const app = createWebApp({
      db: database.db,
      database,
      config: loadConfig({ LOUPE_DEMO: '0', HOST: '127.0.0.1', LOUPE_DATA: join(work, 'data') }),
      logger: createLogger({ level: 'warn' }),
      clock: { now: () => new Date() },
      objectCache: createObjectCache(),
    });
    const gallery = `/runs/bench-run/gallery?iou_lt=0.5&sort=confidence:asc&limit=${PAGE}`;
    const cases: [string, string][] = [
      ['baseline /healthz', '/healthz'],
      ['runs page', '/'],
      ['overview', '/runs/bench-run'],
      ['gallery page 1', gallery],
      ['gallery, a filter', `/runs/bench-run/gallery?outcome=wrong&label=3&predicted=4&conf_max=0.8`],
      [`gallery page ${deep}`, `${gallery}&cursor=${cursor}`],
      ['gallery + 48 thumbs', `+thumbs ${gallery}`],
      [`errors API page ${deep}`, `/api/runs/bench-run/errors?iou_lt=0.5&limit=${PAGE}&cursor=${cursor}`],
      ['projector page', '/runs/bench-run/projector'],
      ['projector data', '/api/runs/bench-run/projection'],
    ];
    const results: { name: string; p50: number; p95: number; max: number; bytes: number }[] = [];
    for (const [label, path] of cases) {
      const times: number[] = [];
      let bytes = 0;
      // The full 1M-point projection takes seconds a call: fewer samples keep the bench short.
      const n = path.includes('/projection') ? Math.min(iterations, 5) : iterations;
      for (let i = 0; i < n + 2; i++) {
        t = performance.now();
        const withThumbs = path.startsWith('+thumbs ');
        const res = await app.request(withThumbs ? path.slice('+thumbs '.length) : path);
        const body = await res.text();
        if (res.status !== 200) throw new Error(`${label}: ${res.status} ${body.slice(0, 300)}`);
        if (withThumbs) {
          // The first calls make the thumbnails; the measured ones find them cached.
          const thumbs = [...body.matchAll(/src="(\/media\/rows\/\d+\/thumb\/\d+)"/g)].map((m) => m[1]);
          if (thumbs.length < PAGE) throw new Error(`${label}: ${thumbs.length} thumbnails on the page`);
          for (let j = 0; j < thumbs.length; j += 6)
            await Promise.all(
              thumbs.slice(j, j + 6).map(async (src) => {
                const r = await app.request(src);
                await r.arrayBuffer();
                if (r.status !== 200) throw new Error(`${label}: ${src} ${r.status}`);
              }),
            );
        }
        const ms = performance.now() - t;
        bytes = body.length;
        if (i >= 2) times.push(ms); // the first calls warm caches, plans and the JIT
      }
      times.sort((a, b) => a - b);
      results.push({
        name: label,
        p50: percentile(times, 0.5),
        p95: percentile(times, 0.95),
        max: times.at(-1) ?? 0,
        bytes,
      });
    }
    const baseline = results[0].p50;
    console.log(
      `\nboard server time on Postgres, ${rows} rows, ${iterations} requests each (app.request, body read)`,
    );
    console.log('endpoint               p50 ms   p95 ms   max ms   p50 / baseline   body KiB   p95 < 150 ms');
    for (const r of results)
      console.log(
        `${r.name.padEnd(21)} ${r.p50.toFixed(1).padStart(7)}  ${r.p95.toFixed(1).padStart(7)}  ${r.max.toFixed(1).padStart(7)}  ${(r.p50 / baseline).toFixed(1).padStart(14)}×  ${(r.bytes / 1024).toFixed(0).padStart(9)}   ${r.p95 < TARGET_MS ? 'yes' : 'NO'}`,
      );
    console.log(
      `load: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
    await database.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
