import { Hono } from 'hono';
import { sql } from 'drizzle-orm';
import type { Deps } from '../src/deps.ts';
import { listRuns } from '../src/store/runs.ts';

/**
 * The board and its JSON API.
 *
 * @example
 * const app = createWebApp(deps);
 * const res = await app.request('/api/runs');
 */
export function createWebApp(deps: Deps): Hono {
  const app = new Hono();

  app.get('/healthz', async (c) => {
    try {
      await deps.db.execute(sql`select 1`);
      return c.json({ ok: true, database: deps.database.driver });
    } catch {
      return c.json({ ok: false, error: 'database unavailable' }, 503);
    }
  });

  app.get('/api/runs', async (c) => c.json({ runs: await listRuns(deps.db) }));

  app.onError((err, c) => {
    deps.logger.error('request failed', { path: c.req.path, error: err.message, stack: err.stack });
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}
