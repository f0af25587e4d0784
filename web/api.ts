import { Hono } from 'hono';
import type { Decision } from '../src/store/database.ts';
import type { Deps } from '../src/deps.ts';
import { mediaThumbPath } from '../src/media/urls.ts';
import { listMislabels } from '../src/store/findings.ts';
import { listUncertain } from '../src/store/uncertain.ts';
import { listProjection, projectionVersion } from '../src/store/projections.ts';
import { latestDecisions } from '../src/store/reviews.ts';
import { getRowDetail } from '../src/store/rows.ts';
import { findRun } from '../src/store/run-lookup.ts';
import { listRuns } from '../src/store/runs.ts';
import { NoEmbeddingsError, noEmbeddingsAdvice } from '../src/vectors/index-cache.ts';
import { findSimilar } from '../src/vectors/similar.ts';
import { batchRows, decideRows } from './actions.ts';
import { parseErrorFilter, parseStrategy } from './filters.ts';
import type { BoardEnv } from './env.ts';
import { BoardError } from './errors.tsx';
import { type ProjectionColumns, createProjectionCache, projectionColumns } from './projection-data.ts';
import { parseCursor, parseLimit, parseRowId, parseRowIds, parseText } from './params.ts';
import { errorsPage, loadRun } from './views.ts';

const DECISION_VALUES: Decision[] = ['approve', 'rework', 'dismiss'];

