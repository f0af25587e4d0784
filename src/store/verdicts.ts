import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import type { FlagFeatures } from '../review/learned-ranking.ts';

/**
 * Decisions that are verdicts on the flag that surfaced a row: sending it to rework or relabelling
 * it says the flag was right; approving the label says it was wrong. Dismiss says neither.
 */
const RIGHT = ['rework', 'relabel'];
const WRONG = ['approve'];

/**
 * The flags of a run with the learned ranking's features and their verdict (the row's latest
 * decision): every decided flag, and the first `openLimit` undecided ones by the original rank
 * (the part of the queue anyone will look at).
 *
 * @example
 * const flags = await loadFlagFeatures(db, run.id);
 */
export async function loadFlagFeatures(
  db: Db,
  runId: number,
  { openLimit = 2000 }: { openLimit?: number } = {},
): Promise<FlagFeatures[]> {
  const rows = await rawRows<{
    id: number;
    row_id: number;
    rank: number;
    given: number | null;
    methods: string[] | string;
    score: number;
    nd: number | null;
    probs: number[] | string | null;
    decision: string | null;
  }>(
    db,
    sql`with flags as (
          select f.id, f.row_id, f.rank, f.given, f.methods, f.score,
            (select r.decision from reviews r where r.row_id = f.row_id order by r.id desc limit 1) as decision
          from label_flags f where f.run_id = ${runId}::int
        ), ranked as (
          select *, row_number() over (partition by decision is null order by rank) as nth from flags
        )
        select k.id, k.row_id, k.rank, k.given, k.methods, k.score, k.decision,
          s.neighbour_disagreement as nd, p.probs
        from ranked k
        left join row_scores s on s.run_id = ${runId}::int and s.row_id = k.row_id
        left join predictions p on p.run_id = ${runId}::int and p.row_id = k.row_id and p.pred_key = 0
          and p.probs is not null
        where k.decision in ('rework', 'relabel', 'approve') or (k.decision is null and k.nth <= ${openLimit}::int)
        order by k.rank`,
  );
  return rows.map((r) => {
    const probs = typeof r.probs === 'string' ? parsePgArray(r.probs) : r.probs;
    const given = r.given === null ? null : Number(r.given);
    let margin = Number(r.score);
    let self = Number(r.score);
    if (probs && given !== null && given < probs.length) {
      self = Number(probs[given]);
      let other = Number.NEGATIVE_INFINITY;
      probs.forEach((p, j) => {
        if (j !== given && Number(p) > other) other = Number(p);
      });
      margin = self - other;
    }
    return {
      flagId: Number(r.id),
      rowId: Number(r.row_id),
      rank: Number(r.rank),
      given,
      methods: typeof r.methods === 'string' ? JSON.parse(r.methods) : r.methods,
      margin,
      selfConfidence: self,
      neighbourDisagreement: r.nd === null ? null : Number(r.nd),
      verdict:
        r.decision && RIGHT.includes(r.decision) ? 1 : r.decision && WRONG.includes(r.decision) ? 0 : null,
    };
  });
}

/** `{0.1,0.2}` as numbers (a driver that hands arrays back as text). */
function parsePgArray(text: string): number[] {
  return text
    .replace(/^\{|\}$/g, '')
    .split(',')
    .filter(Boolean)
    .map(Number);
}
