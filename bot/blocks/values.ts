import { STRATEGIES, type Strategy } from '../../src/findings/uncertainty.ts';
/** Action ids the bot's buttons carry; anything else is answered with help. */
export const ACTION = {
  approve: 'review:approve',
  rework: 'review:rework',
  open: 'open',
  createBatch: 'batch:create',
  link: 'link',
} as const;

/** Longest command text a review button carries (so the answer can be rebuilt after a click). */
export const ORIGIN_MAX = 500;

/**
 * A review button's value: `rowId:runId[:command text]`. The command text lets a click on an
 * ephemeral answer (whose blocks Slack does not send back) rebuild the answer; it is left out
 * when long, so the value stays far under Slack's 2,000 characters.
 */
export function reviewValue(rowId: number, runId: number | null | undefined, origin?: string): string {
  const base = `${rowId}:${runId ?? ''}`;
  return origin && origin.length <= ORIGIN_MAX ? `${base}:${origin}` : base;
}

/** Parse a review button's value; null when it is not ours. */
export function parseReviewValue(
  value: unknown,
): { rowId: number; runId: number | null; origin: string | null } | null {
  if (typeof value !== 'string' || value.length > 2000) return null;
  const m = /^(\d{1,15}):(\d{0,10})(?::([\s\S]*))?$/.exec(value);
  if (!m) return null;
  return { rowId: Number(m[1]), runId: m[2] ? Number(m[2]) : null, origin: m[3] || null };
}

/** What "Create batch" makes: the uncertainty query it repeats (so the value stays small). */
export interface BatchRequest {
  run: number;
  strategy: Strategy;
  n: number;
  diverse: boolean;
}

export function batchValue(req: BatchRequest): string {
  return JSON.stringify({ r: req.run, s: req.strategy, n: req.n, d: req.diverse ? 1 : 0 });
}

export function parseBatchValue(value: unknown): BatchRequest | null {
  if (typeof value !== 'string' || value.length > 200) return null;
  try {
    const v = JSON.parse(value);
    if (!Number.isSafeInteger(v.r) || !(STRATEGIES as readonly string[]).includes(v.s)) return null;
    if (!Number.isSafeInteger(v.n) || v.n < 1 || v.n > 10_000) return null;
    return { run: v.r, strategy: v.s, n: v.n, diverse: v.d === 1 };
  } catch {
    return null;
  }
}
