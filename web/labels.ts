import { Hono } from 'hono';
import type { Deps } from '../src/deps.ts';
import {
  LABEL_EXPORT_FORMATS,
  LabelExportError,
  type LabelExportFormat,
  exportLabels,
} from '../src/export/labels.ts';
import {
  type Correction,
  CorrectionError,
  type CorrectionResult,
  classNamesOfRow,
  recordCorrection,
  undoCorrection,
} from '../src/store/corrections.ts';
import { LabelChangeError, LabelVersionError } from '../src/store/label-version-types.ts';
import { RowNotFoundError } from '../src/store/reviews.ts';
import { requireWriter } from './actions.ts';
import type { BoardEnv } from './env.ts';
import { BoardError } from './errors.tsx';
import { parseRowId } from './params.ts';
import { type BoardRun, loadRun } from './views.ts';
import type { LabelsPanelData } from './pages/labels-panel.tsx';
import { reevaluationJob } from '../src/jobs/pipeline.ts';
import { enqueueJobs } from '../src/store/jobs.ts';
import { retrainEffect } from '../src/analyze/retrain-effect.ts';
import { labelNoise } from '../src/store/label-effects.ts';
import { currentLabelVersions } from '../src/store/label-version-reads.ts';
import { lookupRunById } from '../src/store/run-lookup.ts';

async function jsonObject(c: { req: { json: () => Promise<unknown> } }): Promise<Record<string, unknown>> {
  const body = await c.req.json().catch(() => null);
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new BoardError(400, 'the request body must be a JSON object');
  return body as Record<string, unknown>;
}

const id = (v: unknown, field: string): number =>
  parseRowId(v === undefined || v === null ? '' : String(v), field);
const optionalId = (v: unknown, field: string): number | null =>
  v === undefined || v === null || v === '' ? null : id(v, field);

function parseLabel(v: unknown): string {
  if (typeof v !== 'string' || v === '' || v.length > 200)
    throw new BoardError(400, 'label must be a class name (1 to 200 characters)');
  return v;
}

/** The correction a request body asks for; every field checked and named when wrong. */
export function parseCorrection(body: Record<string, unknown>): Correction {
  switch (body.op) {
    case 'relabel':
      return { op: 'relabel', label: parseLabel(body.label) };
    case 'box-class':
      return { op: 'box-class', annId: id(body.annId, 'annId'), label: parseLabel(body.label) };
    case 'box-delete':
      return { op: 'box-delete', annId: id(body.annId, 'annId') };
    case 'box-add':
      return {
        op: 'box-add',
        predId: id(body.predId, 'predId'),
        ...(body.label ? { label: parseLabel(body.label) } : {}),
      };
    default:
      throw new BoardError(400, 'op must be one of relabel, box-class, box-delete, box-add');
  }
}

/** Store errors of a correction as the answers the board gives. */
export async function asBoardErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof RowNotFoundError) throw new BoardError(404, err.message);
    if (err instanceof LabelChangeError) throw new BoardError(400, err.reason);
    if (err instanceof CorrectionError || err instanceof LabelVersionError)
      throw new BoardError(409, err.message);
    throw err;
  }
}

/**
 * What a correction did, in words for the status line: "Relabeled as 7 (labels v3)".
 *
 * @example
 * correctionMessage(result, ['cat', 'dog']);
 */
export function correctionMessage(r: CorrectionResult, classes: string[], undo = false): string {
  const name = (i: number | null) => (i === null ? 'none' : (classes[i] ?? String(i)));
  if (!r.recorded)
    return undo ? 'Nothing to undo on this row.' : 'Already labeled that way: nothing changed.';
  const parts = r.changes.map((c) => {
    if (c.annKey === 'label')
      return c.newLabel === null ? 'Label removed' : `Relabeled as ${name(c.newLabel)}`;
    if (c.oldLabel === null) return `Box ${c.annKey} added as ${name(c.newLabel)}`;
    if (c.newLabel === null) return `Box ${c.annKey} deleted`;
    return `Box ${c.annKey} changed to ${name(c.newLabel)}`;
  });
  return `${undo ? 'Undone: ' : ''}${parts.join('; ')} (labels v${r.version})`;
}

