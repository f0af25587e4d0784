/**
 * Regression check speed: two classification runs of 1M rows × 10 classes on one dataset (the
 * second worse on two classes), `checkRegression` end to end — the (label, previous, new) counts
 * in SQL, then the paired bootstrap of per-class F1 (1,000 resamples as multinomial draws over the
 * cells) — on Postgres (a fresh database, dropped after) and on PGlite in a data folder. Target
 * ≤ 5 s. Baseline in the same run: the textbook row bootstrap (draw 1M row indices, recount) timed
 * on 10 resamples and scaled to 1,000.
 *
 *   npx tsx test/bench/alerts.ts [--rows 1000000] [--no-pglite]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { type Database, createDb } from '../../db/index.ts';
import { loadConfig } from '../../src/config.ts';
import { type Deps, createLogger } from '../../src/deps.ts';
import { ingestClassification } from '../../src/ingest/index.ts';
import { encodeNpy } from '../../src/ingest/npy.ts';
import { classCounts, perClassMetrics } from '../../src/metrics/classification.ts';
import { createRandom } from '../../src/random.ts';
import { checkRegression } from '../../src/regression/check.ts';
import { bootstrapF1Change, cellsFrom } from '../../src/regression/classification.ts';
import { pairedCellCounts } from '../../src/store/regressions.ts';
import { lookupRun } from '../../src/store/run-lookup.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';

const K = 10;
const TARGET_SECONDS = 5;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; s: number }> {
  const t = performance.now();
  const value = await fn();
  return { value, s: (performance.now() - t) / 1000 };
}

/** Labels and two runs' predictions: 90% right, the second run 70% right on classes 3 and 7. */
function makeRuns(rows: number) {
  const r = createRandom(11);
  const labels = new Int32Array(rows);
  const a = new Int32Array(rows);
  const b = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const y = r.int(K);
    labels[i] = y;
    a[i] = r() < 0.9 ? y : r.int(K);
    b[i] = r() < (y === 3 || y === 7 ? 0.7 : 0.9) ? y : r.int(K);
  }
  return { labels, a, b };
}

function probsOf(pred: Int32Array): Float32Array {
  const out = new Float32Array(pred.length * K).fill(0.02);
  for (let i = 0; i < pred.length; i++) out[i * K + pred[i]] = 0.82;
  return out;
}

const depsFor = (database: Database): Deps => ({
  db: database.db,
  database,
  config: loadConfig({ LOUPE_DEMO: '0' }),
  logger: createLogger({ level: 'silent' }),
  clock: { now: () => new Date() },
  objectCache: createObjectCache(),
});

async function benchOn(label: string, database: Database, files: Record<string, string>, rows: number) {
  const deps = depsFor(database);
  const imp = await timed(async () => {
    for (const run of ['v1', 'v2'])
      await ingestClassification(deps, {
        run,
        dataset: 'bench',
        labels: files.labels,
        probs: files[run],
        analyze: false,
      });
  });
  console.log(
    `${label}: imported 2 × ${rows.toLocaleString('en')} rows in ${imp.s.toFixed(1)} s (not timed below)`,
  );
  const v1 = (await lookupRun(deps.db, 'v1'))!;
  const v2 = (await lookupRun(deps.db, 'v2'))!;
  await checkRegression(deps, v2.id, { resamples: 50 }); // warm-up (plans, JIT)
  const cells = await timed(() => pairedCellCounts(deps.db, v1.id, v2.id));
  const boot = await timed(() =>
    bootstrapF1Change(cellsFrom(K, cells.value), [...Array(K).keys()].map(String), { minDrop: 0.02 }),
  );
  const full = await timed(() => checkRegression(deps, v2.id));
  const regressed = full.value!.classes.filter((c) => c.regressed).map((c) => c.name);
  console.log(
    `${label}: checkRegression ${full.s.toFixed(2)} s (target ≤ ${TARGET_SECONDS} s) = cell counts in SQL ${cells.s.toFixed(2)} s (${cells.value.length} cells) + bootstrap ${boot.s.toFixed(3)} s (1,000 resamples); regressed: ${regressed.join(', ') || 'none'}`,
  );
  return { full: full.s, boot: boot.s };
}

export async function main(): Promise<void> {
  const rows = arg('rows', 1_000_000);
  const withPglite = !process.argv.includes('--no-pglite');
  console.log(
    `load average: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-alerts-'));
  const { labels, a, b } = makeRuns(rows);
  const files = {
    labels: join(dir, 'labels.npy'),
    v1: join(dir, 'v1.npy'),
    v2: join(dir, 'v2.npy'),
  };
  writeFileSync(files.labels, encodeNpy(labels, [rows]));
  writeFileSync(files.v1, encodeNpy(probsOf(a), [rows, K]));
  writeFileSync(files.v2, encodeNpy(probsOf(b), [rows, K]));

  // Baseline: the row bootstrap as written in textbooks, on the same rows.
  const naive = await timed(() => {
    const r = createRandom(3);
    const y = new Int32Array(rows);
    const pa = new Int32Array(rows);
    const pb = new Int32Array(rows);
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < rows; i++) {
        const j = r.int(rows);
        y[i] = labels[j];
        pa[i] = a[j];
        pb[i] = b[j];
      }
      perClassMetrics(classCounts(y, pa, K));
      perClassMetrics(classCounts(y, pb, K));
    }
  });
  const naive1000 = naive.s * 100;
  console.log(
    `baseline row bootstrap: ${naive.s.toFixed(2)} s for 10 resamples → ${naive1000.toFixed(0)} s for 1,000`,
  );

  const baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `loupe_bench_${randomBytes(5).toString('hex')}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${dbName}`);
    const url = new URL(baseUrl);
    url.pathname = `/${dbName}`;
    const pg = await createDb({ url: url.toString(), max: 4 });
    try {
      const r = await benchOn('postgres', pg, files, rows);
      console.log(
        `postgres: bootstrap ${(naive1000 / r.boot).toFixed(0)}× faster than the row bootstrap; whole check ${(naive1000 / r.full).toFixed(0)}×`,
      );
    } finally {
      await pg.close();
      await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    }
    if (withPglite) {
      const lite = await createDb({ dataDir: join(dir, 'pglite') });
      try {
        await benchOn('pglite', lite, files, rows);
      } finally {
        await lite.close();
      }
    }
  } finally {
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
