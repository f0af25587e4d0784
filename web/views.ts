import type { Deps } from '../src/deps.ts';
import { iouThresholdIndex } from '../src/metrics/detection-errors.ts';
import { listErrors } from '../src/store/errors.ts';
import { type PendingWork, pendingJobs } from '../src/store/jobs.ts';
import { type ObjectKind, type ObjectSort, listObjects } from '../src/store/objects.ts';
import type { ErrorType } from '../src/metrics/detection-errors.ts';
import type { ObjectFilter } from './pages/objects.tsx';
import { latestDecisions, listTags } from '../src/store/reviews.ts';
import { type RowCard, listRowCards } from '../src/store/rows.ts';
import { lookupRun } from '../src/store/run-lookup.ts';
import { BoardError } from './errors.tsx';
import type { Box, Card } from './pages/cards.tsx';
import type { DecisionFilter, Sort } from './params.ts';

/** A run as the board needs it: id, name, kind and its dataset's class names. */
export interface BoardRun {
  id: number;
  name: string;
  kind: 'classification' | 'detection';
  datasetId: number;
  classNames: string[];
  metrics: Record<string, unknown> | null;
  /** Its jobs not finished yet (analysis, projection, …): the pages say a result is pending. */
  pending: PendingWork[];
}

export async function loadRun(deps: Deps, name: string): Promise<BoardRun> {
  if (name.length > 300) throw new BoardError(400, 'run name is too long');
  const run = name ? await lookupRun(deps.db, name) : null;
  if (!run) throw new BoardError(404, `No run named "${name}"`, 'The runs page lists every run.');
  return {
    id: run.id,
    name: run.name,
    kind: run.kind,
    datasetId: run.datasetId,
    classNames: run.classNames,
    metrics: run.metrics ?? null,
    pending: await pendingJobs(deps.database, run.id),
  };
}

/** A class index (or an already-resolved name) as its name; index K is detection's background. */
export function className(run: BoardRun, v: number | string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (v === run.classNames.length && run.kind === 'detection') return 'background';
  return run.classNames[v] ?? String(v);
}

/** What a classification errors view shows: wrong answers, right ones, or both. */
export type Outcome = 'wrong' | 'right' | 'all';
export const OUTCOMES: Outcome[] = ['wrong', 'right', 'all'];

export interface ErrorFilter {
  iouBelow: number | null;
  /** Classification: which answers to show (the IoU of a classification row is 1 right, 0 wrong). */
  outcome?: Outcome;
  minConfidence?: number;
  maxConfidence?: number;
  sort: Sort;
  limit: number;
  cursor?: string;
  label?: number;
  predicted?: number;
  tag?: string;
  decision?: DecisionFilter;
}

/** The model-error gallery page: rows below the IoU threshold, in confidence order, one keyset page. */
export async function errorsPage(deps: Deps, run: BoardRun, f: ErrorFilter) {
  const page = await listErrors(deps, {
    runId: run.id,
    iouBelow: f.iouBelow,
    iouAtLeast: f.outcome === 'right' ? 0.5 : undefined,
    minConfidence: f.minConfidence,
    maxConfidence: f.maxConfidence,
    sort: f.sort,
    limit: f.limit,
    cursor: f.cursor,
    label: f.label,
    predicted: f.predicted,
    tag: f.tag,
    decision: f.decision,
  }).catch((err: Error) => {
    if (/^iouBelow\b/.test(err.message))
      throw new BoardError(
        400,
        err.message.replace(/^iouBelow/, 'iou_lt'),
        'Pick 0.5, 0.55, …, 0.95 or all.',
      );
    throw err;
  });
  const cards: Card[] = page.items.map((it) => ({
    rowId: it.rowId,
    id: it.id,
    imageUrl: it.imageUrl,
    text: it.text,
    width: it.width,
    height: it.height,
    label: className(run, it.label),
    predicted: className(run, it.predicted),
    // Detection: everything on the card is the worst object's, its score included.
    confidence: it.worst !== undefined ? (it.worst?.score ?? null) : it.confidence,
    // A classification row's IoU is only right/wrong; its card says so with label and prediction.
    iou: run.kind === 'detection' ? it.iou : null,
    labelQuality: run.kind === 'classification' ? it.labelQuality : null,
    ...(it.objects ? { objects: it.objects } : {}),
    ...(it.worst ? { worst: { kind: it.worst.kind, type: it.worst.type } } : {}),
  }));
  return {
    cards: await decorate(deps, run, cards),
    total: page.total,
    totalExact: page.totalExact,
    nextCursor: page.nextCursor,
  };
}

