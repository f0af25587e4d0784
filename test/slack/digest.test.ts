import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/index.ts';
import { dataRows, digests, modelRuns } from '../../db/schema.ts';
import { closeBatch, createBatch } from '../../src/store/batches.ts';
import { dueFire } from '../../bot/digest/schedule.ts';
import { digestChartSpec } from '../../src/charts/digest.ts';
import { renderVegaLitePng } from '../../src/digest/chart.ts';
import { compareRuns } from '../../src/digest/compare.ts';
import { digestMessage } from '../../bot/digest/message.ts';
import { buildDigest } from '../../src/digest/build.ts';
import { digestText } from '../../src/digest/text.ts';
import { listUncertain } from '../../src/store/uncertain.ts';
import { describeEachDriver, testDatabaseUrl } from '../helpers/db.ts';
import { startFakeSlack, type FakeSlack } from './fake-slack.ts';
import { type Harness, seedNextRun, seedRun, startHarness } from './harness.ts';

describe('digest content (pure)', () => {
  it('compares headline metrics and finds the classes that got worse', () => {
    const now = {
      accuracy: 0.9,
      macro: { f1: 0.8 },
      ece: 0.05,
      classes: [
        { name: 'cat', f1: 0.7 },
        { name: 'dog', f1: 0.95 },
        { name: 'emu', f1: 0.5 },
      ],
    };
    const before = {
      accuracy: 0.92,
      macro: { f1: 0.75 },
      ece: 0.04,
      classes: [
        { name: 'cat', f1: 0.9 },
        { name: 'dog', f1: 0.9 },
        { name: 'emu', f1: 0.6 },
      ],
    };
    const { metrics, worse } = compareRuns('classification', now, before);
    expect(metrics.map((m) => [m.name, m.now, Number(m.delta?.toFixed(6))])).toEqual([
      ['accuracy', 0.9, -0.02],
      ['macro F1', 0.8, 0.05],
      ['ECE', 0.05, 0.01],
    ]);
    expect(worse.map((c) => [c.name, Number(c.delta?.toFixed(6))])).toEqual([
      ['cat', -0.2],
      ['emu', -0.1],
    ]);
  });

  it('a detection digest shows the dAP breakdown with its change since the previous run', () => {
    const errors = (cls: number, loc: number, missed: number) => ({
      cls,
      loc,
      both: 0.001,
      dupe: 0,
      bkg: 0.02,
      missed,
    });
    const now = { coco: { AP: 0.4, AP50: 0.6, AP75: 0.42 }, classes: [], errors: errors(0.118, 0.05, 0.09) };
    const before = {
      coco: { AP: 0.41, AP50: 0.6, AP75: 0.43 },
      classes: [],
      errors: errors(0.13, 0.04, 0.09),
    };
    const cmp = compareRuns('detection', now, before);
    // Costliest first; each with its change (lower is better: AP lost).
    expect(cmp.errors.map((e) => [e.name, e.now, Number(e.delta?.toFixed(6))])).toEqual([
      ['cls', 0.118, -0.012],
      ['missed', 0.09, 0],
      ['loc', 0.05, 0.01],
      ['bkg', 0.02, 0],
      ['both', 0.001, 0],
      ['dupe', 0, 0],
    ]);
    expect(cmp.errors.every((e) => e.higherIsBetter === false)).toBe(true);
    // No previous run: the figures without a change; classification: no breakdown.
    expect(compareRuns('detection', now, null).errors[0]).toMatchObject({ name: 'cls', delta: null });
    expect(compareRuns('classification', { accuracy: 0.9, errors: { cls: 1 } }, null).errors).toEqual([]);

    const content = {
      day: '2024-05-06',
      run: { id: 2, name: 'det-v2', kind: 'detection' as const },
      previous: { id: 1, name: 'det-v1' },
      ...cmp,
      newMislabels: 0,
      rework: { opened: 0, closed: 0, open: 0 },
      suggestion: null,
      batches: [],
    };
    expect(digestText(content)).toContain(
      'AP lost to cls 0.118 (−0.012), missed 0.090 (+0.000), loc 0.050 (+0.010), bkg 0.020 (+0.000), both 0.001 (+0.000), dupe 0.000 (+0.000)\n',
    );
    const links = { base: 'http://board', url: (path: string) => `http://board${path}` };
    const message = JSON.stringify(digestMessage(content, links));
    expect(message).toContain('*AP lost to* cls 0.118 (−0.012) · missed 0.090 (+0.000) · loc 0.050 (+0.010)');
  });

  it('first fire at or before now, within the catch-up window (Mon–Fri 09:00 Berlin)', () => {
    const cron = '0 9 * * 1-5';
    const tz = 'Europe/Berlin';
    const h20 = 20 * 3600_000;
    // Monday 2024-03-04 09:30 CET = 08:30Z → today's 08:00Z fire.
    expect(dueFire(cron, tz, new Date('2024-03-04T08:30:00Z'), h20)?.toISOString()).toBe(
      '2024-03-04T08:00:00.000Z',
    );
    expect(dueFire(cron, tz, new Date('2024-03-04T08:00:00Z'), h20)?.toISOString()).toBe(
      '2024-03-04T08:00:00.000Z',
    );
    // Monday 07:00Z is before today's fire and Friday's is 71 h old: nothing is due.
    expect(dueFire(cron, tz, new Date('2024-03-04T07:00:00Z'), h20)).toBeNull();
    // Summer time: 09:00 CEST = 07:00Z.
    expect(dueFire(cron, tz, new Date('2024-07-01T07:05:00Z'), h20)?.toISOString()).toBe(
      '2024-07-01T07:00:00.000Z',
    );
  });

  it('renders the chart to a PNG on the server (vega → SVG → resvg)', async () => {
    const spec = digestChartSpec({
      run: 'v2',
      previous: 'v1',
      metric: 'f1',
      classes: [
        { name: 'cat', metric: 'f1', now: 0.7, before: 0.9, delta: -0.2 },
        { name: '<b>', metric: 'f1', now: 0.5, before: null, delta: null },
      ],
    });
    expect((spec.data as { values: unknown[] }).values).toEqual([
      { class: '<b>', run: 'v2', value: 0.5 },
      { class: 'cat', run: 'v2', value: 0.7 },
      { class: 'cat', run: 'v1', value: 0.9 },
    ]);
    const png = await renderVegaLitePng(spec);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBeGreaterThan(500); // width in pixels (scale 2)
  });
});

