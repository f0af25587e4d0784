import { Hono } from 'hono';
import type { Deps } from '../../src/deps.ts';
import { STRATEGIES } from '../../src/findings/uncertainty.ts';
import { listUncertain } from '../../src/store/findings.ts';
import type { BoardEnv } from '../env.ts';
import { parseStrategy } from '../filters.ts';
import type { Card } from '../pages/cards.tsx';
import { QueuePage } from '../pages/queues.tsx';
import { parseLimit } from '../params.ts';
import { renderPage } from '../render.tsx';
import { decorate, loadRun } from '../views.ts';
import { type PageOptions, openBatchNames, runTab } from './page.ts';

/**
 * A run's unlabeled rows the model is least sure about, by strategy, optionally kept diverse.
 *
 * @example
 * app.route('/', createUncertainRoutes(deps));
 */
export function createUncertainRoutes(deps: Deps, { playground = false }: PageOptions = {}) {
  const app = new Hono<BoardEnv>();
  app.get('/runs/:run/uncertain', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    const strategy = parseStrategy(c.req.query('strategy'));
    const limit = parseLimit(c.req.query('limit'));
    const diverse = c.req.query('diverse') !== '0';
    const { items } = await listUncertain(deps, { runId: run.id, strategy, limit, diverse });
    const cards = await decorate(
      deps,
      run,
      items.map(
        (it): Card => ({
          rowId: it.rowId,
          id: it.id,
          imageUrl: it.imageUrl,
          width: null,
          height: null,
          label: null,
          predicted: it.predicted,
          confidence: null,
          iou: null,
          score: { name: strategy, value: it.score },
          reason: `unlabeled; the model is unsure (${strategy} ${it.score.toFixed(3)})`,
        }),
      ),
    );
    const controls = (
      <form class="filters" method="get" action={c.req.path}>
        <label>
          strategy{' '}
          <select name="strategy">
            {STRATEGIES.map((s) => (
              <option value={s} selected={s === strategy}>
                {s === 'least' ? 'least confidence' : s}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" name="diverse" value="1" checked={diverse} /> diverse
        </label>
        <input type="hidden" name="limit" value={String(limit)} />
        <button type="submit">Apply</button>
      </form>
    );
    return renderPage(
      c,
      { title: `Uncertain · ${run.name}`, run: runTab(run, 'uncertain'), playground },
      <QueuePage
        title="Uncertain (unlabeled)"
        intro="Unlabeled rows the model is least sure about, kept diverse in embedding space: the best next rows to label. Select them and add them to a batch."
        controls={controls}
        run={run}
        cards={cards}
        batches={await openBatchNames(deps)}
      />,
    );
  });
  return app;
}
