import { Hono } from 'hono';
import type { Deps } from '../../src/deps.ts';
import { listObjects } from '../../src/store/objects.ts';
import { getRowDetail } from '../../src/store/rows.ts';
import { findSimilar } from '../../src/vectors/similar.ts';
import type { BoardEnv } from '../env.ts';
import { BoardError } from '../errors.tsx';
import type { Card } from '../pages/cards.tsx';
import { RowPage } from '../pages/row.tsx';
import { parseRowId } from '../params.ts';
import { renderPage } from '../render.tsx';
import { cardsForRows, loadRun } from '../views.ts';
import { type PageOptions, openBatchNames } from './page.ts';

/**
 * One row: its card in a run (the `run` query, else the first run that predicted it), its history,
 * its nearest rows and, for detection, its boxes.
 *
 * @example
 * app.route('/', createRowRoutes(deps));
 */
export function createRowRoutes(deps: Deps, { playground = false }: PageOptions = {}) {
  const app = new Hono<BoardEnv>();
  app.get('/rows/:id', async (c) => {
    const rowId = parseRowId(c.req.param('id'));
    const detail = await getRowDetail(deps.db, rowId);
    if (!detail) throw new BoardError(404, `No row with id ${rowId}`);
    const runName = c.req.query('run') || detail.predictions[0]?.run;
    const run = runName ? await loadRun(deps, runName) : null;
    const [main] = run
      ? await cardsForRows(deps, run, [rowId])
      : [
          {
            rowId,
            id: detail.row.id,
            imageUrl: detail.row.imageUrl,
            text: detail.row.text,
            width: detail.row.width,
            height: detail.row.height,
            label: null,
            predicted: null,
            confidence: null,
            iou: null,
          } satisfies Card,
        ];
    let similar: Card[] = [];
    let similarNote: string | null = null;
    if (run) {
      try {
        const { items } = await findSimilar(deps, { runId: run.id, rowIds: [rowId], limit: 12 });
        const distance = new Map(items.map((it) => [it.rowId, it.distance]));
        similar = await cardsForRows(
          deps,
          run,
          items.map((it) => it.rowId),
          (id) => ({ score: { name: 'distance', value: distance.get(id) ?? 0 } }),
        );
      } catch (err) {
        // A run without embeddings has no neighbours; the page is still useful without them.
        similarNote = `No similar rows: ${(err as Error).message}`;
      }
    } else similarNote = 'No run has predictions for this row, so there is no embedding to search with.';
    const object = c.req.query('object');
    const objects =
      run?.kind === 'detection'
        ? {
            items: (await listObjects(deps, { runId: run.id, t: 0, rowId, sort: 'iou:asc', limit: 1000 }))
              .items,
            current: object ? parseRowId(object, 'object') : null,
            classNames: run.classNames,
          }
        : null;
    return renderPage(
      c,
      { title: `Row ${detail.row.id}`, playground },
      <RowPage
        detail={detail}
        run={run}
        main={main}
        similar={similar}
        similarNote={similarNote}
        batches={await openBatchNames(deps)}
        objects={objects}
      />,
    );
  });
  return app;
}
