/**
 * Which of a run's decoded objects a page's filters keep. Pure functions over DecodedObjects, so
 * the run-wide walk runs in a pool thread (src/compute/tasks.ts) and the one-image walk here.
 */
import { type ErrorType, OUTCOME_CODE } from '../metrics/detection-errors.ts';
import type { ObjectKind, ObjectSort } from './list-choices.ts';
import { CODE, type DecodedObjects, annIdAt, gtLabelAt } from './object-pack.ts';

/** The filters of an object page (all but cursor, sort and size). */
export interface ObjectFilter {
  /** Index of the IoU threshold in COCOeval's .50:.05:.95 (0 for 0.5). */
  t: number;
  kind?: ObjectKind;
  type?: ErrorType;
  /** Class index: objects whose ground-truth or predicted class is this one. */
  classIndex?: number;
  /** Ground-truth class of the box involved; 'background' for none (a bkg false positive). */
  gtClass?: number | 'background';
  /** Predicted class; 'background' for no prediction (a miss). */
  predClass?: number | 'background';
  /** Only objects scoring at least this (misses have no score and drop out). */
  minScore?: number;
  /** Only this image (row id). */
  rowId?: number;
}

const TP = CODE.tp;
const IGNORED = CODE.ignored;
const codeOf = (type: ErrorType) => OUTCOME_CODE[type].charCodeAt(0);

/** An object's place in a sort: its IoU, or its score (−1 for a box line, as the old line table's index had it). */
export function sortKey(d: DecodedObjects, sort: ObjectSort): (i: number) => number {
  return sort === 'iou:asc' ? (i) => d.iou[i] : (i) => (d.isPred[i] ? d.score[i] : -1);
}

/** The test an object passes to be on a page with these filters. */
export function objectFilter(d: DecodedObjects, q: ObjectFilter): (i: number) => boolean {
  const { t, kind, type, classIndex, gtClass, predClass, minScore, rowId } = q;
  const T = d.T;
  const typeCode = type === undefined ? -1 : codeOf(type);
  return (i) => {
    const c = d.codes[i * T + t];
    const pred = d.isPred[i] === 1;
    if (pred ? c === IGNORED : c === TP) return false;
    if (kind === 'tp' && !(pred && c === TP)) return false;
    if (kind === 'fp' && !(pred && c !== TP)) return false;
    if (kind === 'fn' && pred) return false;
    if (typeCode >= 0 && c !== typeCode) return false;
    if (classIndex !== undefined && d.label[i] !== classIndex && gtLabelAt(d, i, t) !== classIndex)
      return false;
    if (gtClass === 'background' && (!pred || annIdAt(d, i, t) !== null)) return false;
    if (typeof gtClass === 'number' && gtLabelAt(d, i, t) !== gtClass) return false;
    if (predClass === 'background' && pred) return false;
    if (typeof predClass === 'number' && !(pred && d.label[i] === predClass)) return false;
    if (minScore !== undefined && !(pred && d.score[i] >= minScore)) return false;
    if (rowId !== undefined && d.rowId[i] !== rowId) return false;
    return true;
  };
}

/** Which lines a filter can match: only prediction lines, only box (miss) lines, or both. */
function sideOf({ kind, type, predClass, minScore }: ObjectFilter): 'pred' | 'box' | null {
  if (kind === 'fn' || type === 'missed' || predClass === 'background') return 'box';
  if (kind === 'tp' || kind === 'fp' || type === 'dupe' || type === 'bkg') return 'pred';
  if (minScore !== undefined || predClass !== undefined) return 'pred';
  return null;
}

/**
 * The filter with its sort's side: in confidence order prediction lines score in [0, 1] and box
 * lines sort as −1, as the score index of the line table did, so a filter that keeps one side
 * keeps that range only.
 */
export function pageFilter(d: DecodedObjects, q: ObjectFilter, sort: ObjectSort): (i: number) => boolean {
  const pass = objectFilter(d, q);
  const key = sortKey(d, sort);
  const side = sideOf(q);
  if (sort === 'iou:asc' || side === null) return pass;
  return side === 'pred' ? (i) => key(i) >= 0 && pass(i) : (i) => key(i) === -1 && pass(i);
}

/**
 * The run's objects passing a page's filters, in the sort's ascending order: one walk over the
 * run (a million objects at most a few hundred ms), done in a pool thread.
 *
 * @example
 * const order = passingObjects(d, { t: 0, kind: 'fp' }, 'confidence:desc');
 */
export function passingObjects(d: DecodedObjects, q: ObjectFilter, sort: ObjectSort): Uint32Array {
  return (sort === 'iou:asc' ? d.byIou : d.byScore).filter(pageFilter(d, q, sort));
}

/** Listed at threshold t: a tp or fp prediction (not an ignored one), an fn box (not a matched one). */
export function listed(d: DecodedObjects, i: number, t: number): boolean {
  const c = d.codes[i * d.T + t];
  return d.isPred[i] ? c !== IGNORED : c !== TP;
}
