import { mkdirSync, mkdtempSync, openAsBlob, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokens } from '../../db/schema.ts';
import { createServerApp, listen } from '../../bin/server.ts';
import { type CliContext, serverCliContext } from '../../src/cli/context.ts';
import type { Deps } from '../../src/deps.ts';
import { createProgram, runProgram } from '../../src/cli/program.ts';
import { loadConfig } from '../../src/config.ts';
import { pipelineHandlers } from '../../src/jobs/pipeline.ts';
import { type JobRunner, createJobRunner } from '../../src/jobs/runner.ts';
import { listJobs } from '../../src/store/jobs.ts';
import { createApiToken, revokeApiToken } from '../../src/store/tokens.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { scratch, snapshot } from '../ingest/fixtures.ts';

const files = scratch();
// Uploads land in the server's temp folder; a private one shows that nothing is left behind.
const uploads = mkdtempSync(join(tmpdir(), 'loupe-uploads-'));
const savedTmp = process.env.TMPDIR;
afterAll(() => {
  process.env.TMPDIR = savedTmp;
  files.cleanup();
  rmSync(uploads, { recursive: true, force: true });
});

const table = files.write('train.csv', 'id,label,p_0,p_1\na,0,0.9,0.1\nb,1,0.2,0.8\nc,,0.5,0.5\n');
// Over the 0.01 MB limit below, and valid, so only the size refuses it.
const big = files.write(
  'big.csv',
  `id,label,p_0,p_1\n${Array.from({ length: 2000 }, (_, i) => `row-${i},0,0.75,0.25`).join('\n')}\n`,
);

const leftovers = () => readdirSync(uploads).filter((f) => f.startsWith('loupe-upload-'));

/** `loupe …` as a client on another machine (it must never open a database itself), or here on `deps`. */
async function loupe(args: string[], here?: Deps) {
  const out: string[] = [];
  const err: string[] = [];
  let exitCode = 0;
  const io = {
    out: (s: string) => void out.push(s),
    err: (s: string) => void err.push(s),
    fail: (code: number) => {
      exitCode = code;
    },
    progress: 'off' as const,
  };
  const ctx: CliContext = here
    ? serverCliContext(here, io)
    : {
        io,
        withDeps: () => Promise.reject(new Error('a --server ingest must not open a database')),
        localServer: () => null,
      };
  await runProgram(createProgram(ctx), args, io);
  return { out: out.join(''), err: err.join(''), exitCode };
}

