import { Hono } from 'hono';
import { runCompute } from '../../src/compute/pool.ts';
import type { Deps } from '../../src/deps.ts';
import { formatBatchExport } from '../../src/export/batch-format.ts';
import { batchExportDocument, closeBatch, getBatch, listBatches } from '../../src/store/batches.ts';
import { requireWriter } from '../actions.ts';
import type { BoardEnv } from '../env.ts';
import { BoardError } from '../errors.tsx';
import { BatchPage, BatchesPage, batchPath } from '../pages/batches.tsx';
import type { Card } from '../pages/cards.tsx';
import { renderPage } from '../render.tsx';
import { decorate } from '../views.ts';
import type { PageOptions } from './page.ts';

/** Exports up to this many items are formatted on the request thread (a few ms); larger ones in the pool. */
export const INLINE_EXPORT_ITEMS = 5000;

/**
 * Labeling batches: the list, one batch's page, its CSV/JSON export, and closing it (a form POST).
 *
 * @example
 * app.route('/', createBatchRoutes(deps));
 */
export function createBatchRoutes(deps: Deps, { playground = false }: PageOptions = {}) {
  const app = new Hono<BoardEnv>();

  app.get('/batches', async (c) =>
    renderPage(c, { title: 'Batches', playground }, <BatchesPage batches={await listBatches(deps.db)} />),
  );

  app.get('/batches/:name/export.:format{csv|json}', async (c) => {
    const name = batchName(c.req.param('name'));
    const format = c.req.param('format') as 'csv' | 'json';
    const publicUrl = deps.config.LOUPE_PUBLIC_URL;
    const doc = await batchOrNotFound(() => batchExportDocument(deps.db, name, { publicUrl }));
    // Formatting is linear in the items: a labeling-size batch is formatted here, a large one in the pool.
    const body =
      doc.items.length <= INLINE_EXPORT_ITEMS
        ? formatBatchExport(doc, format)
        : await runCompute(deps, 'batchExport', { doc, format });
    const file = `${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.${format}`;
    c.header(
      'Content-Type',
      format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
    );
    c.header('Content-Disposition', `attachment; filename="${file}"`);
    return c.body(body);
  });

  app.get('/batches/:name', async (c) => {
    const name = batchName(c.req.param('name'));
    const batch = await batchOrNotFound(() => getBatch(deps.db, name));
    const cards: Card[] = batch.items.map((it) => ({
      rowId: it.rowId,
      id: it.id,
      imageUrl: it.imageUrl,
      width: it.width,
      height: it.height,
      label: it.label,
      predicted: it.predicted,
      confidence: null,
      iou: null,
    }));
    return renderPage(
      c,
      { title: `Batch ${batch.name}`, playground },
      <BatchPage batch={batch} csrf={c.get('csrf')} cards={await decorate(deps, null, cards)} />,
    );
  });

  app.post('/batches/:name/close', async (c) => {
    requireWriter(deps, c.get('session').user);
    const name = batchName(c.req.param('name'));
    const batch = await batchOrNotFound(() => closeBatch(deps.db, name));
    deps.logger.info('batch closed', { batch: batch.name, actor: c.get('session').user });
    return c.redirect(batchPath(batch.name), 303);
  });
  app.get('/batches/:name/close', () => {
    throw new BoardError(405, 'Closing a batch is a POST from the batch page');
  });

  return app;
}

function batchName(raw: string): string {
  const name = decodeURIComponent(raw);
  if (!name.trim() || name.length > 200) throw new BoardError(400, 'batch name must be 1–200 characters');
  return name;
}

/** Store lookups by name throw BatchError for a missing batch: show it as a 404. */
async function batchOrNotFound<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as Error).name === 'BatchError') throw new BoardError(404, (err as Error).message);
    throw err;
  }
}
