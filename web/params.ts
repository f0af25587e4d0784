import { closestNames } from '../src/text/closest.ts';
import { BoardError } from './errors.tsx';

/**
 * Query and path parameters, checked before they reach a store function: every value either
 * matches what it should be or the request is refused with a 400 naming the field.
 */

export type Sort = 'confidence:asc' | 'confidence:desc';
export type DecisionFilter = 'none' | 'approve' | 'rework' | 'dismiss';
export const DECISIONS: DecisionFilter[] = ['none', 'approve', 'rework', 'dismiss'];

/** An internal row id as it appears in /rows/:id. */
export function parseRowId(raw: string | undefined, field = 'row id'): number {
  if (!raw || !/^\d{1,15}$/.test(raw) || Number(raw) < 1) {
    throw new BoardError(400, `${field} must be a positive whole number, got "${clip(raw ?? '')}"`);
  }
  return Number(raw);
}

/** A comma-separated or repeated list of row ids (at most `max`). */
export function parseRowIds(raw: unknown, { field = 'rowIds', max = 1000 } = {}): number[] {
  const parts = Array.isArray(raw)
    ? raw.map(String)
    : typeof raw === 'string'
      ? raw.split(',').filter(Boolean)
      : typeof raw === 'number'
        ? [String(raw)]
        : null;
  if (!parts || parts.length === 0) throw new BoardError(400, `${field} must list at least one row id`);
  if (parts.length > max)
    throw new BoardError(400, `${field} lists ${parts.length} rows; at most ${max} at once`);
  return [...new Set(parts.map((p) => parseRowId(p.trim(), field)))];
}

/** `iou_lt`: a number in [0, 1] (rows whose IoU is below it), or `all` for no IoU filter. */
export function parseIouBelow(raw: string | undefined, fallback = 0.5): number | null {
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'all') return null;
  const v = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw) || !(v >= 0 && v <= 1)) {
    throw new BoardError(400, `iou_lt must be a number between 0 and 1 (or "all"), got "${clip(raw)}"`);
  }
  return v;
}

export function parseSort(raw: string | undefined): Sort {
  if (raw === undefined || raw === '' || raw === 'confidence:asc' || raw === 'asc') return 'confidence:asc';
  if (raw === 'confidence:desc' || raw === 'desc') return 'confidence:desc';
  throw new BoardError(400, `sort must be confidence:asc or confidence:desc, got "${clip(raw)}"`);
}

export function parseDecision(raw: string | undefined): DecisionFilter | undefined {
  if (raw === undefined || raw === '') return undefined;
  if ((DECISIONS as string[]).includes(raw)) return raw as DecisionFilter;
  throw new BoardError(400, `decision must be one of ${DECISIONS.join(', ')}, got "${clip(raw)}"`);
}

/** Keyset cursors are opaque base64url/JSON-safe tokens handed out by the previous page. */
export function parseCursor(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length > 512 || !/^[A-Za-z0-9_\-=.:~]+$/.test(raw)) {
    throw new BoardError(400, 'cursor is not one this board gave out; start again from the first page');
  }
  return raw;
}

export function parseLimit(raw: string | undefined, { fallback = 48, max = 200 } = {}): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new BoardError(400, `limit must be a whole number from 1 to ${max}, got "${clip(raw)}"`);
  }
  return Number(raw);
}

/** A free-text value (tag, batch name) with a length cap and no control characters. */
export function parseText(raw: unknown, { field, max = 200 }: { field: string; max?: number }): string {
  if (typeof raw !== 'string' || !raw.trim()) throw new BoardError(400, `${field} is required`);
  const s = raw.trim();
  if (s.length > max) throw new BoardError(400, `${field} is at most ${max} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(s)) throw new BoardError(400, `${field} contains control characters`);
  return s;
}

export function optionalText(raw: string | undefined, field: string, max = 200): string | undefined {
  return raw === undefined || raw === '' ? undefined : parseText(raw, { field, max });
}

/**
 * A class name to its index among the dataset's classes; `background` (detection) is the index
 * one past the last class. Unknown names are refused with the nearest candidates.
 */
export function parseClass(
  raw: string | undefined,
  classNames: string[],
  { field, background = false }: { field: string; background?: boolean },
): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const i = classNames.indexOf(raw);
  if (i >= 0) return i;
  if (background && raw === 'background') return classNames.length;
  const near = closestNames(raw, classNames, 3);
  throw new BoardError(
    400,
    `${field} "${clip(raw)}" is not a class of this run${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(', ')}?` : ''}`,
  );
}

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 60)}…` : s);
