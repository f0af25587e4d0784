import { Hono } from 'hono';
import type { Deps } from '../../src/deps.ts';
import { findSimilar } from '../../src/vectors/similar.ts';
import type { BoardEnv } from '../env.ts';
import { CardGrid } from '../pages/cards.tsx';
import { QueuePage } from '../pages/queues.tsx';
import { parseLimit, parseRowIds } from '../params.ts';
import { renderPage } from '../render.tsx';
import { cardsForRows, loadRun } from '../views.ts';
import { type PageOptions, openBatchNames, runTab } from './page.ts';

/**
 * Rows nearest in embedding space to a selection, closest first, under the selection itself.
 *
 * @example
 * app.route('/', createSimilarRoutes(deps));
 */
export function createSimilarRoutes(deps: Deps, { playground = false }: PageOptions = {}) {
  const app = new Hono<BoardEnv>();
  app.get('/runs/:run/similar', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    const rowIds = parseRowIds(c.req.query('rows'), { field: 'rows', max: 200 });
    const limit = parseLimit(c.req.query('limit'));
    const unlabeledOnly = c.req.query('unlabeled') !== '0';
    const { items } = await findSimilar(deps, { runId: run.id, rowIds, limit, unlabeledOnly });
    const distance = new Map(items.map((it) => [it.rowId, it.distance]));
    // The rows asked about come first, so the results can be judged against them.
    const asked = await cardsForRows(deps, run, rowIds);
    const cards = await cardsForRows(
      deps,
      run,
      items.map((it) => it.rowId),
      (rowId) => ({ score: { name: 'distance', value: distance.get(rowId) ?? 0 } }),
    );
    return renderPage(
      c,
      { title: `Similar · ${run.name}`, run: runTab(run, 'similar'), playground },
      <QueuePage
        title={`Rows similar to ${rowIds.length} selected`}
        intro={`${unlabeledOnly ? 'Unlabeled rows' : 'Rows'} nearest in embedding space to the selection, closest first: ready to batch.`}
        controls={
          <section class="query-rows" aria-label="selected rows">
            <h2>Selected ({asked.length})</h2>
            <CardGrid cards={asked} run={run.name} runId={run.id} actions={false} />
            <h2>Nearest</h2>
          </section>
        }
        run={run}
        cards={cards}
        batches={await openBatchNames(deps)}
      />,
    );
  });
  return app;
}
