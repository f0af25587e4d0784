import { Hono } from 'hono';
import { beforeAll, expect, it } from 'vitest';
import { createSlackHandler } from '../../bot/index.ts';
import { analyzeRun } from '../../src/analyze/run.ts';
import { getBatch } from '../../src/store/batches.ts';
import { lookupRunWithPool } from '../../src/store/run-lookup.ts';
import { createPlaygroundRoutes } from '../../web/playground.tsx';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { insertClassificationRun } from '../helpers/fixtures.ts';
import { seedRun } from './harness.ts';

// The digits demo's newest run has every row labeled: help's own `batch … from uncertain` example
// must still work, on the newest run that has an unlabeled pool.
describeEachDriver('pool commands pick a run with a pool', (ctx) => {
  let app: Hono;
  beforeAll(async () => {
    const deps = testDeps(ctx().database);
    await seedRun(deps, 'with-pool');
    const labeled = await insertClassificationRun(deps.db, {
      name: 'all-labeled',
      classNames: ['a', 'b'],
      labels: [0, 1, 1],
      probs: [
        [0.9, 0.1],
        [0.2, 0.8],
        [0.6, 0.4],
      ],
    });
    await analyzeRun(deps, labeled.runId);
    app = new Hono();
    app.route('/playground', createPlaygroundRoutes(deps, createSlackHandler(deps).playground));
  });

  const command = async (text: string) => {
    const res = await app.request('/playground/command', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    return ((await res.json()) as { messages: { html: string }[] }).messages.map((m) => m.html).join('\n');
  };

  it('finds the newest run with unlabeled rows', async () => {
    expect((await lookupRunWithPool(ctx().database.db))?.name).toBe('with-pool');
  });

  it('`batch week-12 from uncertain 3` uses that run, and a named run without a pool says why', async () => {
    expect(await command('batch week-12 from uncertain 3')).toContain('week-12');
    const batch = await getBatch(ctx().database.db, 'week-12');
    expect(batch.items).toHaveLength(3);
    expect(await command('uncertain 2')).toContain('with-pool');
    expect(await command('batch week-13 from uncertain 3 all-labeled')).toContain(
      'Nothing to put in a batch: <strong>all-labeled</strong> has no unlabeled rows',
    );
  });
});