async function jsonBody(c: { req: { json: () => Promise<unknown> } }): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new BoardError(400, 'the request body must be a JSON object');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new BoardError(400, 'the request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** A run id sent by the client, or null; checked to be a whole number. */
function optionalRunId(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
  if (typeof v === 'string' && /^\d{1,9}$/.test(v) && Number(v) > 0) return Number(v);
  throw new BoardError(400, 'runId must be a positive whole number');
}

/** Decisions of many rows, in chunks that stay under Postgres' 65,535 bind parameters. */
async function decisionsOf(deps: Deps, rowIds: number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (let i = 0; i < rowIds.length; i += 20_000) {
    const part = await latestDecisions(deps.db, rowIds.slice(i, i + 20_000));
    for (const [rowId, d] of part) out.set(rowId, d.decision);
  }
  return out;
}

/**
 * The JSON API under `/api`: same session as the board, errors as `{ error, status }`.
 *
 * @example
 * app.route('/api', createApiRoutes(deps));
 */
/** An item with the URL of its thumbnail, from the media module (null when it has no image). */
const withThumb = <T extends { rowId: number; imageUrl: string | null }>(item: T) => ({
  ...item,
  thumbUrl: mediaThumbPath(item),
});

export function createApiRoutes(deps: Deps) {
  const app = new Hono<BoardEnv>();

  app.get('/runs', async (c) => c.json({ runs: await listRuns(deps.db) }));

  app.get('/runs/:run/metrics', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    return c.json({ run: run.name, kind: run.kind, metrics: run.metrics });
  });

  app.get('/runs/:run/errors', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    const filter = parseErrorFilter(run, c.req.query());
    const page = await errorsPage(deps, run, filter);
    return c.json({
      run: run.name,
      total: page.total,
      totalExact: page.totalExact,
      nextCursor: page.nextCursor,
      items: page.cards.map(({ boxes, ...card }) => ({
        ...withThumb(card),
        boxes: boxes?.length ? boxes : undefined,
      })),
    });
  });

  app.get('/runs/:run/mislabels', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    const page = await listMislabels(deps.db, {
      runId: run.id,
      limit: parseLimit(c.req.query('limit')),
      cursor: parseCursor(c.req.query('cursor')),
    });
    return c.json({
      run: run.name,
      total: page.total,
      nextCursor: page.nextCursor,
      items: page.items.map(withThumb),
    });
  });

  app.get('/runs/:run/uncertain', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    const strategy = parseStrategy(c.req.query('strategy'));
    const { items } = await listUncertain(deps, {
      runId: run.id,
      strategy,
      limit: parseLimit(c.req.query('limit')),
      diverse: c.req.query('diverse') !== '0',
    });
    return c.json({
      run: run.name,
      strategy,
      items: items.map(withThumb),
    });
  });

  // Columnar and thinned to what the browser keeps interactive; cached per analysis of the run.
  const projections = createProjectionCache();
  const serialised = new WeakMap<ProjectionColumns, string>();
  app.get('/runs/:run/projection', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    const stored = await findRun(deps.db, run.name);
    // Its points change with a new projection, their colours with a new analysis.
    const key = `${run.id}:${stored?.analyzedAt?.toISOString() ?? 'never'}:${await projectionVersion(deps.db, run.id)}`;
    const columns = await projections.get(key, deps.clock.now().getTime(), async () =>
      projectionColumns(run.name, run.classNames, (await listProjection(deps.db, run.id)).points),
    );
    if (c.req.query('with') !== 'decision') {
      // Serialised once per cached projection: stringifying 100k points costs more than the lookup.
      let body = serialised.get(columns);
      if (!body) {
        body = JSON.stringify(columns);
        serialised.set(columns, body);
      }
      c.header('Content-Type', 'application/json; charset=UTF-8');
      return c.body(body);
    }
    const decisions = await decisionsOf(deps, columns.rowId);
    return c.json({ ...columns, decision: columns.rowId.map((id) => decisions.get(id) ?? 'none') });
  });

  app.get('/rows/:id', async (c) => {
    const rowId = parseRowId(c.req.param('id'));
    const detail = await getRowDetail(deps.db, rowId);
    if (!detail) throw new BoardError(404, `No row with id ${rowId}`);
    return c.json(detail);
  });

  app.get('/rows/:id/similar', async (c) => {
    const rowId = parseRowId(c.req.param('id'));
    const detail = await getRowDetail(deps.db, rowId);
    if (!detail) throw new BoardError(404, `No row with id ${rowId}`);
    const runName = c.req.query('run') || detail.predictions[0]?.run;
    if (!runName) throw new BoardError(404, `Row ${rowId} has no run to search embeddings in`);
    const run = await loadRun(deps, runName);
    const result = await findSimilar(deps, {
      runId: run.id,
      rowIds: [rowId],
      limit: parseLimit(c.req.query('limit'), { fallback: 12 }),
      unlabeledOnly: c.req.query('unlabeled') === '1',
    }).catch((err: Error) => {
      if (err instanceof NoEmbeddingsError) throw new BoardError(409, noEmbeddingsAdvice(run.name));
      throw err;
    });
    return c.json({ run: run.name, rowId, ...result });
  });

  app.post('/decisions', async (c) => {
    const body = await jsonBody(c);
    const decision = body.decision as Decision;
    if (!DECISION_VALUES.includes(decision)) {
      throw new BoardError(400, `decision must be one of ${DECISION_VALUES.join(', ')}`);
    }
    const rowIds = parseRowIds(body.rowIds, { field: 'rowIds', max: 1000 });
    const note =
      body.note === undefined || body.note === null
        ? null
        : parseText(body.note, { field: 'note', max: 1000 });
    const result = await decideRows(deps, {
      rowIds,
      decision,
      runId: optionalRunId(body.runId),
      actor: c.get('session').user,
      actorName: c.get('userName') ?? null,
      note,
    });
    return c.json({ ok: true, ...result });
  });

  app.post('/batches', async (c) => {
    const body = await jsonBody(c);
    const name = parseText(body.name, { field: 'batch name', max: 200 });
    const rowIds = parseRowIds(body.rowIds, { field: 'rowIds', max: 5000 });
    const result = await batchRows(deps, {
      name,
      rowIds,
      runId: optionalRunId(body.runId),
      actor: c.get('session').user,
    });
    return c.json({ ok: true, ...result }, result.created ? 201 : 200);
  });

  for (const path of ['/decisions', '/batches']) {
    app.on(['GET', 'PUT', 'PATCH', 'DELETE'], path, (c) => {
      c.header('Allow', 'POST');
      throw new BoardError(405, `${c.req.method} is not allowed here; actions are POSTs`);
    });
  }
  return app;
}
