import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { openTestDb, testDatabaseUrl } from '../helpers/db.ts';
import { loupe, servedPort, startLoupe, until } from '../jobs/processes.ts';
import { type FakeSlack, startFakeSlack } from '../slack/fake-slack.ts';
import { assignBatch } from '../../src/store/batch-work.ts';
import { createBatch } from '../../src/store/batches.ts';
import { runFiles } from './fixtures.ts';

type Started = ReturnType<typeof startLoupe>;
const CHANNEL = 'C0ALERTS';

// Two `serve` processes on one Postgres, each with its own disk, posting to one loopback Slack.
describe.runIf(process.env.DATABASE_URL)('regression alerts with two servers', () => {
  let dir: string;
  let database: Database;
  let slack: FakeSlack;
  let env: Record<string, string | undefined>;
  const running: Started[] = [];
  const start = (name: string) => {
    const p = startLoupe(['serve'], { ...env, LOUPE_DATA: join(dir, name) });
    running.push(p);
    return p;
  };
  const stop = async (p: Started) => {
    p.child.kill('SIGTERM');
    await p.done;
  };
  const write = (name: string, data: Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };
  const ingest = async (run: string, accuracy: [number, number, number], seed: number) => {
    const f = runFiles(write, run, accuracy, { seed });
    const r = await loupe(
      [
        'ingest',
        'classification',
        '--run',
        run,
        '--dataset',
        'pets',
        '--probs',
        f.probs,
        '--labels',
        f.labels,
      ],
      { ...env, LOUPE_DATA: join(dir, 'cli') },
    );
    expect(r.code, r.err).toBe(0);
  };
  const alertsTo = (run: string) =>
    slack
      .callsTo('chat.postMessage')
      .filter((c) => c.body.channel === CHANNEL && String(c.body.text).includes(`Regression: ${run} `));
  const sentLines = async (run: string) =>
    rawRows<{ status: string }>(
      database.db,
      sql`select a.status from regression_alerts a join model_runs r on r.id = a.run_id where r.name = ${run}`,
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-alerts-'));
    database = await openTestDb('postgres');
    slack = await startFakeSlack();
    env = {
      DATABASE_URL: testDatabaseUrl(database),
      PORT: '0',
      LOUPE_JOB_LEASE_SECONDS: '2',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'test-signing-secret-0123456789',
      SLACK_API_URL: slack.apiUrl,
      LOUPE_ALERT_CHANNELS: CHANNEL,
    };
  });
  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) await stop(p);
    await slack?.close();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts the alert of a run ingested while no server ran once both start, and of a run ingested while both run, once each', async () => {
    // No server up: the check is queued with the import and waits.
    await ingest('v1', [0.95, 0.95, 0.95], 1);
    await ingest('v2', [0.6, 0.95, 0.95], 2);
    const [queued] = await rawRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from jobs where kind = 'regression' and state = 'queued'`,
    );
    expect(queued.n).toBe(1);

    const a = start('a');
    const b = start('b');
    await Promise.all([servedPort(a.stderr), servedPort(b.stderr)]);
    await until(async () => (await sentLines('v2'))[0]?.status === 'sent', 120_000);

    // Another run while both are up: class 2 gets worse this time.
    await ingest('v3', [0.6, 0.95, 0.55], 3);
    await until(async () => (await sentLines('v3'))[0]?.status === 'sent', 120_000);
    // Give a duplicate every chance to show up (lease 2 s, polling 1 s).
    await new Promise((r) => setTimeout(r, 5000));

    expect(alertsTo('v2')).toHaveLength(1);
    expect(alertsTo('v3')).toHaveLength(1);
    expect(String(alertsTo('v2')[0].body.text)).toContain('v1');
    const v2 = JSON.stringify(alertsTo('v2')[0].body.blocks);
    expect(v2).toContain('*0*');
    expect(v2).toContain('Mute 0');
    const v3 = JSON.stringify(alertsTo('v3')[0].body.blocks);
    expect(v3).toContain('Mute 2');
    expect(slack.invalid).toEqual([]);
    // Each alert came with its chart (uploaded after the message: rendering happens in a pool thread).
    await until(async () => slack.uploads.length >= 2, 120_000);
    expect(slack.uploads.length).toBe(2);
    const posted = [a, b].map(
      (p) =>
        p
          .stderr()
          .split('\n')
          .filter((l) => l.includes('regression alert posted')).length,
    );
    expect(posted[0] + posted[1]).toBe(2);
    await Promise.all([stop(a), stop(b)]);
  }, 300_000);
});

// `serve --no-worker` answers Slack and queues; `loupe worker` processes run every job, Slack's
// included, with a Web API client built from SLACK_BOT_TOKEN.
describe.runIf(process.env.DATABASE_URL)('Slack jobs with serve --no-worker and loupe worker', () => {
  let dir: string;
  let database: Database;
  let slack: FakeSlack;
  let env: Record<string, string | undefined>;
  const running: Started[] = [];
  const start = (args: string[], name: string, extra: Record<string, string | undefined> = {}) => {
    const p = startLoupe(args, { ...env, LOUPE_DATA: join(dir, name), ...extra });
    running.push(p);
    return p;
  };
  const stop = async (p: Started) => {
    p.child.kill('SIGTERM');
    await p.done;
  };
  const write = (name: string, data: Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };
  const cli = (args: string[]) => loupe(args, { ...env, LOUPE_DATA: join(dir, 'cli') });
  const ingest = async (run: string, accuracy: [number, number, number], seed: number) => {
    const f = runFiles(write, run, accuracy, { seed });
    const r = await cli([
      'ingest',
      'classification',
      '--run',
      run,
      '--dataset',
      'pets',
      '--probs',
      f.probs,
      '--labels',
      f.labels,
    ]);
    expect(r.code, r.err).toBe(0);
  };
  const jobsOf = (kind: string) =>
    rawRows<{ state: string; attempts: number; error: string | null }>(
      database.db,
      sql`select state, attempts, error from jobs where kind = ${kind} order by id`,
    );
  const alerts = () =>
    slack
      .callsTo('chat.postMessage')
      .filter((c) => c.body.channel === CHANNEL && String(c.body.text).includes('Regression: w2 '));
  const reminders = () => slack.callsTo('chat.postMessage').filter((c) => c.body.channel === 'D0MARIA');
  const linesOf = (p: Started, text: string) =>
    p
      .stderr()
      .split('\n')
      .filter((l) => l.includes(text)).length;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-slack-jobs-'));
    database = await openTestDb('postgres');
    slack = await startFakeSlack();
    env = {
      DATABASE_URL: testDatabaseUrl(database),
      PORT: '0',
      LOUPE_JOB_LEASE_SECONDS: '2',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'test-signing-secret-0123456789',
      SLACK_API_URL: slack.apiUrl,
      LOUPE_ALERT_CHANNELS: CHANNEL,
      LOUPE_TZ: 'UTC',
    };
  });
  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) await stop(p);
    await slack?.close();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a worker without SLACK_BOT_TOKEN leaves them queued; workers with it post the alert and the due-day DM once', async () => {
    const server = start(['serve', '--no-worker'], 'serve');
    // A worker that cannot talk to Slack: it runs the regression check, not the alert.
    const blind = start(['worker'], 'blind', { SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: '' });
    await servedPort(server.stderr);
    await until(async () => blind.stderr().includes('Loupe worker running'));
    expect(blind.stderr()).toContain('regression alert');
    expect(blind.stderr()).toContain('left queued');

    await ingest('w1', [0.95, 0.95, 0.95], 1);
    await ingest('w2', [0.6, 0.95, 0.95], 2);
    await until(async () => (await jobsOf('regression'))[0]?.state === 'done', 120_000);
    const [queued] = await jobsOf('regression-alert');
    expect(queued).toMatchObject({ state: 'queued', attempts: 0, error: null });
    // A batch due today, owned by someone: its reminder is Slack's too.
    const rows = await rawRows<{ id: number }>(
      database.db,
      sql`select id from data_rows order by id limit 3`,
    );
    await createBatch(database.db, {
      name: 'week-48',
      rowIds: rows.map((r) => Number(r.id)),
      createdBy: 'U0LEAD',
    });
    const today = new Date().toISOString().slice(0, 10);
    await assignBatch(database.db, { name: 'week-48', owner: 'U0MARIA', dueOn: today, by: 'U0LEAD' });
    // Several polls of the blind worker later, nothing was claimed or failed.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await jobsOf('regression-alert')).toEqual([queued]);
    expect(alerts()).toHaveLength(0);
    // `loupe jobs` says why they wait.
    const listed = await cli(['jobs']);
    expect(listed.code, listed.err).toBe(0);
    expect(listed.out).toContain(
      'Queued regression alert jobs waits for a `loupe serve` or `loupe worker` with SLACK_BOT_TOKEN',
    );
    const json = JSON.parse((await cli(['jobs', '--json'])).out) as {
      jobs: { kind: string; note?: string }[];
    };
    expect(json.jobs.find((j) => j.kind === 'regression-alert')?.note).toContain('SLACK_BOT_TOKEN');
    await stop(blind);

    // Two workers with the token start at once: each queues the day's reminders, one DM results.
    const w1 = start(['worker'], 'w1');
    const w2 = start(['worker'], 'w2');
    await until(async () => alerts().length > 0 && reminders().length > 0, 120_000);
    // The alert's chart (rendered by the worker itself) follows the message; then its job is done.
    const settled = async (kind: string) => (await jobsOf(kind)).every((j) => j.state === 'done');
    await until(
      async () => (await settled('batch-reminder')) && (await settled('regression-alert')),
      120_000,
    );
    // Give a duplicate every chance to show up (lease 2 s, polling 1 s).
    await new Promise((r) => setTimeout(r, 5000));

    expect(alerts()).toHaveLength(1);
    expect(String(alerts()[0].body.text)).toContain('w1');
    expect(JSON.stringify(alerts()[0].body.blocks)).toContain('Mute 0');
    expect(await jobsOf('regression-alert')).toMatchObject([{ state: 'done' }]);
    const chartLog = [w1, w2].flatMap((p) =>
      p
        .stderr()
        .split('\n')
        .filter((l) => l.includes('chart')),
    );
    expect(slack.uploads, chartLog.join('\n')).toHaveLength(1);
    expect(reminders()).toHaveLength(1);
    expect(reminders()[0].body.text).toBe('Batch week-48 is due today: 3 rows to go');
    // A worker whose start read the batch as owed just before the other's job sent it queues one
    // more job; the batch's claim makes that one end without a DM.
    const reminderJobs = await jobsOf('batch-reminder');
    expect(reminderJobs.length).toBeGreaterThan(0);
    for (const j of reminderJobs) expect(j.state).toBe('done');
    // The workers posted them; the server only queued.
    expect(linesOf(w1, 'regression alert posted') + linesOf(w2, 'regression alert posted')).toBe(1);
    expect(linesOf(w1, 'batch reminder sent') + linesOf(w2, 'batch reminder sent')).toBe(1);
    expect(linesOf(server, 'regression alert posted') + linesOf(server, 'batch reminder sent')).toBe(0);
    expect(linesOf(server, 'job started')).toBe(0);
    expect(slack.invalid).toEqual([]);
    await Promise.all([stop(server), stop(w1), stop(w2)]);
  }, 300_000);
});
