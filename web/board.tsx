import { STRATEGIES, type Strategy } from '../src/findings/uncertainty.ts';
import { Hono } from 'hono';
import { COLOR_BY, type ColorBy, colorCategories, projectorSpec } from '../src/charts/projector.ts';
import { runCompute } from '../src/compute/pool.ts';
import type { Deps } from '../src/deps.ts';
import { formatBatch } from '../src/export/batch-format.ts';
import { batchExport } from '../src/export/batch-export.ts';
import type { BatchExportFormat } from '../src/export/handoff-document.ts';
import { closeBatch, getBatch, listBatches } from '../src/store/batches.ts';
import { listMislabels, listUncertain } from '../src/store/findings.ts';
import { listRework } from '../src/store/reviews.ts';
import { getRowDetail } from '../src/store/rows.ts';
import { listRuns } from '../src/store/runs.ts';
import { findSimilar } from '../src/vectors/similar.ts';
import { requireWriter } from './actions.ts';
import type { BoardEnv } from './env.ts';
import { BoardError } from './errors.tsx';
import { BatchPage, BatchesPage, ReworkPage, batchPath } from './pages/batches.tsx';
import { type Card, CardGrid } from './pages/cards.tsx';
import { GalleryPage } from './pages/gallery.tsx';
import { OBJECT_IOUS, type ObjectFilter, ObjectsPage } from './pages/objects.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { ProjectorPage } from './pages/projector.tsx';
import { QueuePage, flagReason } from './pages/queues.tsx';
import { RowPage } from './pages/row.tsx';
import { RunsPage } from './pages/runs.tsx';
import {
  optionalText,
  parseClass,
  parseCursor,
  parseDecision,
  parseIouBelow,
  parseLimit,
  parseRowId,
  parseRowIds,
  parseSort,
} from './params.ts';
import { renderPage } from './render.tsx';
import { withQuery } from './safe-url.ts';
import {
  type BoardRun,
  type ErrorFilter,
  OUTCOMES,
  type Outcome,
  cardsForRows,
  decorate,
  errorsPage,
  loadRun,
  objectsPage,
} from './views.ts';
import { ERROR_TYPES } from '../src/metrics/detection-errors.ts';
import { OBJECT_KINDS, OBJECT_SORTS, listObjects } from '../src/store/objects.ts';

export const UNCERTAINTY = STRATEGIES;

/** Exports up to this many items are formatted on the request thread (a few ms); larger ones in the pool. */
export const INLINE_EXPORT_ITEMS = 5000;

/** Parse the gallery filter from the query string; unknown classes are refused with suggestions. */
export function parseErrorFilter(run: BoardRun, q: Record<string, string>): ErrorFilter {
  const detection = run.kind === 'detection';
  // Classification views filter by outcome; an iou_lt from an older link still means what it did.
  const outcome = detection || q.iou_lt ? undefined : parseOutcome(q.outcome);
  return {
    iouBelow: outcome ? (outcome === 'wrong' ? 0.5 : null) : parseIouBelow(q.iou_lt),
    outcome,
    minConfidence: parseFraction(q.conf_min, 'conf_min'),
    maxConfidence: parseFraction(q.conf_max, 'conf_max'),
    sort: parseSort(q.sort),
    limit: parseLimit(q.limit),
    cursor: parseCursor(q.cursor),
    label: parseClass(q.label, run.classNames, { field: 'label', background: detection }),
    predicted: parseClass(q.predicted, run.classNames, { field: 'predicted', background: detection }),
    tag: optionalText(q.tag, 'tag', 64),
    decision: parseDecision(q.decision),
  };
}

function parseOutcome(raw: string | undefined): Outcome {
  if (raw === undefined || raw === '') return 'wrong';
  if ((OUTCOMES as string[]).includes(raw)) return raw as Outcome;
  throw new BoardError(400, `outcome must be one of ${OUTCOMES.join(', ')}, got "${raw.slice(0, 40)}"`);
}

