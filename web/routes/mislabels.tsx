import { Hono } from 'hono';
import type { Deps } from '../../src/deps.ts';
import type { BoardEnv } from '../env.ts';
import type { Card } from '../pages/cards.tsx';
import { QueuePage, flagReason } from '../pages/queues.tsx';
import { renderPage } from '../render.tsx';
import { ReviewLoopNote, mislabelQueue } from '../review-loop.tsx';
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
    const { page, next, loop, order } = await mislabelQueue(deps, run, c.req.path, c.req.query());
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
        controls={<ReviewLoopNote loop={loop} order={order} path={c.req.path} />}
        run={run}
        cards={cards}
        total={page.total}
        next={next}
        batches={await openBatchNames(deps)}
      />,
    );
  });
  return app;
}
