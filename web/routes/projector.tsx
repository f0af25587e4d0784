import { Hono } from 'hono';
import { colorCategories, projectorSpec } from '../../src/charts/projector.ts';
import type { Deps } from '../../src/deps.ts';
import type { BoardEnv } from '../env.ts';
import { parseColorBy } from '../filters.ts';
import { ProjectorPage } from '../pages/projector.tsx';
import { renderPage } from '../render.tsx';
import { loadRun } from '../views.ts';
import { type PageOptions, openBatchNames, runTab } from './page.ts';

/**
 * A run's embedding projector; the client script fetches the points and draws them.
 *
 * @example
 * app.route('/', createProjectorRoutes(deps));
 */
export function createProjectorRoutes(deps: Deps, { playground = false }: PageOptions = {}) {
  const app = new Hono<BoardEnv>();
  app.get('/runs/:run/projector', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    const colorBy = parseColorBy(c.req.query('color'));
    const categories = colorCategories(colorBy, run.classNames);
    // The client sets the point size once it knows how many points there are.
    const spec = projectorSpec({ colorBy, categories, points: 0 });
    return renderPage(
      c,
      {
        title: `Projector · ${run.name}`,
        run: runTab(run, 'projector'),
        charts: true,
        scripts: ['/static/projector.js'],
        playground,
      },
      <ProjectorPage
        run={run}
        colorBy={colorBy}
        categories={categories}
        spec={spec}
        batches={await openBatchNames(deps)}
      />,
    );
  });
  return app;
}
