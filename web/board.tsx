import { Hono } from 'hono';
import type { Deps } from '../src/deps.ts';
import type { BoardEnv } from './env.ts';
import { createBatchRoutes } from './routes/batches.tsx';
import { createCompareRoutes } from './routes/compare.tsx';
import { createGalleryRoutes } from './routes/gallery.tsx';
import { createMislabelsRoutes } from './routes/mislabels.tsx';
import { createObjectsRoutes } from './routes/objects.tsx';
import { createOverviewRoutes } from './routes/overview.tsx';
import type { PageOptions } from './routes/page.ts';
import { createProjectorRoutes } from './routes/projector.tsx';
import { createReworkRoutes } from './routes/rework.tsx';
import { createRowRoutes } from './routes/row.tsx';
import { createRunsRoutes } from './routes/runs.tsx';
import { createSimilarRoutes } from './routes/similar.tsx';
import { createUncertainRoutes } from './routes/uncertain.tsx';

/**
 * The board's pages (server-rendered; the client script only adds selection, actions and charts),
 * one sub-app per page. Each states its full paths, so the board is mounted at '/' after the
 * access, request-guard and CSP middleware of the web app.
 *
 * @example
 * app.route('/', createBoardRoutes(deps, { playground: true }));
 */
export function createBoardRoutes(deps: Deps, opts: PageOptions = {}) {
  const app = new Hono<BoardEnv>();
  app.route('/', createRunsRoutes(deps, opts));
  app.route('/', createOverviewRoutes(deps, opts));
  app.route('/', createGalleryRoutes(deps, opts));
  app.route('/', createObjectsRoutes(deps, opts));
  app.route('/', createMislabelsRoutes(deps, opts));
  app.route('/', createUncertainRoutes(deps, opts));
  app.route('/', createSimilarRoutes(deps, opts));
  app.route('/', createProjectorRoutes(deps, opts));
  app.route('/', createRowRoutes(deps, opts));
  app.route('/', createBatchRoutes(deps, opts));
  app.route('/', createReworkRoutes(deps, opts));
  app.route('/', createCompareRoutes(deps, opts));
  return app;
}
