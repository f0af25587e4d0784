// Job queue benchmark: the overhead the queue adds to each job (enqueue, claim with SKIP LOCKED,
// complete), measured with handlers that do nothing, on embedded PGlite (a data folder) and on
// Postgres when DATABASE_URL is set. Target: ≤ 5 ms per job.
//   npx tsx test/bench/jobs.ts            # 2000 jobs
//   npx tsx test/bench/jobs.ts --jobs 500
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Database, createDb } from '../../db/index.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/deps.ts';
import { createJobRunner } from '../../src/jobs/runner.ts';
import { enqueueJobs } from '../../src/store/jobs.ts';
import postgres from 'postgres';
import { createObjectCache } from '../../src/store/object-cache.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

async function measure(label: string, database: Database, jobs: number): Promise<void> {
  const deps = {
    db: database.db,
    database,
    config: loadConfig({ LOUPE_DEMO: '0' }),
    logger: createLogger({ level: 'silent' }),
    clock: { now: () => new Date() },
    objectCache: createObjectCache(),
  };
  let t = performance.now();
  await enqueueJobs(
    database,
    Array.from({ length: jobs }, (_, i) => ({ kind: 'noop', payload: { i }, dedupeKey: `noop:${i}` })),
  );
  const enqueueMs = (performance.now() - t) / jobs;
  let ran = 0;
  const runner = createJobRunner(deps, {
    handlers: {
      async noop() {
        ran++;
        return [];
      },
    },
  });
  t = performance.now();
  await runner.drain();
  const runMs = (performance.now() - t) / jobs;
  if (ran !== jobs) throw new Error(`ran ${ran} of ${jobs} jobs`);
  console.log(
    `${label}: ${jobs} no-op jobs — enqueue ${enqueueMs.toFixed(2)} ms/job, claim + run + complete ${runMs.toFixed(2)} ms/job, ` +
      `queue overhead ${(enqueueMs + runMs).toFixed(2)} ms/job (target ≤ 5)`,
  );
}

async function main() {
  const jobs = arg('jobs', 2000);
  const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-jobs-'));
  const pglite = await createDb({ dataDir: dir });
  try {
    await measure('PGlite (data folder)', pglite, jobs);
  } finally {
    await pglite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const base = process.env.DATABASE_URL;
  if (base) {
    const name = `loupe_bench_jobs_${process.pid}`;
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(base);
    url.pathname = `/${name}`;
    const pg = await createDb({ url: url.toString() });
    try {
      await measure('Postgres', pg, jobs);
    } finally {
      await pg.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  } else console.log('Postgres: skipped (set DATABASE_URL)');
}

await main();
