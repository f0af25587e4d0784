/** One ranked neighbour list: row ids best first, with their distances. */
export interface RankedList {
  rowIds: ArrayLike<number>;
  distances: ArrayLike<number>;
}

export interface Fused {
  rowId: number;
  /** Sum over lists of 1 / (c + rank), rank from 1. */
  score: number;
  /** The best distance to any list's query. */
  distance: number;
}

/**
 * Reciprocal-rank fusion (Cormack et al. 2009): rank-based, so lists whose distance scales
 * differ still mix fairly. Ties go to the smaller best distance, then the smaller row id.
 * Negative row ids (padding) and `exclude`d ids are skipped without taking a rank.
 *
 * @example
 * fuseByRank([{ rowIds: [3, 5], distances: [0.1, 0.2] }, { rowIds: [5], distances: [0.05] }])
 * // → [{ rowId: 5, score: 1/62 + 1/61, distance: 0.05 }, { rowId: 3, score: 1/61, distance: 0.1 }]
 */
export function fuseByRank(
  lists: RankedList[],
  { exclude = new Set<number>(), c = 60 }: { exclude?: Set<number>; c?: number } = {},
): Fused[] {
  const byId = new Map<number, Fused>();
  for (const list of lists) {
    let rank = 0;
    for (let i = 0; i < list.rowIds.length; i++) {
      const rowId = list.rowIds[i];
      if (rowId < 0 || exclude.has(rowId)) continue;
      rank++;
      const d = list.distances[i];
      const cur = byId.get(rowId);
      if (cur) {
        cur.score += 1 / (c + rank);
        if (d < cur.distance) cur.distance = d;
      } else byId.set(rowId, { rowId, score: 1 / (c + rank), distance: d });
    }
  }
  return [...byId.values()].sort((a, b) => b.score - a.score || a.distance - b.distance || a.rowId - b.rowId);
}
