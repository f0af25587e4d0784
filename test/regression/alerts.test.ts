import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sendRegressionAlert } from '../../bot/alerts/send.ts';
import { createChannelPacer, slackOutbox } from '../../bot/outbox.ts';
import { ingestClassification } from '../../src/ingest/classification.ts';
import { createJobRunner } from '../../src/jobs/runner.ts';
import { pipelineHandlers } from '../../src/jobs/pipeline.ts';
import { listJobs } from '../../src/store/jobs.ts';
import { getRegression, listAlerts, mutedClasses } from '../../src/store/regressions.ts';
import { lookupRun } from '../../src/store/run-lookup.ts';
import { describeEachDriver } from '../helpers/db.ts';
import { blockActions } from '../slack/signed.ts';
import { type Harness, SECRET, startHarness } from '../slack/harness.ts';
import { runFiles } from './fixtures.ts';

describeEachDriver('regression alerts through the loopback Slack', (ctx) => {
  let dir: string;
  let h: Harness;
  const write = (name: string, data: Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-alert-'));
    h = await startHarness(ctx().database, {
      env: { LOUPE_ALERT_CHANNELS: 'C0ALERTS,C0OTHER', LOUPE_REVIEWERS: 'U0ALICE' },
    });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('queues the check with the second run of a dataset only, stores it, and follows it with the alert job', async () => {
    for (const [run, acc, seed] of [
      ['p1', [0.95, 0.95, 0.95], 1],
      ['p2', [0.55, 0.95, 0.95], 2],
    ] as const) {
      const f = runFiles(write, run, [...acc], { seed, rows: 450 });
      await ingestClassification(h.deps, { run, dataset: 'pets', probs: f.probs, labels: f.labels });
    }
    const queued = (await listJobs(h.deps.database)).filter((j) => j.kind === 'regression');
    expect(queued.map((j) => [j.run, j.state])).toEqual([['p2', 'queued']]);
    const runner = createJobRunner(h.deps, { handlers: pipelineHandlers(h.deps), pollMs: 50 });
    await runner.drain({ runId: (await lookupRun(h.deps.db, 'p2'))!.id, keepGoing: false });
    const jobs = await listJobs(h.deps.database);
    expect(jobs.filter((j) => j.kind.startsWith('regression')).map((j) => [j.kind, j.state])).toEqual([
      ['regression', 'done'],
      ['regression-alert', 'queued'],
    ]);
    const check = await getRegression(h.deps.db, (await lookupRun(h.deps.db, 'p2'))!.id);
    expect(check).toMatchObject({ metric: 'f1', rows: 450, resamples: 1000 });
    const cat = check!.classes.find((c) => c.label === 0)!;
    expect(cat.regressed).toBe(true);
    expect(cat.high).toBeLessThan(0);
    expect(check!.cells!.reduce((s, l) => s + l.count, 0)).toBe(450);
  });

  it('posts once per channel, however often it is asked', async () => {
    const run = (await lookupRun(h.deps.db, 'p2'))!;
    const out = h.handler.jobHandlers['regression-alert'];
    expect(out).toBeTypeOf('function');
    const first = await sendRegressionAlert(h.deps, outbox(h), run.id, {
      boardBase: 'https://loupe.example.com',
    });
    const again = await sendRegressionAlert(h.deps, outbox(h), run.id, {
      boardBase: 'https://loupe.example.com',
    });
    expect(first).toEqual({ C0ALERTS: 'sent', C0OTHER: 'sent' });
    expect(again).toEqual({ C0ALERTS: 'taken', C0OTHER: 'taken' });
    const posts = h.slack.callsTo('chat.postMessage');
    expect(posts.map((p) => p.body.channel)).toEqual(['C0ALERTS', 'C0OTHER']);
    const blocks = JSON.stringify(posts[0].body.blocks);
    expect(blocks).toContain('https://loupe.example.com/runs/p2/compare');
    expect(blocks).not.toContain('auth/link');
    expect(blocks).toContain('95% interval');
    expect(h.slack.invalid).toEqual([]);
    expect((await listAlerts(h.deps.db, run.id)).map((a) => a.status)).toEqual(['sent', 'sent']);
  });

  it('mutes a class from the alert for reviewers only, and a muted class is not alerted', async () => {
    const run = (await lookupRun(h.deps.db, 'p2'))!;
    const post = h.slack.callsTo('chat.postMessage')[0];
    const mute = (
      JSON.parse(JSON.stringify(post.body.blocks)) as {
        type: string;
        elements?: { action_id: string; value?: string }[];
      }[]
    )
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id.startsWith('alert:mute:'))!;
    expect(mute.value).toBe(`${run.id}:0`);
    const click = (user: string) =>
      h.send(
        blockActions(SECRET, {
          actionId: mute.action_id,
          value: mute.value,
          responseUrl: h.slack.responseUrl(),
          user,
          message: { ts: '1.2', text: 'alert', blocks: [] },
        }),
      );
    expect((await click('U0MALLORY')).status).toBe(200);
    await h.slack.waitFor(() => h.slack.responses.length >= 1);
    expect(JSON.stringify(h.slack.responses[0].body)).toContain('Only reviewers');
    expect((await mutedClasses(h.deps.db, run.datasetId)).size).toBe(0);
    expect((await click('U0ALICE')).status).toBe(200);
    await h.slack.waitFor(() => h.slack.responses.length >= 2);
    expect(JSON.stringify(h.slack.responses[1].body)).toContain('muted *0*');
    expect([...(await mutedClasses(h.deps.db, run.datasetId))]).toEqual([0]);

    // Every regressed class of p3 muted → nothing to alert.
    const f = runFiles(write, 'p3', [0.5, 0.95, 0.95], { seed: 3, rows: 450 });
    await ingestClassification(h.deps, { run: 'p3', dataset: 'pets', probs: f.probs, labels: f.labels });
    const p3 = (await lookupRun(h.deps.db, 'p3'))!;
    const runner = createJobRunner(h.deps, { handlers: pipelineHandlers(h.deps), pollMs: 50 });
    await runner.drain({ runId: p3.id });
    const check = await getRegression(h.deps.db, p3.id);
    const regressed = check!.classes.filter((c) => c.regressed).map((c) => c.label);
    const result = await sendRegressionAlert(h.deps, outbox(h), p3.id, { boardBase: 'https://x' });
    expect(result.C0ALERTS).toBe(regressed.some((c) => c !== 0) ? 'sent' : 'nothing');
  });
});

/** The channel outbox the bot's alert job posts through (chat.postMessage, files upload). */
function outbox(h: Harness) {
  return slackOutbox({
    client: h.handler.bolt.client,
    pace: createChannelPacer({ intervalMs: 0 }),
    logger: h.deps.logger,
  });
}
