/**
 * The kNN pass of a large run split into chunk jobs, run by one `loupe worker` process, then by
 * two, on one Postgres database (DATABASE_URL; skipped without it). Each worker process runs one
 * job at a time with one usearch thread (LOUPE_VECTOR_THREADS=1): a worker is one core's worth of
 * work, as it would be on a machine of its own, so the ratio says how the pass scales with workers.
 * Target: two workers ≤ 0.65× one worker's time on this 2-core machine.
 *
 * The run (N rows × 10 classes, dim-d clustered embeddings) is imported, indexed and analysed once
 * (the index saved in a data folder every worker loads); then each configuration runs a fresh pass.
 * Reported: the search (from enqueue to the last chunk done), and the whole pass with its fold
 * (joining the parts and recomputing the findings, one process).
 *
 *   npx tsx test/bench/knn.ts [rows=1000000] [dim=128] [chunkRows=50000]
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { createDb } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { loadConfig } from '../../src/config.ts';
import { type Deps, createLogger } from '../../src/deps.ts';
import { ingestClassification } from '../../src/ingest/index.ts';
import { encodeNpy } from '../../src/ingest/npy.ts';
import { knnPassJob } from '../../src/jobs/knn-pass.ts';
import { pipelineHandlers } from '../../src/jobs/pipeline.ts';
import { createJobRunner } from '../../src/jobs/runner.ts';
import { createRandom } from '../../src/random.ts';
import { enqueueJobs } from '../../src/store/jobs.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';
import { createVectorService } from '../../src/vectors/service.ts';
import { startLoupe, until } from '../jobs/processes.ts';

const TARGET = 0.65;

function writeRun(dir: string, rows: number, dim: number, classes = 10) {
  const random = createRandom(3);
  const centres = Array.from({ length: 200 }, () => Float32Array.from({ length: dim }, () => random() - 0.5));
  const labels = new Int32Array(rows);
  const probs = new Float32Array(rows * classes);
  const vectors = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const centre = random.int(centres.length);
    const c = centre % classes;
    labels[r] = random() < 0.03 ? random.int(classes) : c;
    let total = 0;
    for (let k = 0; k < classes; k++) {
      const p = (k === c ? 2 * random() : 0) + random();
      probs[r * classes + k] = p;
      total += p;
    }
    for (let k = 0; k < classes; k++) probs[r * classes + k] /= total;
    for (let d = 0; d < dim; d++) vectors[r * dim + d] = centres[centre][d] + 0.2 * (random() - 0.5);
  }
  const file = (name: string, bytes: Buffer) => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  };
  return {
    labels: file('labels.npy', encodeNpy(labels, [rows])),
    probs: file('probs.npy', encodeNpy(probs, [rows, classes])),
    embeddings: file('embeddings.npy', encodeNpy(vectors, [rows, dim])),
  };
}

export async function main(
  rows = Number(process.argv[2] ?? 1_000_000),
  dim = Number(process.argv[3] ?? 128),
  chunkRows = Number(process.argv[4] ?? 50_000),
) {
  const base = process.env.DATABASE_URL;
  if (!base) {
    console.log('kNN pass across worker processes: skipped (needs Postgres: set DATABASE_URL)');
    return;
  }
  const name = `loupe_bench_knn_${process.pid}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-knn-'));
  const dataDir = join(dir, 'data');
  const database = await createDb({ url: url.toString() });
  const env = {
    DATABASE_URL: url.toString(),
    LOUPE_DATA: dataDir,
    LOUPE_KNN_CHUNK_ROWS: String(chunkRows),
    LOUPE_VECTOR_THREADS: '1',
    LOUPE_JOB_LEASE_SECONDS: '120',
  };
  const config = loadConfig({ LOUPE_DEMO: '0', ...env });
  const logger = createLogger({ level: 'warn' });
  const vectors = createVectorService({ dataDir, logger, threads: 2 });
  const deps: Deps = {
    db: database.db,
    database,
    config,
    logger,
    clock: { now: () => new Date() },
    vectors,
    objectCache: createObjectCache(),
  };
  try {
    let t = performance.now();
    const files = writeRun(dir, rows, dim);
    await ingestClassification(deps, { run: 'big', ...files, wait: false });
    console.log(
      `imported ${rows.toLocaleString('en')} rows × ${dim}-d on Postgres in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    // The analysis and the index here (the analysis defers the neighbours to a split pass).
    t = performance.now();
    const { index, analyze } = pipelineHandlers(deps);
    await createJobRunner(deps, { handlers: { index, analyze } }).drain();
    await rawRows(database.db, sql`delete from jobs where state = 'queued'`);
    const [{ id: runId }] = await rawRows<{ id: number }>(database.db, sql`select id from model_runs`);
    // A split run's index is built by its pass (pipeline.ts): build it here, so each timed pass
    // only loads it and the figures compare the search itself.
    await vectors.ensureIndex(database.db, runId);
    console.log(`index built and run analysed in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const results: { workers: number; searchS: number; totalS: number }[] = [];
    for (const workers of [1, 2]) {
      const procs = Array.from({ length: workers }, () => startLoupe(['worker'], env));
      try {
        await Promise.all(procs.map((p) => until(async () => p.stderr().includes('Loupe worker running'))));
        const load = loadavg()[0];
        const [pass] = await enqueueJobs(database, [{ ...knnPassJob(runId), dedupeKey: null }]);
        const started = performance.now();
        const done = await until(async () => {
          const [j] = await rawRows<{ state: string; error: string | null }>(
            database.db,
            sql`select state, error from jobs where id = ${pass}`,
          );
          return j.state === 'done' || j.state === 'failed' ? j : undefined;
        }, 3_600_000);
        const totalS = (performance.now() - started) / 1000;
        if (done.state !== 'done') throw new Error(`kNN pass failed: ${done.error}`);
        const [times] = await rawRows<{ search: number; chunks: number }>(
          database.db,
          sql`select extract(epoch from max(c.finished_at) - p.created_at)::float8 as search, count(*)::int as chunks
                from jobs c join jobs p on p.id = c.parent_id where p.id = ${pass} group by p.created_at`,
        );
        results.push({ workers, searchS: Number(times.search), totalS });
        console.log(
          `${workers} worker${workers > 1 ? 's' : ' '} (1 search thread each): ${times.chunks} chunks searched in ${Number(times.search).toFixed(1)} s, ` +
            `pass with its fold ${totalS.toFixed(1)} s (load average ${load.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end)`,
        );
        const chunks = await rawRows<{ part: number; from: number; to: number }>(
          database.db,
          sql`select (c.payload->>'part')::int as part,
                     extract(epoch from c.started_at - p.created_at)::float8 as from,
                     extract(epoch from c.finished_at - p.created_at)::float8 as to
                from jobs c join jobs p on p.id = c.parent_id where p.id = ${pass} order by 1`,
        );
        console.log(
          `  chunks (s after enqueue, last attempt): ${chunks.map((c) => `${c.part}: ${Number(c.from).toFixed(1)}–${Number(c.to).toFixed(1)}`).join(', ')}`,
        );
        for (const [i, p] of procs.entries())
          for (const line of p.stderr().split('\n'))
            if (/vector index (built|loaded|copied)/.test(line)) console.log(`  worker ${i + 1}: ${line}`);
      } finally {
        for (const p of procs) p.child.kill('SIGTERM');
        await Promise.all(procs.map((p) => p.done));
      }
    }
    const [one, two] = results;
    const ratio = two.searchS / one.searchS;
    console.log(
      `kNN pass of ${rows.toLocaleString('en')} × ${dim}: two workers / one worker = ${ratio.toFixed(2)} ` +
        `(search; target ≤ ${TARGET}: ${ratio <= TARGET ? 'yes' : 'NO'}), ${(two.totalS / one.totalS).toFixed(2)} with the fold`,
    );
    console.log(`uptime: ${execSync('uptime').toString().trim()}`);
  } finally {
    await vectors.close();
    await database.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
