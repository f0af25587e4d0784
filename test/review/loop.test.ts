import { beforeAll, expect, it } from 'vitest';
import { DIGITS_DEMO } from '../../src/demo/settings.ts';
import { reviewLoop } from '../../src/review/queue.ts';
import { createWebApp } from '../../web/app.ts';
import { digestMessage } from '../../bot/digest/message.ts';
import { parseCommand } from '../../bot/commands/parse.ts';
import { runCommand } from '../../bot/commands/run.ts';
import { defaultSources } from '../../bot/sources.ts';
import { buildDigest } from '../../src/digest/build.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { decideAndRerank, importDigits } from './digits-loop.ts';

describeEachDriver('the review loop on the digits demo', (ctx) => {
  let runId = 0;
  let result: Awaited<ReturnType<typeof decideAndRerank>>;

  beforeAll(async () => {
    const deps = testDeps(ctx().database);
    runId = (await importDigits(deps)).id;
    const before = await reviewLoop(deps, { id: runId, classNames: [] });
    expect(before.learned).toBeNull();
    expect(before.precision.all.decided).toBe(0);
    result = await decideAndRerank(deps, runId);
  }, 300_000);

  it('counts every decision as a verdict on its flag', () => {
    expect(result.decided).toBe(30);
    expect(result.precision.all).toEqual({ key: 'all', confirmed: result.confirmedFirst, decided: 30 });
    const cl = result.precision.methods.find((m) => m.key === 'confident_learning');
    expect(cl?.decided).toBeGreaterThan(0);
    expect(result.remaining).toBeGreaterThan(20);
  });

  it('shows flag precision and the learned order with its cross-validated precision on the mislabel queue', async () => {
    const app = createWebApp(testDeps(ctx().database));
    const html = await (await app.request(`/runs/${DIGITS_DEMO.run}/mislabels`)).text();
    expect(html).toMatch(/label flags: \d+ of \d+ confirmed/);
    expect(html).toContain(
      `re-ranked by what reviewers decided (30 verdicts): cross-validated precision ${result.cv.model.toFixed(2)}, original order ${result.cv.original.toFixed(2)}`,
    );
    expect(html).toContain('Show the original order');
    const original = await (await app.request(`/runs/${DIGITS_DEMO.run}/mislabels?order=original`)).text();
    expect(original).toContain('Show the learned order');
    expect((await app.request(`/runs/${DIGITS_DEMO.run}/mislabels?order=sideways`)).status).toBe(400);
  });

  it('reports flag precision in the digest and in the Slack mislabels answer', async () => {
    const deps = testDeps(ctx().database);
    const digest = await buildDigest(deps, {
      day: '2024-05-06',
      since: new Date(0),
      listUncertain: defaultSources.listUncertain,
    });
    expect(digest.flagPrecision).toMatch(/label flags: \d+ of \d+ confirmed/);
    const links = { base: 'http://board', url: (path: string) => `http://board${path}` };
    expect(JSON.stringify(digestMessage(digest, links))).toContain(digest.flagPrecision as string);
    const reply = await runCommand(
      { deps, sources: defaultSources, links, command: '/loupe', user: 'U0ALICE' },
      parseCommand(`mislabels ${DIGITS_DEMO.run}`),
    );
    const text = JSON.stringify(reply.blocks);
    expect(text).toContain(digest.flagPrecision as string);
    expect(text).toContain('re-ranked by what reviewers decided (30 verdicts)');
  });
});
