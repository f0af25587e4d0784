import { Hono } from 'hono';
import type { Deps } from '../../src/deps.ts';
import { listMislabels } from '../../src/store/findings.ts';
import type { BoardEnv } from '../env.ts';
import type { Card } from '../pages/cards.tsx';
import { QueuePage, flagReason } from '../pages/queues.tsx';
import { parseCursor, parseLimit } from '../params.ts';
import { renderPage } from '../render.tsx';
import { withQuery } from '../safe-url.ts';
import { decorate, loadRun } from '../views.ts';
import { type PageOptions, openBatchNames, runTab } from './page.ts';

/**
 * A run's suspected mislabels, most likely wrong first, paged.
 *
 * @example
 * app.route('/', createMislabelsRoutes(deps));
 */
export function createMislabelsRoutes(deps: Deps, { playground = false }: PageOptions = {}) {
  const app = new Hono<BoardEnv>();
  app.get('/runs/:run/mislabels', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    const cursor = parseCursor(c.req.query('cursor'));
    const limit = parseLimit(c.req.query('limit'));
    const page = await listMislabels(deps.db, { runId: run.id, limit, cursor });
    const cards = await decorate(
      deps,
      run,
      page.items.map(
        (it): Card => ({
          rowId: it.rowId,
          id: it.id,
          imageUrl: it.imageUrl,
          width: it.width,
          height: it.height,
          label: it.given,
          predicted: it.predicted,
          confidence: it.confidence,
          iou: null,
          score: { name: 'label quality', value: it.score },
          reason: flagReason(it),
          focus:
            it.kind === 'label'
              ? undefined
              : {
                  gtBox: it.gtBox,
                  predBox: it.predBox,
                  gtLabel: it.given,
                  predLabel: it.suggested,
                  score: it.predScore,
                },
        }),
      ),
    );
    return renderPage(
      c,
      { title: `Suspected mislabels · ${run.name}`, run: runTab(run, 'mislabels'), playground },
      <QueuePage
        title="Suspected mislabels"
        intro="Rows whose label the model and the embedding neighbours contradict, most likely wrong first. Approve the label if it is right; send the row to rework if it is not."
        run={run}
        cards={cards}
        total={page.total}
        next={
          page.nextCursor
            ? withQuery(c.req.path, { cursor: page.nextCursor, limit: c.req.query('limit') })
            : null
        }
        batches={await openBatchNames(deps)}
      />,
    );
  });
  return app;
}
