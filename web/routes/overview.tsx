import { Hono } from 'hono';
import type { Deps } from '../../src/deps.ts';
import type { BoardEnv } from '../env.ts';
import { OverviewPage } from '../pages/overview.tsx';
import { renderPage } from '../render.tsx';
import { loadRun } from '../views.ts';
import { type PageOptions, runTab } from './page.ts';

/**
 * A run's overview: its metrics and charts.
 *
 * @example
 * app.route('/', createOverviewRoutes(deps));
 */
export function createOverviewRoutes(deps: Deps, { playground = false }: PageOptions = {}) {
  const app = new Hono<BoardEnv>();
  app.get('/runs/:run', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    return renderPage(
      c,
      { title: run.name, run: runTab(run, 'overview'), charts: true, playground },
      <OverviewPage run={run} />,
    );
  });
  return app;
}