/** An optional number in [0, 1] (a confidence bound). */
function parseFraction(raw: string | undefined, field: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const v = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw) || !(v >= 0 && v <= 1))
    throw new BoardError(400, `${field} must be a number between 0 and 1, got "${raw.slice(0, 40)}"`);
  return v;
}

/** The object gallery's filter from the query string; every value is checked and named when wrong. */
export function parseObjectFilter(run: BoardRun, q: Record<string, string>): ObjectFilter {
  const oneOf = (field: string, raw: string | undefined, allowed: readonly string[]) => {
    if (raw === undefined || raw === '') return undefined;
    if (allowed.includes(raw)) return raw;
    throw new BoardError(400, `${field} must be one of ${allowed.join(', ')}, got "${raw.slice(0, 40)}"`);
  };
  const cls = (field: string, raw: string | undefined) => {
    const i = parseClass(raw, run.classNames, { field, background: true });
    return i === undefined ? undefined : i === run.classNames.length ? 'background' : run.classNames[i];
  };
  const minScore = q.min_score;
  if (minScore !== undefined && minScore !== '' && !(/^\d*\.?\d+$/.test(minScore) && Number(minScore) <= 1))
    throw new BoardError(400, `min_score must be a number between 0 and 1, got "${minScore.slice(0, 40)}"`);
  return {
    iou: oneOf('iou', q.iou, OBJECT_IOUS) ?? '0.5',
    kind: oneOf('kind', q.kind, OBJECT_KINDS),
    type: oneOf('type', q.type, ERROR_TYPES),
    gt: cls('gt', q.gt),
    pred: cls('pred', q.pred),
    minScore: minScore || undefined,
    sort: oneOf('sort', q.sort, OBJECT_SORTS) ?? 'confidence:desc',
    limit: q.limit ? String(parseLimit(q.limit)) : undefined,
    cursor: parseCursor(q.cursor),
  };
}

export function parseStrategy(raw: string | undefined): Strategy {
  if (raw === undefined || raw === '') return 'least';
  if ((UNCERTAINTY as readonly string[]).includes(raw)) return raw as Strategy;
  throw new BoardError(400, `strategy must be one of ${UNCERTAINTY.join(', ')}, got "${raw.slice(0, 40)}"`);
}

export function parseColorBy(raw: string | undefined): ColorBy {
  if (raw === undefined || raw === '') return 'label';
  if ((COLOR_BY as string[]).includes(raw)) return raw as ColorBy;
  throw new BoardError(400, `color must be one of ${COLOR_BY.join(', ')}, got "${raw.slice(0, 40)}"`);
}

const openBatchNames = async (deps: Deps) =>
  (await listBatches(deps.db)).filter((b) => b.status === 'open').map((b) => b.name);

/**
 * The board's pages (server-rendered; the client script only adds selection, actions and charts).
 *
 * @example
 * app.route('/', createBoardRoutes(deps, { playground: true }));
 */
