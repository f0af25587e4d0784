import { STRATEGIES, type Strategy } from '../../src/findings/uncertainty.ts';
/** What a `/loupe …` text asks for; `public` answers in the channel instead of to the caller only. */
export type ParsedCommand = { public: boolean } & (
  | { kind: 'help'; problem?: string }
  | { kind: 'runs' }
  | { kind: 'worst-classes'; run?: string; by?: ClassMetric; n: number }
  | { kind: 'errors'; run?: string; iouBelow: number; n: number }
  | { kind: 'mislabels'; run?: string; n: number }
  | { kind: 'uncertain'; run?: string; n: number; strategy: Strategy; diverse: boolean }
  | { kind: 'similar'; rowId: string; run?: string; n: number }
  | {
      kind: 'batch';
      name: string;
      from: 'uncertain' | 'similar' | 'rework';
      ids: string[];
      run?: string;
      n: number;
    }
  | { kind: 'batch-assign'; name: string; owner: string; due: string | null }
  | { kind: 'rework'; n: number }
  | { kind: 'digest' }
  | { kind: 'board' }
);

export type ClassMetric = 'recall' | 'precision' | 'f1' | 'ap';

export const DEFAULT_N = 10;
/** Lists show at most this many items in one message; the rest are in the board. */
export const MAX_LIST_N = 1000;
export const MAX_BATCH_N = 10_000;

const METRICS = new Set(['recall', 'precision', 'f1', 'ap']);
const STRATEGY_NAMES = new Set<string>(STRATEGIES);

class ParseProblem extends Error {}

/**
 * Parse the text after the slash command. Never throws: anything it cannot read becomes
 * `{ kind: 'help', problem }` so the caller gets help, not an error.
 *
 * @example
 * parseCommand('errors digits iou<0.3 5'); // { kind: 'errors', run: 'digits', iouBelow: 0.3, n: 5, public: false }
 */
export function parseCommand(text: string): ParsedCommand {
  const all = text.trim().split(/\s+/).filter(Boolean);
  const isPublic = all.some((t) => t.toLowerCase() === 'public');
  const tokens = all.filter((t) => t.toLowerCase() !== 'public');
  const [head = 'help', ...rest] = tokens;
  try {
    return { public: isPublic, ...parseBody(head.toLowerCase(), rest) };
  } catch (err) {
    if (err instanceof ParseProblem) return { public: false, kind: 'help', problem: err.message };
    throw err;
  }
}

type Body = ParsedCommand extends infer C
  ? C extends { public: boolean }
    ? Omit<C, 'public'>
    : never
  : never;

