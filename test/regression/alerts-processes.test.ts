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
