import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/index.ts';
import { DEMO_RUNS } from '../../src/demo/load.ts';
import type { JobRow } from '../../src/store/jobs.ts';
import { drivers, openTestDb, testDatabaseUrl } from '../helpers/db.ts';
import { classificationFiles, loupe, servedPort, startLoupe, until } from './processes.ts';

// SIGKILL between an import's commit and the end of its analysis, in the CLI and in the server:
// the next start runs the analysis job again and the run ends analysed.
for (const driver of drivers) {
  describe(`crash recovery [${driver}]`, () => {
    let dir: string;
    let database: Database | undefined;
    // The demo loads into an empty database: the server test has one of its own.
    let demoDatabase: Database | undefined;
    let env: Record<string, string | undefined>;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'loupe-crash-'));
      if (driver === 'postgres') {
        database = await openTestDb('postgres');
        demoDatabase = await openTestDb('postgres');
      }
      env = {
        LOUPE_DATA: join(dir, 'data'),
        DATABASE_URL: database ? testDatabaseUrl(database) : undefined,
        // A crashed worker's lease runs out quickly on Postgres (the embedded database needs none).
        LOUPE_JOB_LEASE_SECONDS: '1',
      };
    });
    afterAll(async () => {
      await database?.close();
      await demoDatabase?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const jobs = async () => {
      const r = await loupe(['jobs', '--json'], env);
      expect(r.code, r.err).toBe(0);
      return (JSON.parse(r.out) as { jobs: JobRow[] }).jobs;
    };

    it('CLI: an ingest killed during its analysis leaves the job; the next worker finishes it', async () => {
      const files = classificationFiles((name, data) => {
        const p = join(dir, name);
        writeFileSync(p, data);
        return p;
      });
      const killed = await loupe(
        ['ingest', 'classification', '--run', 'crashy', '--probs', files.probs, '--labels', files.labels],
        { ...env, LOUPE_CRASH_AT: 'analyze' },
      );
      expect(killed.signal).toBe('SIGKILL');
      // No embeddings yet: the pipeline starts with the analysis, no index job.
      expect(await jobs()).toEqual([
        expect.objectContaining({ kind: 'analyze', run: 'crashy', state: 'running', attempts: 1 }),
      ]);
      await new Promise((r) => setTimeout(r, 1100));
      const worker = await loupe(['worker', '--once'], env);
      expect(worker.code, worker.err).toBe(0);
      expect(worker.out).toBe('Ran 1 job(s), 0 failed.\n');
      expect(await jobs()).toEqual([
        {
          id: expect.any(Number),
          kind: 'analyze',
          run: 'crashy',
          state: 'done',
          progress: 1,
          attempts: 2,
          error: null,
        },
      ]);
      const after = await loupe(['runs', '--json'], env);
      expect(JSON.parse(after.out).runs[0]).toMatchObject({
        name: 'crashy',
        headline: { metric: 'accuracy' },
      });

      // With embeddings the projection follows the analysis; `ingest` leaves it to the workers.
      const emb = await loupe(['ingest', 'embeddings', '--run', 'crashy', '--path', files.embeddings], env);
      expect(emb.code, emb.err).toBe(0);
      expect((await jobs()).slice(-3)).toEqual([
        expect.objectContaining({ kind: 'index', state: 'done', attempts: 1 }),
        expect.objectContaining({ kind: 'analyze', state: 'done', attempts: 1 }),
        {
          id: expect.any(Number),
          kind: 'projection',
          run: 'crashy',
          state: 'queued',
          progress: 0,
          attempts: 0,
          error: null,
        },
      ]);
      const projected = await loupe(['worker', '--once'], env);
      expect(projected.out).toBe('Ran 1 job(s), 0 failed.\n');
      expect((await jobs()).at(-1)).toMatchObject({ kind: 'projection', state: 'done', progress: 1 });
    }, 300_000);

    it('server: killed while analysing the demo it just loaded; the next start completes it', async () => {
      const serveEnv = {
        ...env,
        LOUPE_DEMO: '1',
        PORT: '0',
        LOUPE_DATA: join(dir, 'demo'),
        DATABASE_URL: demoDatabase ? testDatabaseUrl(demoDatabase) : undefined,
      };
      const first = await startLoupe(['serve'], { ...serveEnv, LOUPE_CRASH_AT: 'analyze' }).done;
      expect(first.signal, first.err).toBe('SIGKILL');

      const second = startLoupe(['serve'], serveEnv);
      try {
        const port = await servedPort(second.stderr);
        const runs = await until(async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/runs`);
          const body = (await res.json()) as { runs: { name: string; headline: unknown }[] };
          return body.runs.length === DEMO_RUNS.length && body.runs.every((r) => r.headline) && body.runs;
        }, 120_000);
        expect(runs.map((r) => r.name).sort()).toEqual([...DEMO_RUNS].sort());
      } finally {
        second.child.kill('SIGTERM');
        await second.done;
      }
      const demoJobs = await (async () => {
        const r = await loupe(['jobs', '--json'], serveEnv);
        return (JSON.parse(r.out) as { jobs: JobRow[] }).jobs;
      })();
      const analyses = demoJobs.filter((j) => j.kind === 'analyze');
      expect(analyses.map((j) => j.state)).toEqual(['done', 'done', 'done']);
      // The one cut short ran a second time; the others once. (The embedded database may lose a
      // claim written just before the kill: then that job simply shows its one finished attempt.)
      expect(analyses.map((j) => j.attempts).sort()).toEqual(
        driver === 'postgres' ? [1, 1, 2] : expect.any(Array),
      );
    }, 240_000);
  });
}
