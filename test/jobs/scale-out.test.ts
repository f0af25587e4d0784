import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { projectionJob } from '../../src/jobs/pipeline.ts';
import { enqueueJobs, listJobs } from '../../src/store/jobs.ts';
import { openTestDb, testDatabaseUrl } from '../helpers/db.ts';
import { classificationFiles, loupe, servedPort, startLoupe, until } from './processes.ts';

type Started = ReturnType<typeof startLoupe>;

// Several machines on one Postgres: two `serve` and one `worker` process, each with its own disk.
describe.runIf(process.env.DATABASE_URL)('scale-out on Postgres', () => {
  let dir: string;
  let database: Database;
  let env: Record<string, string | undefined>;
  const running: Started[] = [];
  const start = (args: string[], name: string, extra: Record<string, string> = {}) => {
    const p = startLoupe(args, { ...env, LOUPE_DATA: join(dir, name), ...extra });
    running.push(p);
    return p;
  };
  const stop = async (p: Started) => {
    p.child.kill('SIGTERM');
    await p.done;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-scale-'));
    database = await openTestDb('postgres');
    env = { DATABASE_URL: testDatabaseUrl(database), PORT: '0', LOUPE_JOB_LEASE_SECONDS: '2' };
  });
  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) await stop(p);
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs each job of an ingest once, builds the index once for every instance, and finishes the job of a killed worker', async () => {
    const a = start(['serve'], 'a');
    const b = start(['serve'], 'b');
    const w = start(['worker'], 'w');
    const [portA, portB] = await Promise.all([servedPort(a.stderr), servedPort(b.stderr)]);
    await until(async () => w.stderr().includes('Loupe worker running'));

    const files = classificationFiles((name, data) => {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    });
    const ingest = await loupe(
      ['ingest', 'classification', '--run', 'wide', '--probs', files.probs, '--labels', files.labels],
      { ...env, LOUPE_DATA: join(dir, 'cli') },
    );
    expect(ingest.code, ingest.err).toBe(0);
    const emb = await loupe(['ingest', 'embeddings', '--run', 'wide', '--path', files.embeddings], {
      ...env,
      LOUPE_DATA: join(dir, 'cli'),
    });
    expect(emb.code, emb.err).toBe(0);
    // The ingests ran their analysis jobs (the embeddings' with the index first); a serve or the
    // worker takes the projection.
    const jobs = await until(async () => {
      const all = await listJobs(database);
      return all.length === 4 && all.every((j) => j.state === 'done') && all;
    }, 180_000);
    expect(jobs.map((j) => [j.kind, j.attempts])).toEqual([
      ['analyze', 1],
      ['index', 1],
      ['analyze', 1],
      ['projection', 1],
    ]);
    const projectionId = jobs[3].id;
    const startedIn = [a, b, w].map(
      (p) =>
        p
          .stderr()
          .split('\n')
          .filter((l) => l.includes('job started') && l.includes(`"job":${projectionId},`)).length,
    );
    expect(startedIn.reduce((x, y) => x + y)).toBe(1);

    // The index was built once and stored; the other instances copy it, never build it.
    const [stored] = await rawRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from vector_indexes`,
    );
    expect(stored.n).toBe(1);
    const [row] = await rawRows<{ id: number }>(database.db, sql`select min(id)::int as id from data_rows`);
    const answers = await Promise.all(
      [portA, portB].map(async (port) => {
        const res = await fetch(`http://127.0.0.1:${port}/api/rows/${row.id}/similar?run=wide&limit=5`);
        expect(res.status).toBe(200);
        return ((await res.json()) as { items: { id: string }[] }).items.map((i) => i.id);
      }),
    );
    expect(answers[0]).toHaveLength(5);
    expect(answers[1]).toEqual(answers[0]);
    // Whoever took the index job (the ingest itself, quiet, or a serve or the worker) built it; no
    // other process did.
    const built = [a.stderr(), b.stderr(), w.stderr(), ingest.err, emb.err]
      .map((log) => log.split('\n').filter((l) => l.includes('vector index built')).length)
      .reduce((x, y) => x + y);
    expect(built).toBeLessThanOrEqual(1);
    // Each serve answered from that one index: the serve that took the index job, if one did (its
    // poll can claim the job before the ingest's own drain does), from its build; any other from
    // the database's copy.
    for (const p of [a, b]) {
      const log = p.stderr();
      expect(
        log.includes('vector index built') || log.includes('vector index copied from the database'),
        log,
      ).toBe(true);
    }

    // A worker killed in the middle of a job: after its lease, a new worker completes it.
    await Promise.all([stop(a), stop(b), stop(w)]);
    const doomed = start(['worker'], 'w2', { LOUPE_CRASH_AT: 'projection@0.1' });
    const [again] = await enqueueJobs(database, [projectionJob(await runIdOf('wide'))]);
    const killed = await doomed.done;
    expect(killed.signal).toBe('SIGKILL');
    expect((await listJobs(database)).find((j) => j.id === again)).toMatchObject({
      state: 'running',
      attempts: 1,
    });
    const rescuer = start(['worker'], 'w3');
    const finished = await until(async () => {
      const job = (await listJobs(database)).find((j) => j.id === again);
      return job?.state === 'done' && job;
    }, 180_000);
    expect(finished).toMatchObject({
      kind: 'projection',
      run: 'wide',
      attempts: 2,
      progress: 1,
      error: null,
    });
    await stop(rescuer);
  }, 600_000);

  async function runIdOf(name: string): Promise<number> {
    const [r] = await rawRows<{ id: number }>(
      database.db,
      sql`select id from model_runs where name = ${name}`,
    );
    return Number(r.id);
  }
});
