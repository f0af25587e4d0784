/**
 * Board server time on Postgres with a 1M-row classification run, through `app.request()`:
 * the overview page, gallery page 1 and page 500 (keyset cursor), the projector page and its
 * data. `/healthz` (one `select 1`) is the baseline measured in the same run. Target: p95 < 150 ms.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx test/bench/board.ts [rows] [iterations]
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { createDb } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/deps.ts';
import { encodeErrorCursor } from '../../src/store/errors.ts';
import { createWebApp } from '../../web/app.ts';
import { insertSyntheticRun } from '../web/synthetic.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';

const PAGE = 48;
const TARGET_MS = 150;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export async function main(
  rows = Number(process.argv[2] ?? 1_000_000),
  iterations = Number(process.argv[3] ?? 30),
) {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('bench/board: set DATABASE_URL (Postgres); the target is about Postgres');
  const name = `loupe_bench_board_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const database = await createDb({ url: url.toString() });
  try {
    let t = performance.now();
    const run = await insertSyntheticRun(database.db, {
      name: 'bench-run',
      rows,
      chunk: 250_000,
      details: false,
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
      config: loadConfig({ LOUPE_DEMO: '0', HOST: '127.0.0.1' }),
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
      [`gallery page ${deep}`, `${gallery}&cursor=${cursor}`],
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
        const res = await app.request(path);
        const body = await res.text();
        const ms = performance.now() - t;
        if (res.status !== 200) throw new Error(`${label}: ${res.status} ${body.slice(0, 300)}`);
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
    return results;
  } finally {
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
