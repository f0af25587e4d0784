import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDriver, testDatabaseUrl } from '../helpers/db.ts';
import { scratch } from '../ingest/fixtures.ts';

const BIN = resolve(import.meta.dirname, '../../bin/loupe.mjs');
const files = scratch();
afterAll(files.cleanup);

/** The environment of a user's shell: none of the test runner's database or Slack settings. */
function env(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|LOUPE_|SLACK_|PORT$|HOST$)/.test(k)),
  );
  return { ...clean, LOUPE_DEMO: '0', ...extra };
}

/** stderr is a pipe here, so work that takes a while prints progress lines; the test reads the rest. */
const withoutProgress = (err: string) =>
  err.replace(
    /^loupe: (importing|uploading|reading rows|writing rows|vector index|analysis|neighbour pass).*\n/gm,
    '',
  );

/** Run `loupe …` as its own process; resolves with what it printed and its exit code. */
function loupe(args: string[], extra: Record<string, string | undefined>) {
  return new Promise<{ code: number; out: string; err: string }>((done) => {
    execFile(process.execPath, [BIN, ...args], { env: env(extra), timeout: 90_000 }, (error, out, err) =>
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err: withoutProgress(err) }),
    );
  });
}

describeEachDriver('loupe ingest and read commands while loupe serve runs', (ctx) => {
  const data = join(files.dir, 'data');
  let extra: Record<string, string | undefined> = {};
  let server: ChildProcess;
  let base = '';
  let serverLog = '';

  beforeAll(async () => {
    const url = testDatabaseUrl(ctx().database);
    extra = { LOUPE_DATA: ctx().driver === 'pglite' ? data : join(files.dir, 'unused'), DATABASE_URL: url };
    server = spawn(process.execPath, [BIN, 'serve'], {
      env: env({ ...extra, PORT: '0', HOST: '127.0.0.1' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    base = await new Promise<string>((ready, fail) => {
      server.stderr!.on('data', (chunk: Buffer) => {
        serverLog += chunk.toString();
        const m = /Loupe board on (http:\/\/[^/\s]+)\//.exec(serverLog);
        if (m) ready(m[1]);
      });
      server.once('exit', (code) => fail(new Error(`serve exited with ${code}:\n${serverLog}`)));
    });
  }, 120_000);

  afterAll(async () => {
    if (server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    // A clean stop gives the data folder back.
    expect(existsSync(join(data, 'loupe.lock'))).toBe(false);
  }, 60_000);

  it('imports a run while serving: the CLI prints its result and the server lists the run', async () => {
    const table = files.write('serving.csv', 'id,label,p_0,p_1\na,0,0.9,0.1\nb,1,0.3,0.7\nc,,0.6,0.4\n');
    const r = await loupe(
      ['ingest', 'classification', '--table', table, '--run', 'while-serving', '--json'],
      extra,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      run: 'while-serving',
      dataset: 'while-serving',
      rows: 3,
      annotations: 2,
      predictions: 3,
      embeddings: 0,
      unchanged: false,
    });
    const api = (await (await fetch(`${base}/api/runs`)).json()) as { runs: { name: string }[] };
    expect(api.runs.map((x) => x.name)).toContain('while-serving');

    const runs = await loupe(['runs', '--json'], extra);
    expect(runs.code).toBe(0);
    const listed = JSON.parse(runs.out) as { runs: { name: string; rows: number }[] };
    expect(listed.runs.find((x) => x.name === 'while-serving')?.rows).toBe(3);

    // The server answered once the import committed; the CLI followed the analysis job to its end.
    const metrics = await loupe(['metrics', '--run', 'while-serving', '--json'], extra);
    expect(metrics.code).toBe(0);
    expect(JSON.parse(metrics.out)).toMatchObject({ kind: 'classification' });
  }, 240_000);

  it('with --no-wait, answers with the analysis job, which the server runs to its end', async () => {
    const table = files.write('queued.csv', 'id,label,p_0,p_1\na,0,0.8,0.2\nb,1,0.1,0.9\n');
    const r = await loupe(
      ['ingest', 'classification', '--table', table, '--run', 'queued-while-serving', '--no-wait', '--json'],
      extra,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const answer = JSON.parse(r.out) as { run: string; rows: number; job: number };
    expect(answer).toMatchObject({ run: 'queued-while-serving', rows: 2, job: expect.any(Number) });
    // Wait on the analysis job (the run has no embeddings: no index job), as `loupe jobs` lists it.
    let jobs: { id: number; kind: string; run: string; state: string }[] = [];
    for (;;) {
      const listed = await loupe(['jobs', '--json'], extra);
      jobs = (JSON.parse(listed.out) as { jobs: typeof jobs }).jobs.filter(
        (j) => j.run === 'queued-while-serving' && j.kind !== 'projection',
      );
      if (jobs.length > 0 && jobs.every((j) => j.state === 'done' || j.state === 'failed')) break;
    }
    expect(jobs.map((j) => [j.kind, j.state])).toEqual([['analyze', 'done']]);
    expect(jobs[0].id).toBe(answer.job);
    const metrics = await loupe(['metrics', '--run', 'queued-while-serving', '--json'], extra);
    expect(JSON.parse(metrics.out)).toMatchObject({ kind: 'classification' });
  }, 240_000);

  it('keeps the local errors and exit codes: an input error and an unknown run', async () => {
    const bad = files.write('pred_probs.csv', 'id,label,p_0,p_1\na,0,0.9,0.3\n');
    const r = await loupe(['ingest', 'classification', '--table', bad, '--run', 'bad-while-serving'], extra);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^loupe ingest: pred_probs\.csv: line 2: .*\n$/);

    const missing = await loupe(['mislabels', '--run', 'no-such-run'], extra);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^loupe: no run named "no-such-run"/);
  }, 240_000);
});