/**
 * Corrections from the board and the labels download: `POST /api/corrections` (relabel a row,
 * change/delete a box, accept a missed box), `POST /api/corrections/undo`, and
 * `GET /runs/:run/labels/export`. Every write asks `mayWrite` (through requireWriter) first.
 *
 * @example
 * app.route('/', createLabelRoutes(deps));
 */
export function createLabelRoutes(deps: Deps) {
  const app = new Hono<BoardEnv>();

  app.post('/api/corrections', async (c) => {
    const actor = c.get('session').user;
    requireWriter(deps, actor);
    const body = await jsonObject(c);
    const rowId = id(body.rowId, 'rowId');
    const change = parseCorrection(body);
    const runId = optionalId(body.runId, 'runId');
    const result = await asBoardErrors(() =>
      recordCorrection(deps.db, { rowId, runId, actor, source: 'board', change }),
    );
    const classes = await classesOfRow(deps, rowId);
    return c.json({
      ok: true,
      recorded: result.recorded,
      version: result.version,
      label:
        result.changes[0]?.annKey === 'label' ? (classes[result.changes[0].newLabel ?? -1] ?? null) : null,
      message: correctionMessage(result, classes),
    });
  });

  app.post('/api/corrections/undo', async (c) => {
    const actor = c.get('session').user;
    requireWriter(deps, actor);
    const body = await jsonObject(c);
    const rowId = id(body.rowId, 'rowId');
    const result = await asBoardErrors(() => undoCorrection(deps.db, { rowId, actor, source: 'board' }));
    const classes = await classesOfRow(deps, rowId);
    return c.json({
      ok: true,
      recorded: result.recorded,
      version: result.version,
      label:
        result.changes[0]?.annKey === 'label' ? (classes[result.changes[0].newLabel ?? -1] ?? null) : null,
      message: correctionMessage(result, classes, true),
    });
  });

  app.get('/runs/:run/labels/export', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    const q = c.req.query();
    const format = (q.format || (run.kind === 'detection' ? 'coco' : 'npy')) as LabelExportFormat;
    if (!LABEL_EXPORT_FORMATS.includes(format))
      throw new BoardError(
        400,
        `format must be one of ${LABEL_EXPORT_FORMATS.join(', ')}, got "${String(q.format).slice(0, 20)}"`,
      );
    const version = q.version ? id(q.version, 'version') : undefined;
    const result = await asBoardErrors(async () => {
      try {
        return await exportLabels(deps.db, {
          dataset: run.datasetId,
          version,
          format,
          onlyChanged: q.only_changed === '1',
        });
      } catch (err) {
        if (err instanceof LabelExportError) throw new BoardError(400, err.message);
        throw err;
      }
    });
    c.header('Content-Type', result.contentType);
    c.header('Content-Disposition', `attachment; filename="${result.fileName}"`);
    return c.body(new Uint8Array(result.body));
  });

  app.post('/runs/:run/reevaluate', async (c) => {
    requireWriter(deps, c.get('session').user);
    const run = await loadRun(deps, c.req.param('run'));
    await enqueueJobs(deps.database, [reevaluationJob(run.id)]);
    return c.redirect(`/runs/${encodeURIComponent(run.name)}`, 303);
  });

  return app;
}

/**
 * What the overview's labels section shows for a run (see web/pages/labels-panel.tsx).
 *
 * @example
 * const labels = await labelsPanelData(deps, run, c.get('csrf'));
 */
export async function labelsPanelData(deps: Deps, run: BoardRun, csrf: string): Promise<LabelsPanelData> {
  const ref = await lookupRunById(deps.db, run.id);
  const [noise, effect, versions] = await Promise.all([
    labelNoise(deps.db, run.id),
    ref ? retrainEffect(deps, ref) : null,
    currentLabelVersions(deps.db, [run.datasetId]),
  ]);
  const version = versions.get(run.datasetId) ?? 1;
  return {
    run: run.name,
    kind: run.kind,
    version,
    evaluated: noise?.evaluatedVersion ?? version,
    reevaluating: run.pending.some((p) => p.kind === 'reevaluate'),
    noise,
    effect,
    csrf,
  };
}

const classesOfRow = (deps: Deps, rowId: number) => classNamesOfRow(deps.db, rowId);
