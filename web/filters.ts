import { COLOR_BY, type ColorBy } from '../src/charts/projector.ts';
import { STRATEGIES, type Strategy } from '../src/findings/uncertainty.ts';
import { ERROR_TYPES } from '../src/metrics/detection-errors.ts';
import { OBJECT_KINDS, OBJECT_SORTS } from '../src/store/objects.ts';
import { BoardError } from './errors.tsx';
import { OBJECT_IOUS, type ObjectFilter } from './pages/objects.tsx';
import {
  optionalText,
  parseClass,
  parseCursor,
  parseDecision,
  parseIouBelow,
  parseLimit,
  parseSort,
} from './params.ts';
import { type BoardRun, type ErrorFilter, OUTCOMES, type Outcome } from './views.ts';

/**
 * The filters of the board's pages and API, read from the query string: every value is checked and
 * named when wrong, so a bad link is a 400 that says what to fix rather than an empty page.
 */

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
  if ((STRATEGIES as readonly string[]).includes(raw)) return raw as Strategy;
  throw new BoardError(400, `strategy must be one of ${STRATEGIES.join(', ')}, got "${raw.slice(0, 40)}"`);
}

export function parseColorBy(raw: string | undefined): ColorBy {
  if (raw === undefined || raw === '') return 'label';
  if ((COLOR_BY as string[]).includes(raw)) return raw as ColorBy;
  throw new BoardError(400, `color must be one of ${COLOR_BY.join(', ')}, got "${raw.slice(0, 40)}"`);
}
