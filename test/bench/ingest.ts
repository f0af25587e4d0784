/**
 * Import speed: 1M synthetic classification rows (10 classes, 5% unlabeled) through
 * `ingestClassification` on Postgres (a fresh database, dropped after) next to a raw binary COPY
 * of the same rows into a bare table, and on PGlite in a data folder (as `npm start` runs it;
 * in-memory PGlite grows its files by copying, which makes large imports quadratic) next to
 * PGlite's own COPY; then 1M × 128 float32 embeddings on both (MB/s); peak RSS. On Postgres it also
 * prints the floor of the schema (the import's tuples into bare tables, indexes built afterwards),
 * the least an import into these tables over one connection can take. analyzeRun is left out of the import
 * figures (`analyze: false`) and timed on its own when it is implemented.
 * Targets: the Postgres import ≥ 0.8× the speed of that floor (issue 14, which replaced the
 * earlier ≥ 300k rows/s and ≥ 0.5× raw COPY); PGlite ≥ 80k rows/s; embeddings ≥ 100 MB/s;
 * peak RSS ≤ 1.5 GB.
 *
 * The import and the floor are each the median of `--repeat` attempts (3), taken in turn, each after
 * a checkpoint, each import into a new database.
 *
 *   npx tsx test/bench/ingest.ts [--rows 1000000] [--emb-rows 1000000] [--dim 128] [--repeat 3] [--no-pglite] [--no-analyze]
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { type Database, createDb } from '../../db/index.ts';
import { analyzeRun } from '../../src/analyze/run.ts';
import { loadConfig } from '../../src/config.ts';
import { type Deps, createLogger } from '../../src/deps.ts';
import { openNpySource } from '../../src/ingest/classification-npy.ts';
import { encodeIndexRows, encodeLabels, encodePredictions } from '../../src/ingest/direct-encode.ts';
import { ingestClassification, ingestEmbeddings } from '../../src/ingest/index.ts';
import { encodeNpy, openNpy } from '../../src/ingest/npy.ts';
import { CopyWriter } from '../../src/store/pgcopy.ts';
import { withBulkTransaction } from '../../src/store/ingest-tx.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';
import { createRandom } from '../../src/random.ts';

const K = 10;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Write an N × cols .npy in chunks (header first, then rows), so the generator stays small. */
function writeNpyStreaming(
  path: string,
  proto: Float32Array | Int32Array,
  shape: number[],
  fill: (start: number, n: number) => Float32Array | Int32Array,
) {
  const head = encodeNpy(proto.subarray(0, 0) as Float32Array, shape);
  const fd = openSync(path, 'w');
  writeSync(fd, head);
  const rows = shape[0];
  const step = 65536;
  for (let s = 0; s < rows; s += step) {
    const chunk = fill(s, Math.min(step, rows - s));
    writeSync(fd, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  closeSync(fd);
}

function makeInputs(dir: string, rows: number, embRows: number, dim: number) {
  const rand = createRandom(42);
  const labels = join(dir, 'labels.npy');
  const probs = join(dir, 'pred_probs.npy');
  const emb = join(dir, 'emb.npy');
  writeNpyStreaming(labels, new Int32Array(0), [rows], (_s, n) => {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = rand() < 0.05 ? -1 : Math.floor(rand() * K);
    return out;
  });
  writeNpyStreaming(probs, new Float32Array(0), [rows, K], (_s, n) => {
    const out = new Float32Array(n * K);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < K; j++) sum += out[i * K + j] = rand() ** 3;
      for (let j = 0; j < K; j++) out[i * K + j] /= sum;
    }
    return out;
  });
  // Embeddings cluster, as real ones do (uniform noise is the worst case for the kNN graph the
  // analysis builds): 1,000 centres, Gaussian spread, as in the vectors bench.
  const centres = new Float32Array(1000 * dim).map(() => rand() * 2 - 1);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  writeNpyStreaming(emb, new Float32Array(0), [embRows, dim], (_s, n) => {
    const out = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      const c = Math.floor(rand() * 1000) * dim;
      for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c + j] + 0.15 * gauss();
    }
    return out;
  });
  return { labels, probs, emb };
}