describeEachDriver('daily digest', (ctx) => {
  let slack: FakeSlack;
  const monday1030 = new Date('2024-03-04T10:30:00Z');
  const env = {
    LOUPE_DIGEST_CHANNELS: 'C0DIGEST,C0OTHER',
    LOUPE_DIGEST_CRON: '0 9 * * 1-5',
    LOUPE_TZ: 'UTC',
  };
  const clock = { now: () => monday1030 };
  let h: Harness;

  beforeAll(async () => {
    slack = await startFakeSlack();
    h = await startHarness(ctx().database, { env, clock, slack });
    const v1 = await seedRun(h.deps, 'digest-v1');
    await seedNextRun(h.deps, v1, 'digest-v2');
  });
  afterAll(async () => {
    await h?.close();
    await slack?.close();
  });

  const postsTo = (channel: string) =>
    slack.callsTo('chat.postMessage').filter((c) => c.body.channel === channel);

  it('assembles the digest from the store and prints it as text', async () => {
    const d = await buildDigest(h.deps, { day: '2024-03-04', since: new Date(0), listUncertain });
    expect(d.run?.name).toBe('digest-v2');
    expect(d.previous?.name).toBe('digest-v1');
    expect(d.worse.map((c) => c.name)).toContain('cat');
    expect(d.suggestion?.n).toBe(4);
    const text = digestText(d);
    expect(text).toContain('Newest run: digest-v2 (classification) vs digest-v1');
    expect(text).toContain('accuracy     0.7500 (−0.0833)');
    expect(text).toContain(`New suspected mislabels: ${d.newMislabels}`);
    expect(text).toMatch(/cat: \d\.\d{4} → \d\.\d{4} \(−/);

    // Rows someone already has in an open batch are not suggested again.
    const [first] = d.suggestion!.ids;
    const runId = d.run!.id;
    const [row] = await h.deps.db
      .select({ id: dataRows.id })
      .from(dataRows)
      .innerJoin(modelRuns, eq(modelRuns.datasetId, dataRows.datasetId))
      .where(and(eq(modelRuns.id, runId), eq(dataRows.externalId, first)));
    await createBatch(h.deps.db, { name: 'digest-open', runId, rowIds: [row.id] });
    const after = await buildDigest(h.deps, { day: '2024-03-04', since: new Date(0), listUncertain });
    expect(after.suggestion?.ids).not.toContain(first);
    expect(after.suggestion?.n).toBe(3);
    await closeBatch(h.deps.db, 'digest-open');
  });

  it('two app instances on one database send one digest per channel per day', async () => {
    const url = testDatabaseUrl(ctx().database);
    const other = url ? await createDb({ url, migrate: false, max: 2 }) : ctx().database;
    const h2 = await startHarness(other, { env, clock, slack });
    try {
      const [a, b] = await Promise.all([h.handler.sendDigests(), h2.handler.sendDigests()]);
      const outcomes = [a.C0DIGEST, b.C0DIGEST].sort();
      expect(outcomes).toEqual(['sent', 'taken']);
      expect([a.C0OTHER, b.C0OTHER].sort()).toEqual(['sent', 'taken']);
      expect(postsTo('C0DIGEST')).toHaveLength(1);
      expect(postsTo('C0OTHER')).toHaveLength(1);
      // A restart the same day sends nothing more.
      expect(await h.handler.sendDigests()).toEqual({ C0DIGEST: 'taken', C0OTHER: 'taken' });
      expect(postsTo('C0DIGEST')).toHaveLength(1);
      const rows = await h.deps.db.select().from(digests).where(eq(digests.day, '2024-03-04'));
      expect(rows.map((r) => [r.channel, r.status])).toEqual(
        expect.arrayContaining([
          ['C0DIGEST', 'sent'],
          ['C0OTHER', 'sent'],
        ]),
      );
      const post = postsTo('C0DIGEST')[0];
      expect(JSON.stringify(post.body.blocks)).toContain('batch:create');
      expect(slack.invalid).toEqual([]);
      expect(slack.uploads.length).toBeGreaterThanOrEqual(2);
    } finally {
      await h2.close();
      if (url) await other.close();
    }
  });

  it('a failed send is recorded and retried without a duplicate', async () => {
    const tuesday = new Date('2024-03-05T09:10:00Z');
    const h3 = await startHarness(ctx().database, {
      env: { ...env, LOUPE_DIGEST_CHANNELS: 'C0FLAKY' },
      clock: { now: () => tuesday },
      slack,
    });
    try {
      slack.fail('chat.postMessage', { status: 500 }, 3); // the client's 2 retries are used up
      expect(await h3.handler.sendDigests()).toEqual({ C0FLAKY: 'failed' });
      const [row] = await h3.deps.db.select().from(digests).where(eq(digests.channel, 'C0FLAKY'));
      expect(row).toMatchObject({ status: 'failed', attempts: 1, messageTs: null });
      expect(await h3.handler.sendDigests()).toEqual({ C0FLAKY: 'sent' });
      expect(await h3.handler.sendDigests()).toEqual({ C0FLAKY: 'taken' });
      expect(postsTo('C0FLAKY')).toHaveLength(1);
      const [after] = await h3.deps.db.select().from(digests).where(eq(digests.channel, 'C0FLAKY'));
      expect(after).toMatchObject({ status: 'sent', attempts: 2 });

      // Posted, then the chart upload failed: the retry uploads without posting again.
      slack.fail('upload', { status: 500 }, 3);
      const wed = new Date('2024-03-06T09:10:00Z');
      const h4 = await startHarness(ctx().database, {
        env: { ...env, LOUPE_DIGEST_CHANNELS: 'C0UPLOAD' },
        clock: { now: () => wed },
        slack,
      });
      try {
        expect(await h4.handler.sendDigests()).toEqual({ C0UPLOAD: 'failed' });
        expect(await h4.handler.sendDigests()).toEqual({ C0UPLOAD: 'sent' });
        expect(postsTo('C0UPLOAD')).toHaveLength(1);
      } finally {
        await h4.close();
      }
    } finally {
      await h3.close();
    }
  });

  it('the DST change day fires once (Europe/Berlin, 02:30 happens twice on 2024-10-27)', async () => {
    let now = new Date('2024-10-27T00:30:00Z'); // 02:30 CEST
    const h5 = await startHarness(ctx().database, {
      env: { LOUPE_DIGEST_CHANNELS: 'C0DST', LOUPE_DIGEST_CRON: '30 2 * * *', LOUPE_TZ: 'Europe/Berlin' },
      clock: { now: () => now },
      slack,
    });
    try {
      expect(await h5.handler.sendDigests()).toEqual({ C0DST: 'sent' });
      now = new Date('2024-10-27T01:30:00Z'); // 02:30 CET, the same wall time again
      expect(await h5.handler.sendDigests()).toEqual({ C0DST: 'taken' });
      now = new Date('2024-10-28T01:31:00Z'); // next day
      expect(await h5.handler.sendDigests()).toEqual({ C0DST: 'sent' });
      expect(postsTo('C0DST')).toHaveLength(2);
      const days = (await h5.deps.db.select().from(digests).where(eq(digests.channel, 'C0DST')))
        .map((r) => r.day)
        .sort();
      expect(days).toEqual(['2024-10-27', '2024-10-28']);
    } finally {
      await h5.close();
    }
  });

  it('a missed day is caught up at start', async () => {
    const h6 = await startHarness(ctx().database, {
      env: { ...env, LOUPE_DIGEST_CHANNELS: 'C0LATE' },
      clock: { now: () => new Date('2024-03-07T13:00:00Z') }, // Thursday, 4 h after 09:00
      slack,
      options: { schedule: true },
      runJobs: true,
    });
    try {
      await slack.waitFor(() => postsTo('C0LATE').length === 1);
      const [row] = await h6.deps.db.select().from(digests).where(eq(digests.channel, 'C0LATE'));
      expect(row.day).toBe('2024-03-07');
    } finally {
      await h6.close();
    }
  });
});
