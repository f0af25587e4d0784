import type { Deps } from '../deps.ts';
import { describeRows, readEmbeddings } from '../store/vectors.ts';
import { fuseByRank } from './fusion.ts';
import { withVectorService } from './with-service.ts';

export interface SimilarItem {
  rowId: number;
  /** The external id the user knows. */
  id: string;
  /** Cosine distance to the closest selected row. */
  distance: number;
  labeled: boolean;
}

export interface FindSimilarOptions {
  runId: number;
  rowIds: number[];
  limit?: number;
  unlabeledOnly?: boolean;
}

/**
 * Rows like the selected ones: one kNN query per selected row, fused by reciprocal rank, the
 * selection itself left out. With `unlabeledOnly` the search over-fetches until `limit`
 * unlabeled rows are found or the index is exhausted.
 *
 * @example
 * const { items } = await findSimilar(deps, { runId, rowIds: [118, 143], limit: 20 });
 */
export async function findSimilar(
  deps: Deps,
  { runId, rowIds, limit = 50, unlabeledOnly = false }: FindSimilarOptions,
): Promise<{ items: SimilarItem[] }> {
  if (rowIds.length === 0) throw new Error('findSimilar: select at least one row');
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`findSimilar: limit must be a positive integer, got ${limit}`);
  const selection = [...new Set(rowIds)];
  return withVectorService(deps, async (vectors) => {
    const info = await vectors.ensureIndex(deps.db, runId);
    const { vectors: queries } = await readEmbeddings(deps.db, runId, selection, info.dim);
    const exclude = new Set(selection);
    // Deep enough lists that fusion ranks don't hinge on where each list was cut.
    let fetch = Math.max(100, 2 * (limit + selection.length)) * (unlabeledOnly ? 4 : 1);
    for (;;) {
      const k = Math.min(fetch, info.count);
      const hits = await vectors.search(runId, queries.slice(), k);
      const lists = selection.map((_, q) => ({
        rowIds: hits.keys.subarray(q * hits.k, q * hits.k + hits.counts[q]),
        distances: hits.distances.subarray(q * hits.k, q * hits.k + hits.counts[q]),
      }));
      const fused = fuseByRank(lists, { exclude });
      const rows = await describeRows(
        deps.db,
        fused.map((f) => f.rowId),
      );
      const items: SimilarItem[] = [];
      for (const f of fused) {
        const row = rows.get(f.rowId);
        // A row deleted since the index was built is no answer.
        if (!row || (unlabeledOnly && row.labeled)) continue;
        items.push({ rowId: f.rowId, id: row.id, distance: f.distance, labeled: row.labeled });
        if (items.length === limit) break;
      }
      if (items.length === limit || k >= info.count) return { items };
      fetch *= 4;
    }
  });
}
