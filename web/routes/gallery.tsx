import { Hono } from 'hono';
import type { Deps } from '../../src/deps.ts';
import type { BoardEnv } from '../env.ts';
import { parseErrorFilter } from '../filters.ts';
import { GalleryPage } from '../pages/gallery.tsx';
import { renderPage } from '../render.tsx';
import { errorsPage, loadRun } from '../views.ts';
import { type PageOptions, openBatchNames, runTab } from './page.ts';

/**
 * A run's error gallery: rows filtered by outcome, IoU, confidence, class, tag and decision.
 *
 * @example
 * app.route('/', createGalleryRoutes(deps));
 */
export function createGalleryRoutes(deps: Deps, { playground = false }: PageOptions = {}) {
  const app = new Hono<BoardEnv>();
  app.get('/runs/:run/gallery', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    const filter = parseErrorFilter(run, c.req.query());
    const [page, batches] = await Promise.all([errorsPage(deps, run, filter), openBatchNames(deps)]);
    return renderPage(
      c,
      { title: `Errors · ${run.name}`, run: runTab(run, 'gallery'), playground },
      <GalleryPage run={run} filter={filter} {...page} batches={batches} />,
    );
  });
  return app;
}
