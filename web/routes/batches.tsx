import { Hono } from 'hono';
import { runCompute } from '../../src/compute/pool.ts';
import type { Deps } from '../../src/deps.ts';
import { batchExport } from '../../src/export/batch-export.ts';
import { formatBatch } from '../../src/export/batch-format.ts';
import type { BatchExportFormat } from '../../src/export/handoff-document.ts';
import { LABEL_TOOLS, type LabelTool } from '../../src/import/labels-file.ts';
import { type LabelImportReport, importLabels } from '../../src/import/labels.ts';
import { batchProgress, batchRowStates } from '../../src/store/batch-work.ts';
import { closeBatch, getBatch, listBatches } from '../../src/store/batches.ts';
import { requireWriter } from '../actions.ts';
import type { BoardEnv } from '../env.ts';
import { BoardError } from '../errors.tsx';
import { BatchPage, BatchesPage, ImportReportPage, ROW_STATE_TEXT, batchPath } from '../pages/batches.tsx';
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
    renderPage(
      c,
      { title: 'Batches', playground },
      <BatchesPage batches={await listBatches(deps.db)} progress={await batchProgress(deps.db)} />,
    ),
  );

  app.get('/batches/:name/export.:format{csv|json|labelstudio|cvat|coco}', async (c) => {
    const name = batchName(c.req.param('name'));
    const format = c.req.param('format') as BatchExportFormat;
    const file = await batchOrNotFound(() => batchExport(deps, name, format));
    // Formatting is linear in the items: a labeling-size batch is formatted here, a large one in the pool.
    const body =
      file.rows <= INLINE_EXPORT_ITEMS
        ? formatBatch(file.input)
        : await runCompute(deps, 'batchExport', file.input);
    c.header('Content-Type', file.contentType);
    c.header('Content-Disposition', `attachment; filename="${file.fileName}"`);
    return c.body(body);
  });

  app.get('/batches/:name', async (c) => {
    const name = batchName(c.req.param('name'));
    const batch = await batchOrNotFound(() => getBatch(deps.db, name));
    const [[progress], states] = await Promise.all([
      batchProgress(deps.db, { names: [batch.name] }),
      batchRowStates(deps.db, batch.id),
    ]);
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
      reason: ROW_STATE_TEXT[states.get(it.rowId) ?? 'pending'],
    }));
    return renderPage(
      c,
      { title: `Batch ${batch.name}`, playground },
      <BatchPage
        batch={batch}
        progress={progress}
        states={states}
        csrf={c.get('csrf')}
        cards={await decorate(deps, null, cards)}
      />,
    );
  });

  app.post('/batches/:name/import', async (c) => {
    const user = c.get('session').user;
    requireWriter(deps, user);
    const name = batchName(c.req.param('name'));
    const batch = await batchOrNotFound(() => getBatch(deps.db, name));
    const form = await c.req.parseBody();
    const tool = String(form.tool ?? '');
    if (!(LABEL_TOOLS as readonly string[]).includes(tool))
      throw new BoardError(400, `tool must be one of ${LABEL_TOOLS.join(', ')}`);
    const file = form.file;
    if (!(file instanceof File) || file.size === 0)
      throw new BoardError(400, "choose the labeling tool's export file to import");
    const dataset = batch.items[0]?.dataset;
    if (!dataset) throw new BoardError(400, `batch "${batch.name}" has no rows to import labels for`);
    let report: LabelImportReport;
    try {
      report = await importLabels(deps, {
        dataset,
        tool: tool as LabelTool,
        file: file.name.slice(0, 200),
        text: await file.text(),
        actor: user,
      });
    } catch (err) {
      const e = err as Error;
      if (e.name === 'LabelFileError' || e.name === 'LabelImportError') throw new BoardError(400, e.message);
      throw err;
    }
    deps.logger.info('labels imported', { batch: batch.name, tool, version: report.version, actor: user });
    return renderPage(
      c,
      { title: `Imported labels · ${batch.name}`, playground },
      <ImportReportPage batch={batch.name} report={report} />,
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
    if ((err as Error).name === 'BatchExportError') throw new BoardError(400, (err as Error).message);
    throw err;
  }
}