export function createBoardRoutes(deps: Deps, { playground = false }: { playground?: boolean } = {}) {
  const app = new Hono<BoardEnv>();
  const tab = (run: BoardRun, active: NonNullable<Parameters<typeof renderPage>[1]['run']>['active']) => ({
    name: run.name,
    kind: run.kind,
    active,
    pending: run.pending,
  });

  app.get('/', async (c) =>
    renderPage(c, { title: 'Runs', playground }, <RunsPage runs={await listRuns(deps.db)} />),
  );

  app.get('/runs/:run', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    return renderPage(
      c,
      { title: run.name, run: tab(run, 'overview'), charts: true, playground },
      <OverviewPage run={run} />,
    );
  });

  app.get('/runs/:run/gallery', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    const filter = parseErrorFilter(run, c.req.query());
    const [page, batches] = await Promise.all([errorsPage(deps, run, filter), openBatchNames(deps)]);
    return renderPage(
      c,
      { title: `Errors · ${run.name}`, run: tab(run, 'gallery'), playground },
      <GalleryPage run={run} filter={filter} {...page} batches={batches} />,
    );
  });

  app.get('/runs/:run/objects', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    if (run.kind !== 'detection')
      throw new BoardError(
        404,
        `Run "${run.name}" is a ${run.kind} run`,
        'Objects are the boxes of a detection run.',
      );
    const filter = parseObjectFilter(run, c.req.query());
    const [page, batches] = await Promise.all([objectsPage(deps, run, filter), openBatchNames(deps)]);
    return renderPage(
      c,
      { title: `Objects · ${run.name}`, run: tab(run, 'objects'), playground },
      <ObjectsPage run={run} filter={filter} {...page} batches={batches} />,
    );
  });

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
      { title: `Suspected mislabels · ${run.name}`, run: tab(run, 'mislabels'), playground },
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
            {UNCERTAINTY.map((s) => (
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
      { title: `Uncertain · ${run.name}`, run: tab(run, 'uncertain'), playground },
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
      { title: `Similar · ${run.name}`, run: tab(run, 'similar'), playground },
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
        run: tab(run, 'projector'),
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
            items: (await listObjects(deps.db, { runId: run.id, t: 0, rowId, sort: 'iou:asc', limit: 1000 }))
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

  app.get('/batches', async (c) =>
    renderPage(c, { title: 'Batches', playground }, <BatchesPage batches={await listBatches(deps.db)} />),
  );

  const batchName = (raw: string) => {
    const name = decodeURIComponent(raw);
    if (!name.trim() || name.length > 200) throw new BoardError(400, 'batch name must be 1–200 characters');
    return name;
  };

  app.get('/batches/:name/export.:format{csv|json|labelstudio|cvat|coco}', async (c) => {
    const name = batchName(c.req.param('name'));
    const format = c.req.param('format') as BatchExportFormat;
    const file = await exportOrNotFound(() => batchExport(deps, name, format));
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
    const batch = await exportOrNotFound(() => getBatch(deps.db, name));
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
    const batch = await exportOrNotFound(() => closeBatch(deps.db, name));
    deps.logger.info('batch closed', { batch: batch.name, actor: c.get('session').user });
    return c.redirect(batchPath(batch.name), 303);
  });
  app.get('/batches/:name/close', () => {
    throw new BoardError(405, 'Closing a batch is a POST from the batch page');
  });

  app.get('/rework', async (c) => {
    const cursor = parseCursor(c.req.query('cursor'));
    const page = await listRework(deps.db, { limit: parseLimit(c.req.query('limit')), cursor });
    const cards: Card[] = page.items.map((it) => ({
      rowId: it.rowId,
      id: it.id,
      imageUrl: it.imageUrl,
      width: null,
      height: null,
      label: it.label,
      predicted: null,
      confidence: null,
      iou: null,
      reason: reworkReason(it),
    }));
    return renderPage(
      c,
      { title: 'Rework queue', playground },
      <ReworkPage
        items={page.items}
        total={page.total}
        next={page.nextCursor ? withQuery('/rework', { cursor: page.nextCursor }) : null}
        cards={await decorate(deps, null, cards)}
      />,
    );
  });

  return app;
}

/** What a re-labeler reads on a rework card: the suggested class, who sent the row back, and their note. */
function reworkReason(it: {
  suggested: string | null;
  actor: string;
  actorName: string | null;
  note: string | null;
}) {
  const suggested = it.suggested ? `suggested ${it.suggested} · ` : '';
  return `${suggested}sent by ${it.actorName ?? it.actor}${it.note ? `: ${it.note}` : ''}`;
}

/** Store lookups by name throw BatchError for a missing batch: show it as a 404. */
async function exportOrNotFound<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as Error).name === 'BatchError') throw new BoardError(404, (err as Error).message);
    if ((err as Error).name === 'BatchExportError') throw new BoardError(400, (err as Error).message);
    throw err;
  }
}
