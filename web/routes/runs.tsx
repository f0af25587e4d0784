import { Hono } from 'hono';
import type { Deps } from '../../src/deps.ts';
import { listRuns } from '../../src/store/runs.ts';
import type { BoardEnv } from '../env.ts';
import { RunsPage } from '../pages/runs.tsx';
import { renderPage } from '../render.tsx';
import type { PageOptions } from './page.ts';

/**
 * The home page: every run.
 *
 * @example
 * app.route('/', createRunsRoutes(deps));
 */
export function createRunsRoutes(deps: Deps, { playground = false }: PageOptions = {}) {
  const app = new Hono<BoardEnv>();
  app.get('/', async (c) =>
    renderPage(c, { title: 'Runs', playground }, <RunsPage runs={await listRuns(deps.db)} />),
  );
  return app;
}
