import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { digests, jobs } from '../../db/schema.ts';
import { digestJob } from '../../bot/digest/job.ts';
import { digestMetadata } from '../../bot/digest/send.ts';
import { createChannelPacer, slackOutbox } from '../../bot/outbox.ts';
import { enqueueJobs } from '../../src/store/jobs.ts';
import { createDb } from '../../db/index.ts';
import { describeEachDriver, testDatabaseUrl } from '../helpers/db.ts';
import { type FakeSlack, startFakeSlack } from './fake-slack.ts';
import { type Harness, SECRET, seedNextRun, seedRun, startHarness } from './harness.ts';
import { slashCommand } from './signed.ts';

/**
 * The bot in a real workspace: channels it is not in, private channels, missing scopes, Slack
 * failing for a while, and a digest cut short by a crash.
 */
describeEachDriver('install-proof Slack calls', (ctx) => {
  let slack: FakeSlack;
  let h: Harness;
  const env = { LOUPE_DIGEST_CRON: '0 9 * * 1-5', LOUPE_TZ: 'UTC', LOUPE_REVIEWERS: 'U0ALICE' };
  const monday = new Date('2024-03-04T10:30:00Z');

  beforeAll(async () => {
    slack = await startFakeSlack();
    h = await startHarness(ctx().database, {
      env,
      clock: { now: () => monday },
      slack,
      runJobs: true,
    });
    const v1 = await seedRun(h.deps, 'inst-v1');
    await seedNextRun(h.deps, v1, 'inst-v2');
  });
  afterAll(async () => {
    await h?.close();
    await slack?.close();
  });

  const to = (method: string, channel: string) =>
    slack.callsTo(method).filter((c) => (c.body.channel ?? c.body.channel_id) === channel);
  const uploadsTo = (channel: string) =>
    slack.callsTo('files.completeUploadExternal').filter((c) => c.body.channel_id === channel);
  const digestCommand = async (channel: string, user = 'U0ALICE') => {
    const responseUrl = slack.responseUrl();
    const res = await h.send(
      slashCommand(SECRET, { text: 'digest', responseUrl, channel, user }, { at: monday }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { text: string };
    if (!body.text.includes('Working on it')) return body;
    const id = responseUrl.split('/').pop();
    // Rendering the chart competes for the CPU with everything else: wait generously.
    return (await slack.waitFor(() => slack.responses.find((r) => r.id === id), 60_000)).body as {
      text: string;
    };
  };
  /** The digest job of a channel and day once it has settled (done, or failed for good). */
  const settledJob = async (channel: string, day: string) => {
    for (let i = 0; i < 300; i++) {
      const [job] = await h.deps.db
        .select()
        .from(jobs)
        .where(eq(jobs.dedupeKey, `digest:${channel}:${day}`))
        .orderBy(desc(jobs.id))
        .limit(1);
      if (job && (job.state === 'done' || job.state === 'failed')) return job;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`digest job for ${channel} did not settle`);
  };
  const queueDigest = async (channel: string, day: string) => {
    await enqueueJobs(h.deps.database, [digestJob(channel, day)]);
    h.jobs?.notify();
    return settledJob(channel, day);
  };
  const digestRow = async (channel: string) =>
    (await h.deps.db.select().from(digests).where(eq(digests.channel, channel)))[0];

  it('uploads to a public channel it is not in by joining it first, once', async () => {
    expect(await digestCommand('C0PUBLIC')).toMatchObject({ text: "Posted today's digest here." });
    expect(to('conversations.join', 'C0PUBLIC')).toHaveLength(1);
    expect(to('chat.postMessage', 'C0PUBLIC')).toHaveLength(1);
    expect(uploadsTo('C0PUBLIC')).toHaveLength(1);
    const join = slack.calls.findIndex((c) => c.method === 'conversations.join');
    const upload = slack.calls.findIndex((c) => c.method === 'files.completeUploadExternal');
    expect(join).toBeLessThan(upload);
  });

  it('refuses /loupe digest from someone who is not a reviewer', async () => {
    const answer = await digestCommand('C0PUBLIC', 'U0MALLORY');
    expect(answer.text).toContain('Only reviewers');
    expect(to('chat.postMessage', 'C0PUBLIC')).toHaveLength(1);
  });

  it('a private channel it is not in: one answer asking for an invite, nothing posted, no retry', async () => {
    slack.channel('G0SECRET', { kind: 'private', member: false });
    const answer = await digestCommand('G0SECRET');
    expect(answer.text).toContain('invite @loupe to <#G0SECRET>');
    // The one refused chat.postMessage; no join (a bot cannot join it), no upload.
    expect(to('chat.postMessage', 'G0SECRET')).toHaveLength(1);
    expect(to('conversations.join', 'G0SECRET')).toHaveLength(0);
    expect(uploadsTo('G0SECRET')).toHaveLength(0);

    // Scheduled: the job fails at once with the same advice; no retry storm.
    const job = await queueDigest('G0SECRET', '2024-03-04');
    expect(job).toMatchObject({ state: 'failed', attempts: 1 });
    expect(job.error).toContain('invite @loupe');
    expect(to('chat.postMessage', 'G0SECRET')).toHaveLength(2);
    expect(await digestRow('G0SECRET')).toMatchObject({ status: 'failed', messageTs: null });
  });

  it('a private channel it was invited to: no join, the upload goes through', async () => {
    slack.channel('G0TEAM', { kind: 'private', member: true });
    expect(await digestCommand('G0TEAM')).toMatchObject({ text: "Posted today's digest here." });
    expect(uploadsTo('G0TEAM')).toHaveLength(1);
  });

  it('missing_scope names the scope and is never retried; the posted message is not posted again', async () => {
    slack.scopes.delete('channels:join');
    try {
      const answer = await digestCommand('C0NOSCOPE');
      expect(answer.text).toContain("Posted today's digest here, but not its chart");
      expect(answer.text).toContain('`channels:join` scope');
      expect(to('chat.postMessage', 'C0NOSCOPE')).toHaveLength(1);

      const job = await queueDigest('C0NOSCOPE2', '2024-03-04');
      expect(job).toMatchObject({ state: 'failed', attempts: 1 });
      expect(job.error).toContain('`channels:join` scope');
      expect(to('conversations.join', 'C0NOSCOPE2')).toHaveLength(1);
      expect(to('chat.postMessage', 'C0NOSCOPE2')).toHaveLength(1);
      expect((await digestRow('C0NOSCOPE2')).messageTs).not.toBeNull();
    } finally {
      slack.scopes.add('channels:join');
    }
  });

  it('Slack failing for a while: the job backs off and retries; one message in the end', async () => {
    // 3 faults use up the client's own 2 retries: the first attempt of the job fails.
    slack.fail('chat.postMessage', { status: 503 }, 3);
    const job = await queueDigest('C0FLAKY', '2024-03-04');
    expect(job).toMatchObject({ state: 'done', attempts: 2 });
    expect(to('chat.postMessage', 'C0FLAKY')).toHaveLength(1);
    expect(await digestRow('C0FLAKY')).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a digest left in `sending` by a crash is recovered once, without posting twice', async () => {
    const day = '2024-03-04';
    // A process took the job, claimed the digest, posted the message, then died before the chart:
    // its job is still `running` under a lease that runs out.
    const job0 = digestJob('C0CRASH', day);
    const [dead] = await h.deps.db
      .insert(jobs)
      .values({
        kind: job0.kind,
        payload: job0.payload,
        dedupeKey: job0.dedupeKey,
        maxAttempts: job0.maxAttempts,
        state: 'running',
        attempts: 1,
        lockedBy: 'crashed',
        lockedUntil: new Date(Date.now() + 300),
      })
      .returning({ id: jobs.id });
    await h.deps.db
      .insert(digests)
      .values({ channel: 'C0CRASH', day, status: 'sending', jobId: dead.id, messageTs: '1.000001' });
    h.jobs?.notify();
    // The lease runs out; this instance's runner takes the job over and finishes the digest.
    const job = await settledJob('C0CRASH', day);
    expect(job).toMatchObject({ id: dead.id, state: 'done', attempts: 2 });
    expect(to('chat.postMessage', 'C0CRASH')).toHaveLength(0);
    expect(uploadsTo('C0CRASH')).toHaveLength(1);
    expect(await digestRow('C0CRASH')).toMatchObject({ status: 'sent', attempts: 2 });

    // Queued again (another instance's scheduler, a restart): the day is taken, nothing is sent.
    await enqueueJobs(h.deps.database, [digestJob('C0CRASH', day)]);
    h.jobs?.notify();
    await new Promise((r) => setTimeout(r, 300));
    const again = await settledJob('C0CRASH', day);
    expect(again.id).not.toBe(dead.id);
    expect(to('chat.postMessage', 'C0CRASH')).toHaveLength(0);
    expect(uploadsTo('C0CRASH')).toHaveLength(1);
  });

  /** A digest job a crashed process held: `running` under a lease about to run out, its row `sending`. */
  const crashedDigest = async (channel: string, day: string) => {
    const job0 = digestJob(channel, day);
    const [dead] = await h.deps.db
      .insert(jobs)
      .values({
        kind: job0.kind,
        payload: job0.payload,
        dedupeKey: job0.dedupeKey,
        maxAttempts: job0.maxAttempts,
        state: 'running',
        attempts: 1,
        lockedBy: 'crashed',
        lockedUntil: new Date(Date.now() + 300),
      })
      .returning({ id: jobs.id });
    await h.deps.db.insert(digests).values({ channel, day, status: 'sending', jobId: dead.id });
    return dead.id;
  };

  it('a crash between posting the digest and recording it: the recovery finds it by its metadata, no second post', async () => {
    const day = '2024-03-04';
    const id = await crashedDigest('C0LOST', day);
    // What the dead attempt did: post the message, with its key in the metadata, and nothing more.
    const out = slackOutbox({
      client: h.handler.bolt.client,
      pace: createChannelPacer({ intervalMs: 0 }),
      logger: h.deps.logger,
    });
    const { ts } = await out.post(
      'C0LOST',
      { text: 'Loupe digest', blocks: [] },
      { metadata: digestMetadata('C0LOST', day) },
    );
    // An older day's digest, and people talking since: 250 messages push it to a second page.
    await out.post(
      'C0LOST',
      { text: 'Loupe digest', blocks: [] },
      { metadata: digestMetadata('C0LOST', '2024-03-01') },
    );
    const kept = slack.history.get('C0LOST') ?? [];
    for (let i = 0; i < 250; i++)
      kept.push({
        type: 'message',
        ts: `${Math.floor(Date.now() / 1000) + 1}.${String(900000 + i)}`,
        text: `chat ${i}`,
        user: 'U0PEOPLE',
        bot_id: '',
        app_id: '',
      });
    h.jobs?.notify();
    const job = await settledJob('C0LOST', day);
    expect(job).toMatchObject({ id, state: 'done', attempts: 2 });
    // The two messages posted above, and no third.
    expect(to('chat.postMessage', 'C0LOST')).toHaveLength(2);
    expect(uploadsTo('C0LOST')).toHaveLength(1);
    expect(await digestRow('C0LOST')).toMatchObject({ status: 'sent', attempts: 2, messageTs: ts });
    const reads = to('conversations.history', 'C0LOST');
    expect(reads.length).toBe(2);
    expect(reads[0].body).toMatchObject({ include_all_metadata: 'true', limit: '200' });
    expect(reads[1].body.cursor).toBeTruthy();
    expect(slack.invalid).toEqual([]);
  });

  it('a crash before the digest was posted: the recovery looks, finds nothing, and posts it once with its key', async () => {
    const day = '2024-03-04';
    const id = await crashedDigest('C0LOST2', day);
    h.jobs?.notify();
    const job = await settledJob('C0LOST2', day);
    expect(job).toMatchObject({ id, state: 'done', attempts: 2 });
    expect(to('conversations.history', 'C0LOST2')).toHaveLength(1);
    const posts = to('chat.postMessage', 'C0LOST2');
    expect(posts).toHaveLength(1);
    // Sent form-encoded: the metadata is a JSON string, as Slack documents.
    expect(JSON.parse(String(posts[0].body.metadata))).toEqual(digestMetadata('C0LOST2', day));
    expect(slack.history.get('C0LOST2')?.[0].metadata).toEqual(digestMetadata('C0LOST2', day));
    expect(await digestRow('C0LOST2')).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('two instances queue the day on schedule: one message per channel', async () => {
    const url = testDatabaseUrl(ctx().database);
    const other = url ? await createDb({ url, migrate: false, max: 2 }) : ctx().database;
    const tuesday = { now: () => new Date('2024-03-05T09:05:00Z') };
    const twin = { env: { ...env, LOUPE_DIGEST_CHANNELS: 'C0TWIN' }, clock: tuesday, slack };
    const a = await startHarness(ctx().database, { ...twin, runJobs: true });
    const b = await startHarness(other, { ...twin, runJobs: true });
    try {
      const [qa, qb] = await Promise.all([a.handler.queueDigests(), b.handler.queueDigests()]);
      expect(qa.day).toBe('2024-03-05');
      expect(qa.queued + qb.queued).toBeGreaterThanOrEqual(1);
      // One instance sends; the other finds the day taken (its job ends at once).
      for (let i = 0; i < 600 && (await digestRow('C0TWIN'))?.status !== 'sent'; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(await digestRow('C0TWIN')).toMatchObject({ status: 'sent', day: '2024-03-05', attempts: 1 });
      await settledJob('C0TWIN', '2024-03-05');
      expect(to('chat.postMessage', 'C0TWIN')).toHaveLength(1);
      expect(uploadsTo('C0TWIN')).toHaveLength(1);
    } finally {
      await a.close();
      await b.close();
      if (url) await other.close();
    }
  });

  it('a digest another live instance is sending is left alone', async () => {
    await h.deps.db
      .insert(digests)
      .values({ channel: 'C0BUSY', day: '2024-03-04', status: 'sending', jobId: 999999 });
    const job = await queueDigest('C0BUSY', '2024-03-04');
    expect(job.state).toBe('done');
    expect(to('chat.postMessage', 'C0BUSY')).toHaveLength(0);
  });
});
