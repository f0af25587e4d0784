import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batches } from '../../db/schema.ts';
import { parseCommand } from '../../bot/commands/parse.ts';
import { createReminderScheduler, reminderJobHandlers } from '../../bot/batches/reminders.ts';
import { createJobRunner } from '../../src/jobs/runner.ts';
import { directMessenger } from '../../bot/batches/dm.ts';
import { createBatch } from '../../src/store/batches.ts';
import { recordDecision } from '../../src/store/reviews.ts';
import { describeEachDriver } from '../helpers/db.ts';
import { type Harness, SECRET, seedRun, startHarness } from './harness.ts';
import { slashCommand } from './signed.ts';

type Answer = { text?: string; blocks?: unknown[] };

describe('batch assign parsing', () => {
  it('reads a mention as Slack escapes it, a bare id, and a due day', () => {
    expect(parseCommand('batch week 12 assign <@U0MARIA|maria> due 2026-12-10')).toEqual({
      public: false,
      kind: 'batch-assign',
      name: 'week 12',
      owner: 'U0MARIA',
      due: '2026-12-10',
    });
    expect(parseCommand('batch b1 assign U0MARIA')).toMatchObject({
      kind: 'batch-assign',
      owner: 'U0MARIA',
      due: null,
    });
    expect(parseCommand('batch b1 assign @maria')).toMatchObject({
      kind: 'help',
      problem: expect.stringContaining('@ menu'),
    });
    expect(parseCommand('batch b1 assign <@U0MARIA> due tomorrow')).toMatchObject({
      kind: 'help',
      problem: expect.stringContaining('YYYY-MM-DD'),
    });
  });
});