/** One page of the object gallery and the run's totals at its IoU (from the metrics document). */
export async function objectsPage(deps: Deps, run: BoardRun, f: ObjectFilter) {
  const t = iouThresholdIndex(Number(f.iou));
  const cls = (v: string | undefined) =>
    v === undefined ? undefined : v === 'background' ? ('background' as const) : run.classNames.indexOf(v);
  const page = await listObjects(deps, {
    runId: run.id,
    t,
    kind: f.kind as ObjectKind | undefined,
    type: f.type as ErrorType | undefined,
    gtClass: cls(f.gt),
    predClass: cls(f.pred),
    minScore: f.minScore === undefined ? undefined : Number(f.minScore),
    sort: f.sort as ObjectSort,
    limit: f.limit ? Number(f.limit) : 48,
    cursor: f.cursor,
  });
  const objects = (run.metrics as { objects?: { totals: { tp: number; fp: number; fn: number }[] } } | null)
    ?.objects;
  return { items: page.items, nextCursor: page.nextCursor, totals: objects?.totals[t] ?? null };
}

/**
 * Add what every gallery shows besides the row itself: latest decision, tags and, for
 * detection, the boxes of the ground truth and of this run's predictions.
 */
export async function decorate(deps: Deps, run: BoardRun | null, cards: Card[]): Promise<Card[]> {
  const ids = cards.map((c) => c.rowId);
  const [decisions, tags] = await Promise.all([latestDecisions(deps.db, ids), listTags(deps.db, ids)]);
  const boxes = run?.kind === 'detection' ? await boxesOf(deps, run, ids) : new Map<number, Box[]>();
  return cards.map((c) => {
    const d = decisions.get(c.rowId);
    return {
      ...c,
      decision: d ? { decision: d.decision, actor: d.actor, actorName: d.actorName } : null,
      tags: tags.get(c.rowId) ?? [],
      boxes: boxes.get(c.rowId) ?? [],
    };
  });
}

async function boxesOf(deps: Deps, run: BoardRun, rowIds: number[]): Promise<Map<number, Box[]>> {
  const out = new Map<number, Box[]>();
  for (const [rowId, card] of await listRowCards(deps.db, rowIds)) out.set(rowId, rowBoxes(card, run.id));
  return out;
}

/** Ground-truth boxes and one run's predicted boxes of a row (rows without geometry give none). */
export function rowBoxes(detail: Pick<RowCard, 'annotations' | 'predictions'>, runId: number): Box[] {
  const boxes: Box[] = [];
  for (const a of detail.annotations) {
    if (a.x === null || a.y === null || a.w === null || a.h === null) continue;
    boxes.push({ kind: 'gt', x: a.x, y: a.y, w: a.w, h: a.h, label: a.labelName ?? String(a.label) });
  }
  for (const p of detail.predictions) {
    if (p.runId !== runId || p.x === null || p.y === null || p.w === null || p.h === null) continue;
    boxes.push({
      kind: 'pred',
      x: p.x,
      y: p.y,
      w: p.w,
      h: p.h,
      label: p.labelName ?? String(p.label),
      score: p.score,
    });
  }
  return boxes;
}

/**
 * Cards for arbitrary rows (similar rows, a batch), in the given order, with this run's scores.
 * Rows that no longer exist are left out.
 */
export async function cardsForRows(
  deps: Deps,
  run: BoardRun,
  rowIds: number[],
  extra: (rowId: number) => Partial<Card> = () => ({}),
): Promise<Card[]> {
  const cards: Card[] = [];
  const details = await listRowCards(deps.db, rowIds);
  for (const rowId of rowIds) {
    const d = details.get(rowId);
    if (!d) continue;
    const score = d.scores.find((s) => s.runId === run.id);
    const gt = d.annotations.find((a) => a.annKey === 'label');
    cards.push({
      rowId,
      id: d.row.id,
      imageUrl: d.row.imageUrl,
      text: d.row.text,
      width: d.row.width,
      height: d.row.height,
      label: run.kind === 'classification' ? (gt?.labelName ?? null) : className(run, score?.label ?? null),
      predicted: className(run, score?.predicted ?? null),
      confidence: score?.confidence ?? null,
      iou: run.kind === 'detection' ? (score?.iou ?? null) : null,
      labelQuality: run.kind === 'classification' ? (score?.labelQuality ?? null) : null,
      boxes: run.kind === 'detection' ? rowBoxes(d, run.id) : [],
      ...extra(rowId),
    });
  }
  const [decisions, tags] = await Promise.all([latestDecisions(deps.db, rowIds), listTags(deps.db, rowIds)]);
  return cards.map((c) => {
    const dec = decisions.get(c.rowId);
    return {
      ...c,
      decision: dec ? { decision: dec.decision, actor: dec.actor, actorName: dec.actorName } : null,
      tags: tags.get(c.rowId) ?? [],
    };
  });
}