/** The baseline: the same rows (id, label, probs) by binary COPY into a bare table, one transaction. */
async function rawCopy(database: Database, labelsPath: string, probsPath: string): Promise<number> {
  const l = openNpy(labelsPath);
  const p = openNpy(probsPath);
  const started = performance.now();
  await withBulkTransaction(database, async (tx) => {
    await tx.query('create table bench_raw (id text, label int4, probs real[])');
    async function* tuples() {
      const w = new CopyWriter();
      const step = 26214;
      for (let s = 0; s < p.rows; s += step) {
        const n = Math.min(step, p.rows - s);
        const probs = p.readRows(s, n) as Float32Array;
        const labels = l.readRows(s, n) as Int32Array;
        for (let i = 0; i < n; i++) {
          w.row(3);
          w.text(String(s + i));
          if (labels[i] >= 0) w.int4(labels[i]);
          else w.null();
          w.float4Array(probs, i * K, K);
        }
        yield w.take();
      }
    }
    await tx.copyIn('bench_raw (id, label, probs)', tuples());
  });
  const s = (performance.now() - started) / 1000;
  l.close();
  p.close();
  await withBulkTransaction(database, (tx) => tx.query('drop table bench_raw'));
  return s;
}

/** The indexes the import maintains, as `create index` statements over the floor's bare copies. */
const FLOOR_INDEXES = [
  'create unique index on floor_rows (id)',
  'create unique index on floor_rows (dataset_id, external_id)',
  'create unique index on floor_ann (id)',
  'create unique index on floor_ann (row_id, ann_key)',
  'create unique index on floor_pred (id)',
  'create unique index on floor_pred (run_id, row_id, pred_key)',
];

/**
 * What any import of this schema pays at least: the import's own tuples, from its own encoders,
 * by COPY into bare copies of `data_rows`, `annotations` and `predictions` (no index, no
 * constraint, no check), then the same six indexes built in bulk afterwards, as a per-dataset
 * partition load would build them. Separates the cost of the schema from the cost of the code.
 */
async function floorCopy(
  database: Database,
  labelsPath: string,
  probsPath: string,
): Promise<{ copyS: number; indexS: number }> {
  const source = await openNpySource({ probs: probsPath, labels: labelsPath });
  const rows = source.rows ?? 0;
  const labeled = new Uint8Array(rows);
  for await (const b of source.batches())
    for (let i = 0; i < b.n; i++) labeled[b.start + i] = b.labels[i] >= 0 ? 1 : 0;
  let copyS = 0;
  let indexS = 0;
  try {
    await withBulkTransaction(database, async (tx) => {
      for (const [bare, like] of [
        ['floor_rows', 'data_rows'],
        ['floor_ann', 'annotations'],
        ['floor_pred', 'predictions'],
      ])
        await tx.query(`create table ${bare} (like ${like} including defaults)`);
      const ids = { base: 1, firstId: 1 };
      copyS = await timed(async () => {
        await tx.copyIn(
          'floor_rows (id, dataset_id, external_id, labeled)',
          encodeIndexRows(labeled, { datasetId: 1, base: 1 }),
        );
        await tx.copyIn('floor_ann (id, row_id, ann_key, label)', encodeLabels(source.batches(), ids));
        await tx.copyIn(
          'floor_pred (id, run_id, row_id, pred_key, label, score, probs)',
          encodePredictions(source.batches(), source.k, { runId: 1, ...ids }),
        );
      });
      indexS = await timed(async () => {
        for (const statement of FLOOR_INDEXES) await tx.query(statement);
      });
    });
  } finally {
    await source.close();
    await withBulkTransaction(database, (tx) =>
      tx.query('drop table if exists floor_rows, floor_ann, floor_pred'),
    );
  }
  return { copyS, indexS };
}

