import { Hono } from 'hono';
import type { Deps } from '../../src/deps.ts';
import type { BoardEnv } from '../env.ts';
import { BoardError } from '../errors.tsx';
import { parseObjectFilter } from '../filters.ts';
import { ObjectsPage } from '../pages/objects.tsx';
import { renderPage } from '../render.tsx';
import { loadRun, objectsPage } from '../views.ts';
import { type PageOptions, openBatchNames, runTab } from './page.ts';

/**
 * A detection run's object gallery: one card per box, by error type, class and score.
 *
 * @example
 * app.route('/', createObjectsRoutes(deps));
 */
export function createObjectsRoutes(deps: Deps, { playground = false }: PageOptions = {}) {
  const app = new Hono<BoardEnv>();
  app.get('/runs/:run/objects', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    if (run.kind !== 'detection')
      throw new BoardError(
        404,
        `Run "${run.name}" is a ${run.kind} run`,
        'Objects are the boxes of a detection run.',
      );
    const filter = parseObjectFilter(run, c.req.query());
    const [page, batches] = await Promise.all([objectsPage(deps, run, filter), openBatchNames(deps)]);
    return renderPage(
      c,
      { title: `Objects · ${run.name}`, run: runTab(run, 'objects'), playground },
      <ObjectsPage run={run} filter={filter} {...page} batches={batches} />,
    );
  });
  return app;
}