describeEachDriver('batches as assigned work in Slack', (ctx) => {
  let h: Harness;
  let rowIds: number[];
  // The reminder job's clock (requests are signed with the real time).
  let today = '2026-12-09T08:00:00Z';
  const reminderDeps = () => ({ ...h.deps, clock: { now: () => new Date(today) } });

  beforeAll(async () => {
    h = await startHarness(ctx().database, {
      // Every minute: the digest is due whenever the test asks.
      env: {
        LOUPE_REVIEWERS: 'U0LEAD',
        LOUPE_DIGEST_CHANNELS: 'C0DIGEST',
        LOUPE_TZ: 'UTC',
        LOUPE_DIGEST_CRON: '* * * * *',
      },
    });
    ({ rowIds } = await seedRun(h.deps));
    await createBatch(h.deps.db, { name: 'week-12', rowIds: rowIds.slice(12, 16), createdBy: 'U0LEAD' });
  });
  afterAll(async () => h?.close());

  const command = async (text: string, user = 'U0LEAD') => {
    const res = await h.send(slashCommand(SECRET, { text, responseUrl: h.slack.responseUrl(), user }));
    expect(res.status).toBe(200);
    return JSON.stringify(((await res.json()) as Answer).blocks);
  };
  const dmsTo = (user: string) =>
    h.slack.callsTo('chat.postMessage').filter((c) => c.body.channel === `D${user.slice(1)}`);

  it('refuses a non-reviewer, storing nothing and sending nothing', async () => {
    const answer = await command('batch week-12 assign <@U0MARIA|maria> due 2026-12-10', 'U0INTRUDER');
    expect(answer).toContain('Only reviewers');
    const [b] = await h.deps.db.select().from(batches).where(eq(batches.name, 'week-12'));
    expect(b.owner).toBeNull();
    expect(h.slack.callsTo('conversations.open')).toHaveLength(0);
  });

  it('assigns a batch with a due day and DMs the owner (conversations.open, then chat.postMessage)', async () => {
    const answer = await command('batch week-12 assign <@U0MARIA|maria> due 2026-12-10');
    expect(answer).toContain("<@U0MARIA>'s, due 2026-12-10: 0/4 done");
    const [b] = await h.deps.db.select().from(batches).where(eq(batches.name, 'week-12'));
    expect(b).toMatchObject({ owner: 'U0MARIA', dueOn: '2026-12-10', assignedBy: 'U0LEAD' });
    const open = await h.slack.waitFor(() => h.slack.callsTo('conversations.open')[0]);
    expect(open.body.users).toBe('U0MARIA');
    const [dm] = dmsTo('U0MARIA');
    expect(dm.body.text).toBe('You were assigned the labeling batch week-12');
    expect(JSON.stringify(dm.body.blocks)).toContain('<@U0LEAD> assigned you the labeling batch');
    expect(JSON.stringify(dm.body.blocks)).toContain('to=%2Fbatches%2Fweek-12&u=U0MARIA');
    expect(await command('batch nope assign <@U0MARIA> due 2026-02-30')).toContain('is not a day');
    expect(await command('batch nope assign <@U0MARIA>')).toContain('no batch named');
  });

  it('shows each open batch with its progress in the digest', async () => {
    await recordDecision(h.deps.db, {
      rowId: rowIds[12],
      decision: 'dismiss',
      actor: 'U0LEAD',
      source: 'slack',
    });
    // An every-minute schedule is not due in the last second of a minute: ask again then.
    let sent = await h.handler.sendDigests();
    if (Object.keys(sent).length === 0) {
      await new Promise((r) => setTimeout(r, 1100));
      sent = await h.handler.sendDigests();
    }
    expect(sent).toEqual({ C0DIGEST: 'sent' });
    const digest = h.slack.callsTo('chat.postMessage').find((c) => c.body.channel === 'C0DIGEST');
    const blocks = JSON.stringify(digest?.body.blocks);
    expect(blocks).toContain('*Open batches*');
    expect(blocks).toContain('week-12');
    expect(blocks).toContain('1/4 done (in progress) · <@U0MARIA> · due 2026-12-10');
  });

  /** One instance's reminders: the daily schedule, and a job runner with the reminder handler. */
  const instance = () => {
    const deps = reminderDeps();
    const runner = createJobRunner(deps, {
      handlers: reminderJobHandlers({
        deps,
        links: { base: 'https://loupe.example.com', url: (p: string) => `https://loupe.example.com${p}` },
        dm: directMessenger(h.handler.bolt.client),
      }),
      pollMs: 20,
      backoff: () => 20,
    });
    const schedule = createReminderScheduler({ deps, notify: () => runner.notify() });
    return {
      schedule,
      async start() {
        await runner.start();
        await schedule.start();
      },
      async stop() {
        schedule.stop();
        await runner.stop();
      },
    };
  };

  it('DMs the owner on the due day once, even with two instances running the daily job', async () => {
    // The day before: nothing is due, nothing is queued.
    const early = instance();
    await early.start();
    expect(await early.schedule.tick()).toBe(0);
    await early.stop();
    expect(dmsTo('U0MARIA')).toHaveLength(1);

    today = '2026-12-10T09:00:00Z';
    const a = instance();
    const b = instance();
    await Promise.all([a.start(), b.start()]);
    await h.slack.waitFor(() => dmsTo('U0MARIA').length >= 2);
    // Sent: later ticks of either instance queue nothing more.
    expect(await a.schedule.tick()).toBe(0);
    expect(await b.schedule.tick()).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    await Promise.all([a.stop(), b.stop()]);
    const dms = dmsTo('U0MARIA');
    expect(dms).toHaveLength(2);
    expect(dms[1].body.text).toBe('Batch week-12 is due today: 3 rows to go');
    expect(JSON.stringify(dms[1].body.blocks)).toContain('1/4 rows done, 3 to go');
  });

  it('hands a reminder back when the DM fails and sends it on the retry; an overdue batch is still reminded', async () => {
    await createBatch(h.deps.db, {
      name: 'week-13',
      rowIds: rowIds.slice(0, 2),
      createdBy: 'U0LEAD',
      includeOpen: true,
    });
    today = '2026-12-11T09:00:00Z';
    await command('batch week-13 assign <@U0PAT> due 2026-12-10');
    h.slack.fail(
      'conversations.open',
      { status: 200, body: JSON.stringify({ ok: false, error: 'user_not_found' }) },
      1,
    );
    const reminders = instance();
    await reminders.start();
    // The failed job is retried after its backoff.
    await h.slack.waitFor(() => dmsTo('U0PAT').length >= 2, 15_000);
    await reminders.stop();
    expect(dmsTo('U0PAT').map((c) => c.body.text)).toEqual([
      'You were assigned the labeling batch week-13',
      'Batch week-13 was due 2026-12-10: 2 rows to go',
    ]);
    // The first reminder met the fault; the retry went through.
    const opens = h.slack.attempts.filter((a) => a.path.endsWith('/conversations.open'));
    expect(opens.length).toBe(h.slack.callsTo('conversations.open').length + 1);
  });
});