describeEachDriver('HTTP ingest API and loupe ingest --server', (ctx) => {
  let url = '';
  let close = async () => {};
  let token = '';
  let runner: JobRunner;

  beforeAll(async () => {
    process.env.TMPDIR = uploads;
    mkdirSync(uploads, { recursive: true });
    const deps = testDeps(ctx().database, {
      config: loadConfig({ LOUPE_DEMO: '0', LOUPE_UPLOAD_LIMIT_MB: '0.01' }),
    });
    ({ token } = await createApiToken(deps.db, { name: 'training-cluster' }));
    // The server's worker: the ingest answers once the import committed, and the analysis runs here.
    runner = createJobRunner(deps, { handlers: pipelineHandlers(deps), pollMs: 100 });
    await runner.start();
    const server = await listen(createServerApp(deps, { onJobsQueued: () => runner.notify() }), {
      host: '127.0.0.1',
      port: 0,
    });
    url = `http://127.0.0.1:${server.port}`;
    close = server.close;
  });
  afterAll(async () => {
    await close();
    await runner.stop();
  });

  const post = (headers: Record<string, string>, path = table) => {
    const form = new FormData();
    form.append('run', 'refused');
    return import('node:fs').then(async ({ openAsBlob }) => {
      form.append('table', await openAsBlob(path), 'train.csv');
      return fetch(`${url}/api/ingest/classification`, { method: 'POST', headers, body: form });
    });
  };

  it('stores only the hash of a token, never the token', async () => {
    const rows = await ctx().database.db.select().from(apiTokens);
    expect(rows.map((r) => r.name)).toEqual(['training-cluster']);
    expect(rows[0].hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(token).toMatch(/^loupe_[\w-]{43}$/);
  });

  it('ingests with a valid token: same output as a local run, and the run is served', async () => {
    const r = await loupe([
      'ingest',
      'classification',
      '--table',
      table,
      '--run',
      'remote-1',
      '--server',
      url,
      '--token',
      token,
    ]);
    expect(r).toEqual({
      out: 'Imported run "remote-1" into dataset "remote-1": 3 rows, 2 annotations, 3 predictions, 0 embeddings.\n',
      err: '',
      exitCode: 0,
    });
    const runs = (await (await fetch(`${url}/api/runs`)).json()) as {
      runs: { name: string; rows: number }[];
    };
    expect(runs.runs.find((x) => x.name === 'remote-1')?.rows).toBe(3);
    expect(leftovers()).toEqual([]);
    // The CLI returned once the server's analysis jobs were done, as a local ingest does.
    const jobs = (await listJobs(ctx().database)).filter((j) => j.run === 'remote-1');
    expect(jobs.map((j) => [j.kind, j.state])).toEqual([['analyze', 'done']]);
  });

  it('answers an input error with the message a local run prints, exit 1, nothing stored', async () => {
    const bad = files.write('bad.csv', 'id,label,p_0,p_1\na,0,0.9,0.3\n');
    const before = await snapshot(ctx().database.db);
    const r = await loupe([
      'ingest',
      'classification',
      '--table',
      bad,
      '--run',
      'remote-bad',
      '--server',
      url,
      '--token',
      token,
      '--json',
    ]);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^loupe ingest: bad\.csv: line 2: .*sum/);
    expect(r.exitCode).toBe(1);
    const local = await loupe(
      ['ingest', 'classification', '--table', bad, '--run', 'remote-bad', '--json'],
      testDeps(ctx().database),
    );
    expect(r).toEqual(local);
    expect(await snapshot(ctx().database.db)).toEqual(before);
  });

  describe('image folders named by a remote caller', () => {
    // LOUPE_MEDIA_ROOTS=<media>; the images sit in media/imgs, a folder beside it is not allowed.
    // One scratch folder per driver: the files object is shared by both.
    const where = mkdtempSync(join(files.dir, 'roots-'));
    const media = join(where, 'media');
    const outside = join(where, 'outside');
    const key = 'local-serve-key-0123456789abcdef';
    beforeAll(() => {
      for (const dir of [join(media, 'imgs'), outside]) {
        mkdirSync(dir, { recursive: true });
        for (const id of ['a', 'b']) writeFileSync(join(dir, `${id}.png`), 'png');
      }
      symlinkSync(outside, join(media, 'link-out'));
    });
    const app = (env: Record<string, string> = {}) =>
      createServerApp(
        testDeps(ctx().database, { config: loadConfig({ LOUPE_DEMO: '0', HOST: '127.0.0.1', ...env }) }),
        { localKey: key },
      );
    const send = async (
      web: ReturnType<typeof app>,
      run: string,
      { images, tableFile = table, bearer = token }: { images?: string; tableFile?: string; bearer?: string },
    ) => {
      const form = new FormData();
      form.append('run', run);
      form.append('analyze', 'false');
      if (images) form.append('images', images);
      form.append('table', await openAsBlob(tableFile), 'train.csv');
      const res = await web.request('/api/ingest/classification', {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}` },
        body: form,
      });
      return {
        status: res.status,
        body: (await res.json()) as { error?: string; media?: { images: number } },
      };
    };

    it('are refused by default, with the variable to set, storing nothing', async () => {
      const before = await snapshot(ctx().database.db);
      const r = await loupe([
        'ingest',
        'classification',
        '--table',
        table,
        '--images',
        join(media, 'imgs'),
        '--run',
        'remote-images',
        '--server',
        url,
        '--token',
        token,
      ]);
      expect(r.exitCode).toBe(1);
      expect(r.err).toMatch(
        /--images .*imgs: this server takes no image folders over its API; set LOUPE_MEDIA_ROOTS/,
      );
      expect(await snapshot(ctx().database.db)).toEqual(before);
    });

    it('are taken under LOUPE_MEDIA_ROOTS only, judged by real path, alike whether they exist or not', async () => {
      const web = app({ LOUPE_MEDIA_ROOTS: media });
      const ok = await send(web, 'remote-allowed', { images: join(media, 'imgs') });
      expect(ok.status).toBe(200);
      expect(ok.body.media?.images).toBe(2);

      const before = await snapshot(ctx().database.db);
      for (const images of [
        outside,
        join(media, 'link-out'),
        join(media, '..', 'outside'),
        join(where, 'no-such-folder'),
        '/etc',
      ]) {
        const r = await send(web, 'remote-refused', { images });
        expect(r.status, images).toBe(400);
        expect(r.body.error).toBe(
          `--images ${images}: not under a folder this server serves images from (LOUPE_MEDIA_ROOTS: ${media}); put the images under one of them, or add their folder to LOUPE_MEDIA_ROOTS on the server`,
        );
      }
      // An absolute path in the table's image column is a folder too.
      const column = files.write(
        'abs.csv',
        `id,label,p_0,p_1,image\na,0,0.9,0.1,${join(outside, 'a.png')}\n`,
      );
      const r = await send(web, 'remote-refused', { tableFile: column });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatch(
        /^image ".*outside\/a\.png": not under a folder this server serves images from/,
      );
      expect(await snapshot(ctx().database.db)).toEqual(before);
    });

    it("leave the CLI on the server's own machine free to name any folder", async () => {
      const r = await send(app(), 'local-images', { images: outside, bearer: key });
      expect(r.status).toBe(200);
      expect(r.body.media?.images).toBe(2);
    });
  });

  it('refuses a missing, wrong or revoked token with 401 and stores nothing', async () => {
    const before = await snapshot(ctx().database.db);
    const missing = await post({});
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: 'Missing API token', status: 401 });
    const wrong = await post({ authorization: `Bearer ${token}x` });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'Unknown or revoked API token' });

    const { token: old } = await createApiToken(ctx().database.db, { name: 'old-laptop' });
    await revokeApiToken(ctx().database.db, 'old-laptop', new Date());
    const revoked = await post({ authorization: `Bearer ${old}` });
    expect(revoked.status).toBe(401);
    const cli = await loupe([
      'ingest',
      'classification',
      '--table',
      table,
      '--run',
      'refused',
      '--server',
      url,
      '--token',
      old,
    ]);
    expect(cli.exitCode).toBe(1);
    expect(cli.err).toContain('refused the token: Unknown or revoked API token');

    const none = await loupe([
      'ingest',
      'classification',
      '--table',
      table,
      '--run',
      'refused',
      '--server',
      url,
    ]);
    expect(none.exitCode).toBe(1);
    expect(none.err).toMatch(/^loupe ingest: --server needs an API token/);
    expect(await snapshot(ctx().database.db)).toEqual(before);
  });

  it('refuses an upload over the limit with 413, stores nothing and keeps no file', async () => {
    const before = await snapshot(ctx().database.db);
    const res = await post({ authorization: `Bearer ${token}` }, big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/over the server's limit of 10485 bytes/);
    const cli = await loupe([
      'ingest',
      'classification',
      '--table',
      big,
      '--run',
      'too-big',
      '--server',
      url,
      '--token',
      token,
    ]);
    expect(cli.exitCode).toBe(1);
    expect(cli.err).toContain('LOUPE_UPLOAD_LIMIT_MB');
    expect(await snapshot(ctx().database.db)).toEqual(before);
    expect(leftovers()).toEqual([]);
  });

  it("rejects parts that are not the kind's files, and kinds that do not exist", async () => {
    const form = new FormData();
    form.append('run', 'x');
    form.append('secrets', new Blob(['a']), 'a.txt');
    const res = await fetch(`${url}/api/ingest/classification`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/unknown file part "secrets"/);
    const kind = await fetch(`${url}/api/ingest/parquet`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(kind.status).toBe(404);
  });

  it('takes uploads past the board body limit of 256 KiB (its own limit applies)', async () => {
    const rows = Array.from({ length: 12_000 }, (_, i) => `big-${i},1,0.125,0.875`).join('\n');
    const form = new FormData();
    form.append('run', 'large-upload');
    form.append('analyze', 'false');
    form.append('table', new Blob([`id,label,p_0,p_1\n${rows}\n`]), 'large.csv');
    const app = createServerApp(testDeps(ctx().database));
    const res = await app.request('/api/ingest/classification', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ run: 'large-upload', rows: 12_000 });
  });

  it('ingests embeddings for a run over the API', async () => {
    const emb = files.write('emb.jsonl', '{"id":"a","embedding":[1,0]}\n{"id":"b","embedding":[0,1]}\n');
    const r = await loupe([
      'ingest',
      'embeddings',
      '--run',
      'remote-1',
      '--path',
      emb,
      '--server',
      url,
      '--token',
      token,
      '--json',
    ]);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ run: 'remote-1', embeddings: 2 });
  });
});