function depsFor(database: Database): Deps {
  return {
    db: database.db,
    database,
    config: loadConfig({ LOUPE_DEMO: '0' }),
    logger: createLogger({ level: 'silent' }),
    clock: { now: () => new Date() },
    objectCache: createObjectCache(),
  };
}

async function timeAnalyze(deps: Deps, run: string): Promise<string> {
  const started = performance.now();
  try {
    const rows = (await deps.database.sql!`select id from model_runs where name = ${run}`) as unknown as {
      id: number;
    }[];
    await analyzeRun(deps, rows[0].id);
    return `${((performance.now() - started) / 1000).toFixed(1)} s`;
  } catch (err) {
    return `not measured (${(err as Error).message})`;
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

/** The middle value (the lower middle one of an even count). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString('en')} rows/s`;

export async function main(): Promise<void> {
  const rows = arg('rows', 1_000_000);
  const embRows = arg('emb-rows', rows);
  const dim = arg('dim', 128);
  const withPglite = !process.argv.includes('--no-pglite');
  const repeat = arg('repeat', 3);
  const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-ingest-'));
  const baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const dbName = `loupe_bench_${randomBytes(5).toString('hex')}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  try {
    const t = performance.now();
    const files = makeInputs(dir, rows, embRows, dim);
    console.log(
      `data: ${rows.toLocaleString('en')} rows × ${K} classes (float32), ${embRows.toLocaleString('en')} × ${dim} float32 embeddings; generated in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    await admin.unsafe(`create database ${dbName}`);
    // An interrupted run still drops its database.
    const onSignal = () => {
      rmSync(dir, { recursive: true, force: true });
      const names = [dbName, ...Array.from({ length: repeat }, (_, i) => `${dbName}_${i}`)];
      void Promise.allSettled(
        names.map((name) => admin.unsafe(`drop database if exists ${name} with (force)`)),
      ).finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const url = new URL(baseUrl);
    url.pathname = `/${dbName}`;
    const pg = await createDb({ url: url.toString(), max: 4 });
    try {
      const importRows = (db: Database) =>
        timed(() =>
          ingestClassification(depsFor(db), {
            run: 'bench',
            labels: files.labels,
            probs: files.probs,
            analyze: false,
          }),
        );
      const mb = (embRows * dim * 4) / 1e6;
      const importVectors = (db: Database) =>
        timed(() => ingestEmbeddings(depsFor(db), { run: 'bench', path: files.emb, analyze: false }));

      const rawS = await rawCopy(pg, files.labels, files.probs);
      console.log(`postgres raw COPY (baseline): ${rawS.toFixed(2)} s, ${rate(rows, rawS)}`);
      // The import and the floor, in turn, each after a checkpoint and each import into a new
      // database: measured once, the ratio moved from 0.60 to 0.86 between two runs on an idle
      // machine, as the WAL of one phase was written out during the next.
      const attempts: { ingS: number; copyS: number; indexS: number }[] = [];
      for (let i = 0; i < repeat; i++) {
        const name = `${dbName}_${i}`;
        await admin.unsafe(`create database ${name}`);
        const at = new URL(baseUrl);
        at.pathname = `/${name}`;
        const fresh = await createDb({ url: at.toString(), max: 4 });
        try {
          await admin.unsafe('checkpoint');
          const ingS = await importRows(fresh);
          await admin.unsafe('checkpoint');
          attempts.push({ ingS, ...(await floorCopy(fresh, files.labels, files.probs)) });
        } finally {
          await fresh.close();
          await admin.unsafe(`drop database if exists ${name} with (force)`);
        }
      }
      const ingS = median(attempts.map((a) => a.ingS));
      const copyS = median(attempts.map((a) => a.copyS));
      const indexS = median(attempts.map((a) => a.indexS));
      const floorS = median(attempts.map((a) => a.copyS + a.indexS));
      const each = (f: (a: (typeof attempts)[number]) => number) =>
        attempts.length > 1 ? ` (median of ${attempts.map((a) => f(a).toFixed(2)).join(' / ')})` : '';
      console.log(
        `postgres ingestClassification: ${ingS.toFixed(2)} s${each((a) => a.ingS)}, ${rate(rows, ingS)}, ${(rawS / ingS).toFixed(2)}× raw COPY`,
      );
      console.log(
        `postgres floor of the schema: the import's tuples by COPY into bare copies of its three tables ${copyS.toFixed(2)} s (${(rawS / copyS).toFixed(2)}× raw COPY), then their six indexes built in bulk ${indexS.toFixed(2)} s (together ${floorS.toFixed(2)} s${each((a) => a.copyS + a.indexS)}, ${(rawS / floorS).toFixed(2)}× raw COPY, ${rate(rows, floorS)})`,
      );
      console.log(
        `postgres import against that floor: ${(floorS / ingS).toFixed(2)}× the floor's speed, medians (target ≥ 0.8×): ${floorS / ingS >= 0.8 ? 'met' : 'MISSED'}`,
      );
      // The run the re-import and the embeddings go to.
      await importRows(pg);
      console.log(
        `postgres re-import of the same files, nothing changed since (answered from their digest): ${(await importRows(pg)).toFixed(2)} s`,
      );
      // Another dataset's import moves the tables' marks: the same files are then checked row by row.
      const other = {
        labels: join(dir, 'other-labels.npy'),
        probs: join(dir, 'other-probs.npy'),
      };
      writeFileSync(other.labels, encodeNpy(new Int32Array([0, 1]), [2]));
      writeFileSync(other.probs, encodeNpy(new Float32Array(2 * K).fill(1 / K), [2, K]));
      await ingestClassification(depsFor(pg), { run: 'bench-other', ...other, analyze: false });
      console.log(
        `postgres re-import of the same files after another import (checked against the tables, no-op): ${(await importRows(pg)).toFixed(2)} s`,
      );
      const embS = await importVectors(pg);
      console.log(
        `postgres ingestEmbeddings: ${mb.toFixed(0)} MB in ${embS.toFixed(2)} s, ${(mb / embS).toFixed(0)} MB/s (target ≥ 100)`,
      );
      console.log(
        `peak RSS after the Postgres imports: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
      );

      if (withPglite) {
        const lite = await createDb({ dataDir: join(dir, 'pglite') });
        try {
          const liteRawS = await rawCopy(lite, files.labels, files.probs);
          const liteS = await importRows(lite);
          console.log(`pglite raw COPY (baseline): ${liteRawS.toFixed(2)} s, ${rate(rows, liteRawS)}`);
          console.log(
            `pglite ingestClassification: ${liteS.toFixed(2)} s, ${rate(rows, liteS)} (target ≥ 80,000), ${(liteRawS / liteS).toFixed(2)}× raw COPY`,
          );
          const liteEmbS = await importVectors(lite);
          console.log(
            `pglite ingestEmbeddings: ${mb.toFixed(0)} MB in ${liteEmbS.toFixed(2)} s, ${(mb / liteEmbS).toFixed(0)} MB/s`,
          );
        } finally {
          await lite.close();
        }
      }
      console.log(
        `peak RSS of the imports: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (target ≤ 1536)`,
      );
      // analyzeRun is another module's work: timed last, on its own, and skippable.
      if (!process.argv.includes('--no-analyze'))
        console.log(
          `analyzeRun on the Postgres run, with findings and the embeddings' kNN graph (separate): ${await timeAnalyze(depsFor(pg), 'bench')}`,
        );
    } finally {
      await pg.close();
    }
  } finally {
    await admin.unsafe(`drop database if exists ${dbName} with (force)`).catch(() => {});
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
