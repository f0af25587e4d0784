/** The unlabeled rows to label next: uncertainty order, optionally spread over the embedding space. */

import { loadEmbeddingVectors, loadFindingsRun } from './findings-inputs.ts';
import { sql } from 'drizzle-orm';
import { rawRows } from '../../db/raw.ts';
import { batchItems, batches, dataRows, rowScores } from '../../db/schema.ts';
import { runCompute } from '../compute/pool.ts';
import type { Deps } from '../deps.ts';
import type { Strategy } from '../findings/uncertainty.ts';

export interface UncertainItem {
  rowId: number;
  id: string;
  score: number;
  predicted: string | null;
  imageUrl: string | null;
}

/**
 * Distance terms (candidates × picks × dimensions) a diverse pick may cost on the request thread:
 * about 20 ms here, e.g. the board's 200 picks from 1,000 candidates at 64 dimensions.
 */
export const INLINE_DIVERSE_WORK = 15_000_000;

const strategyColumn = {
  least: sql.raw('uncertainty_least'),
  margin: sql.raw('uncertainty_margin'),
  entropy: sql.raw('uncertainty_entropy'),
} as const;

const notInOpenBatch = sql`and not exists (
  select 1 from ${batchItems} bi join ${batches} b on b.id = bi.batch_id
  where bi.row_id = s.row_id and b.status = 'open')`;

/**
 * The unlabeled rows to label next, most uncertain first. With `diverse`, the `limit` picks are spread
 * over the top 5×limit by greedy k-center on the run's embeddings (rows without an embedding follow
 * the diverse picks in uncertainty order).
 *
 * @example
 * const { items } = await listUncertain(deps, { runId, strategy: 'entropy', limit: 50, diverse: true });
 */
export async function listUncertain(
  deps: Pick<Deps, 'db' | 'compute'>,
  {
    runId,
    strategy = 'least',
    limit = 50,
    diverse = false,
    outsideOpenBatches = false,
    pageSize = 250,
  }: {
    runId: number;
    strategy?: Strategy;
    limit?: number;
    diverse?: boolean;
    /** Leave out rows already in an open batch (someone is labeling them): for suggestions. */
    outsideOpenBatches?: boolean;
    pageSize?: number;
  },
): Promise<{ items: UncertainItem[] }> {
  const { db } = deps;
  if (!(strategy in strategyColumn))
    throw new Error(`strategy: expected least, margin or entropy, got ${JSON.stringify(strategy)}`);
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`limit: expected a positive integer, got ${limit}`);
  const run = await loadFindingsRun(db, runId);
  const col = strategyColumn[strategy];
  const take = diverse ? limit * 5 : limit;
  // Read in keyset pages: an embedded database runs each statement on this thread, and one
  // 15,000-row read would stall every other request for seconds.
  const items: UncertainItem[] = [];
  let after: { score: number; rowId: number } | null = null;
  while (items.length < take) {
    const want = Math.min(pageSize, take - items.length);
    const rows = await rawRows<{
      row_id: number;
      score: number;
      predicted: number | null;
      external_id: string;
      image_url: string | null;
    }>(
      db,
      sql`select s.row_id, s.${col} as score, s.predicted, d.external_id, d.image_url
          from ${rowScores} s join ${dataRows} d on d.id = s.row_id
          where s.run_id = ${runId}::int and not s.labeled and s.${col} is not null
          ${outsideOpenBatches ? notInOpenBatch : sql``}
          ${after ? sql`and (s.${col} < ${after.score}::float8 or (s.${col} = ${after.score}::float8 and s.row_id > ${after.rowId}::bigint))` : sql``}
          order by s.${col} desc nulls last, s.row_id limit ${want}::int`,
    );
    for (const r of rows)
      items.push({
        rowId: Number(r.row_id),
        id: r.external_id,
        score: Number(r.score),
        predicted: r.predicted === null ? null : (run.classNames[r.predicted] ?? String(r.predicted)),
        imageUrl: r.image_url,
      });
    if (rows.length < want) break;
    const last = items[items.length - 1];
    after = { score: last.score, rowId: last.rowId };
  }
  if (!diverse) return { items };
  const vectors = await loadEmbeddingVectors(
    db,
    runId,
    items.map((i) => i.rowId),
    { pageSize },
  );
  const withVec = items.filter((i) => vectors.has(i.rowId));
  const dim = withVec.length ? vectors.get(withVec[0].rowId)!.length : 0;
  const flat = new Float32Array(withVec.length * dim);
  withVec.forEach((item, i) => {
    const v = vectors.get(item.rowId)!;
    if (v.length !== dim)
      throw new Error(
        `embeddings of run ${runId}: row ${item.rowId} has ${v.length} dimensions, row ${withVec[0].rowId} has ${dim}`,
      );
    flat.set(v, i * dim);
  });
  // Quadratic in the batch size: a board-sized list is a few ms here, a labeling batch of thousands
  // takes seconds and goes to the compute pool (when the process has one).
  const work = withVec.length * Math.min(limit, withVec.length) * dim;
  const order = withVec.length
    ? await runCompute(
        deps,
        'diverse',
        { data: flat, dim, n: limit },
        { transfer: [flat.buffer], inline: work <= INLINE_DIVERSE_WORK },
      )
    : new Int32Array(0);
  const picks = Array.from(order, (i) => withVec[i]);
  const chosen = new Set(picks.map((p) => p.rowId));
  const rest = items.filter((i) => !vectors.has(i.rowId) && !chosen.has(i.rowId));
  return { items: [...picks, ...rest].slice(0, limit) };
}
