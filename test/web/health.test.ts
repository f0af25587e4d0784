import { expect, it } from 'vitest';
import { createWebApp } from '../../web/app.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';

describeEachDriver('health and runs API', (ctx) => {
  it('answers /healthz with 200 while the database answers', async () => {
    const app = createWebApp(testDeps(ctx().database));
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, database: ctx().driver });
  });

  it('lists no runs on an empty database', async () => {
    const app = createWebApp(testDeps(ctx().database));
    const res = await app.request('/api/runs');
    expect(await res.json()).toEqual({ runs: [] });
  });
});