function parseBody(head: string, rest: string[]): Body {
  switch (head) {
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'runs':
      noMore(head, rest);
      return { kind: 'runs' };
    case 'rework':
      return { kind: 'rework', n: onlyCount(head, rest) };
    case 'digest':
      noMore(head, rest);
      return { kind: 'digest' };
    case 'board':
      noMore(head, rest);
      return { kind: 'board' };
    case 'worst-classes':
    case 'worst': {
      let run: string | undefined;
      let by: ClassMetric | undefined;
      let n = DEFAULT_N;
      for (let i = 0; i < rest.length; i++) {
        const t = rest[i];
        const lower = t.toLowerCase();
        if (lower === 'by') {
          const m = rest[++i]?.toLowerCase();
          if (!m || !METRICS.has(m)) throw new ParseProblem('after `by` put recall, precision, f1 or ap');
          by = m as ClassMetric;
        } else if (METRICS.has(lower)) by = lower as ClassMetric;
        else if (isCount(t)) n = count(t, MAX_LIST_N);
        else run = setOnce(run, t, 'worst-classes');
      }
      return { kind: 'worst-classes', run, by, n };
    }
    case 'errors': {
      let run: string | undefined;
      let iouBelow = 0.5;
      let n = DEFAULT_N;
      for (const t of rest) {
        const iou = /^iou\s*<\s*(\d*\.?\d+)$/i.exec(t);
        if (iou) {
          iouBelow = Number(iou[1]);
          if (!(iouBelow > 0 && iouBelow <= 1))
            throw new ParseProblem('the IoU threshold must be in (0, 1], e.g. iou<0.5');
        } else if (/^iou/i.test(t)) throw new ParseProblem('write the IoU threshold as iou<0.5');
        else if (isCount(t)) n = count(t, MAX_LIST_N);
        else run = setOnce(run, t, 'errors');
      }
      return { kind: 'errors', run, iouBelow, n };
    }
    case 'mislabels': {
      let run: string | undefined;
      let n = DEFAULT_N;
      for (const t of rest) {
        if (isCount(t)) n = count(t, MAX_LIST_N);
        else run = setOnce(run, t, 'mislabels');
      }
      return { kind: 'mislabels', run, n };
    }
    case 'uncertain': {
      let run: string | undefined;
      let n = DEFAULT_N;
      let strategy: Strategy = 'least';
      let diverse = false;
      for (const t of rest) {
        const lower = t.toLowerCase();
        if (STRATEGY_NAMES.has(lower)) strategy = lower as Strategy;
        else if (lower === 'diverse') diverse = true;
        else if (isCount(t)) n = count(t, MAX_LIST_N);
        else run = setOnce(run, t, 'uncertain');
      }
      return { kind: 'uncertain', run, n, strategy, diverse };
    }
    case 'similar': {
      const [rowId, ...more] = rest;
      if (!rowId) throw new ParseProblem('`similar` needs a row id, e.g. `similar 42`');
      let n = DEFAULT_N;
      let run: string | undefined;
      for (const t of more) {
        if (isCount(t)) n = count(t, MAX_LIST_N);
        else run = setOnce(run, t, 'similar');
      }
      return { kind: 'similar', rowId, run, n };
    }
    case 'batch': {
      const assignAt = rest.findIndex((t) => t.toLowerCase() === 'assign');
      if (assignAt > 0 && !rest.slice(0, assignAt).some((t) => t.toLowerCase() === 'from'))
        return parseAssign(rest.slice(0, assignAt).join(' '), rest.slice(assignAt + 1));
      const fromAt = rest.findIndex((t) => t.toLowerCase() === 'from');
      if (fromAt <= 0)
        throw new ParseProblem('write `batch <name> from uncertain|similar <id,…>|rework [n]`');
      const name = rest.slice(0, fromAt).join(' ');
      const source = rest[fromAt + 1]?.toLowerCase();
      const tail = rest.slice(fromAt + 2);
      let n = 50;
      let run: string | undefined;
      let ids: string[] = [];
      if (source === 'similar') {
        const [list, ...more] = tail;
        ids = (list ?? '').split(',').filter(Boolean);
        if (ids.length === 0)
          throw new ParseProblem('`batch … from similar` needs row ids, e.g. `similar 12,40`');
        tail.splice(0, tail.length, ...more);
      } else if (source !== 'uncertain' && source !== 'rework')
        throw new ParseProblem('a batch comes from uncertain, similar <id,…> or rework');
      for (const t of tail) {
        if (isCount(t)) n = count(t, MAX_BATCH_N);
        else run = setOnce(run, t, 'batch');
      }
      return { kind: 'batch', name, from: source, ids, run, n };
    }
    default:
      throw new ParseProblem(`I don't know \`${head.slice(0, 40)}\``);
  }
}

/** A Slack mention as slash commands send it (`<@U123|maria>`, `<@U123>`) or a bare user id. */
const MENTION = /^<@([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,20})$/;

/** `batch NAME assign @user [due YYYY-MM-DD]`. */
function parseAssign(name: string, tail: string[]): Body {
  const usage = 'write `batch <name> assign @user [due 2026-12-10]`';
  const [who, ...more] = tail;
  if (!who) throw new ParseProblem(`whom to assign? ${usage}`);
  const m = MENTION.exec(who);
  if (!m)
    throw new ParseProblem(
      `\`${who.slice(0, 40)}\` is not a mention Slack sent with an id: pick the person from the @ menu (${usage})`,
    );
  let due: string | null = null;
  if (more.length) {
    if (more[0].toLowerCase() !== 'due' || more.length !== 2) throw new ParseProblem(usage);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(more[1]))
      throw new ParseProblem(`write the due date as YYYY-MM-DD, e.g. 2026-12-10`);
    due = more[1];
  }
  return { kind: 'batch-assign', name, owner: m[1] ?? m[2], due };
}

function noMore(head: string, rest: string[]) {
  if (rest.length) throw new ParseProblem(`\`${head}\` takes no arguments`);
}

function onlyCount(head: string, rest: string[]): number {
  if (rest.length === 0) return DEFAULT_N;
  if (rest.length === 1 && isCount(rest[0])) return count(rest[0], MAX_LIST_N);
  throw new ParseProblem(`\`${head}\` takes only a count, e.g. \`${head} 20\``);
}

function isCount(t: string): boolean {
  return /^\d+$/.test(t);
}

function count(t: string, max: number): number {
  const n = Number(t);
  if (n < 1 || n > max) throw new ParseProblem(`a count must be between 1 and ${max}`);
  return n;
}

function setOnce(current: string | undefined, t: string, head: string): string {
  if (current !== undefined)
    throw new ParseProblem(`\`${head}\` takes one run name, got \`${current}\` and \`${t.slice(0, 40)}\``);
  return t;
}
