import { expect, it } from 'vitest';
import { claimJob, completeJob, enqueueJobs, heartbeatJob } from '../../src/store/jobs.ts';
import { createWebApp } from '../../web/app.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { insertBoardFixture } from '../web/fixtures.ts';

describeEachDriver('board shows pending jobs', (ctx) => {
  it('says "projection 45%" on the run pages while the projection job runs, and nothing once done', async () => {
    const { database } = ctx();
    const fx = await insertBoardFixture(database.db);
    const app = createWebApp(testDeps(database));
    await enqueueJobs(database, [{ kind: 'projection', runId: fx.runId }]);
    const queued = await (await app.request(`/runs/${fx.runName}/projector`)).text();
    expect(queued).toContain('<span class="pending"');
    expect(queued).toContain('projection queued');

    const job = await claimJob(database, { worker: 'w1', leaseMs: 60_000, runId: fx.runId });
    await heartbeatJob(database, job!.id, { worker: 'w1', leaseMs: 60_000, progress: 0.45 });
    const projector = await (await app.request(`/runs/${fx.runName}/projector`)).text();
    expect(projector).toContain('The map is being computed (projection 45%); reload in a moment.');
    const overview = await (await app.request(`/runs/${fx.runName}`)).text();
    expect(overview).toContain('>projection 45%</span>');

    expect((await completeJob(database, job!.id, { worker: 'w1' })).completed).toBe(true);
    expect(await (await app.request(`/runs/${fx.runName}`)).text()).not.toContain('class="pending"');
  });
});
