/** The suspected-mislabel list of a run, most likely wrong first, paged by rank. */

import { classNamesOfRun } from './run-lookup.ts';
import { CursorError, decodeCursor, encodeCursor } from './cursor.ts';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { annotations, dataRows, labelFlags, predictions, rowScores } from '../../db/schema.ts';
import type { NewFlag } from './findings-save.ts';

export interface MislabelItem {
  rowId: number;
  id: string;
  given: string | null;
  suggested: string | null;
  score: number;
  methods: string[];
  evidence: string;
  kind: string;
  imageUrl: string | null;
  /** The model's own answer: its top class and that class's probability (a box flag's class, no probability). */
  predicted: string | null;
  confidence: number | null;
  width: number | null;
  height: number | null;
  /** Detection flags: the flagged ground-truth box (none for overlooked). */
  gtBox: { x: number; y: number; w: number; h: number } | null;
  /** Detection flags: the prediction that contradicts the label, and its score. */
  predBox: { x: number; y: number; w: number; h: number } | null;
  predScore: number | null;
  /** Detection flags: the stored box (annotation id) and the prediction (id), what a correction names. */
  annId: number | null;
  predId: number | null;
}

export interface MislabelPage {
  items: MislabelItem[];
  total: number;
  nextCursor: string | null;
}

/** A stored box, or null when it has no geometry. */
function xywh(x: number | null, y: number | null, w: number | null, h: number | null) {
  if (x === null || y === null || w === null || h === null) return null;
  return { x: Number(x), y: Number(y), w: Number(w), h: Number(h) };
}

function encodeRankCursor(runId: number, rank: number): string {
  return encodeCursor([runId, rank]);
}

function decodeRankCursor(cursor: string, runId: number): number {
  const [run, rank] = decodeCursor(cursor, (v) =>
    Array.isArray(v) && v.length === 2 && v.every(Number.isSafeInteger) ? (v as [number, number]) : null,
  );
  if (run !== runId) throw new CursorError(`cursor: the page token belongs to another run (id ${run})`);
  return rank;
}

/**
 * A run's suspected label errors, most likely wrong first, leaving out rows whose latest review said
 * approve or dismiss, or corrected the label (relabel). Keyset pages on the flag rank (index `label_flags_run_rank_idx`).
 *
 * @example
 * const page = await listMislabels(db, { runId, limit: 20 });
 * const next = page.nextCursor ? await listMislabels(db, { runId, cursor: page.nextCursor }) : null;
 */
export async function listMislabels(
  db: Db,
  {
    runId,
    limit = 20,
    cursor,
    kind,
    flagIds,
  }: {
    runId: number;
    limit?: number;
    cursor?: string | null;
    kind?: NewFlag['kind'] | null;
    /** These flags only, in this order (a re-ranked queue's page); no cursor then. */
    flagIds?: number[] | null;
  },
): Promise<MislabelPage> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`limit: expected a positive integer, got ${limit}`);
  const after = cursor ? decodeRankCursor(cursor, runId) : 0;
  const classNames = await classNamesOfRun(db, runId);
  if (!classNames) throw new Error(`no model run with id ${runId}`);
  const open = sql`coalesce((select r.decision from reviews r where r.row_id = f.row_id order by r.id desc limit 1), '')
    not in ('approve', 'dismiss', 'relabel')`;
  const kindFilter = kind ? sql`and f.kind = ${kind}` : sql``;
  const idFilter = flagIds
    ? sql`and f.id in (${
        flagIds.length
          ? sql.join(
              flagIds.map((id) => sql`${id}::bigint`),
              sql`, `,
            )
          : sql`null`
      })`
    : sql``;
  const rows = await rawRows<{
    flag_id: number;
    row_id: number;
    kind: string;
    given: number | null;
    suggested: number | null;
    score: number;
    methods: string[] | string;
    evidence: string;
    rank: number;
    external_id: string;
    image_url: string | null;
    predicted: number | null;
    confidence: number | null;
    width: number | null;
    height: number | null;
    ax: number | null;
    ay: number | null;
    aw: number | null;
    ah: number | null;
    px: number | null;
    py: number | null;
    pw: number | null;
    ph: number | null;
    pscore: number | null;
    ann_id: number | string | null;
    pred_id: number | string | null;
  }>(
    db,
    sql`select f.id as flag_id, f.row_id, f.kind, f.ann_id, f.pred_id, f.given, f.suggested, f.score, f.methods,
          f.evidence, f.rank,
          d.external_id, d.image_url, d.width, d.height, s.predicted, s.confidence,
          a.x as ax, a.y as ay, a.w as aw, a.h as ah, p.x as px, p.y as py, p.w as pw, p.h as ph,
          p.score as pscore
        from ${labelFlags} f join ${dataRows} d on d.id = f.row_id
        left join ${rowScores} s on s.run_id = f.run_id and s.row_id = f.row_id
        left join ${annotations} a on a.id = f.ann_id
        left join ${predictions} p on p.id = f.pred_id
        where f.run_id = ${runId}::int and f.rank > ${after}::int ${kindFilter} ${idFilter} and ${open}
        order by f.rank limit ${limit + 1}::int`,
  );
  const [{ total }] = await rawRows<{ total: number }>(
    db,
    sql`select count(*)::int as total from ${labelFlags} f
        where f.run_id = ${runId}::int ${kindFilter} and ${open}`,
  );
  const name = (c: number | null) => (c === null ? null : (classNames[c] ?? String(c)));
  const position = new Map((flagIds ?? []).map((id, i) => [id, i]));
  const page = flagIds
    ? rows.sort((a, b) => (position.get(Number(a.flag_id)) ?? 0) - (position.get(Number(b.flag_id)) ?? 0))
    : rows.slice(0, limit);
  return {
    items: page.map((r) => ({
      rowId: Number(r.row_id),
      id: r.external_id,
      given: name(r.given),
      suggested: name(r.suggested),
      score: Number(r.score),
      methods: typeof r.methods === 'string' ? JSON.parse(r.methods) : r.methods,
      evidence: r.evidence,
      kind: r.kind,
      imageUrl: r.image_url,
      width: r.width === null ? null : Number(r.width),
      height: r.height === null ? null : Number(r.height),
      gtBox: xywh(r.ax, r.ay, r.aw, r.ah),
      predBox: xywh(r.px, r.py, r.pw, r.ph),
      predScore: r.pscore === null ? null : Number(r.pscore),
      annId: r.ann_id === null ? null : Number(r.ann_id),
      predId: r.pred_id === null ? null : Number(r.pred_id),
      ...(r.kind === 'label'
        ? { predicted: name(r.predicted), confidence: r.confidence === null ? null : Number(r.confidence) }
        : { predicted: name(r.suggested), confidence: null }),
    })),
    total: Number(total),
    nextCursor:
      !flagIds && rows.length > limit ? encodeRankCursor(runId, Number(page[page.length - 1].rank)) : null,
  };
}
