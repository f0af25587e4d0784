import type { Deps } from '../deps.ts';
import type { KnnGraph } from './service.ts';
import { withVectorService } from './with-service.ts';

/**
 * The kNN graph of a run's embeddings (cosine distance, self excluded), computed in the vector
 * worker: row `i` of `indices`/`distances` (k entries from `i*k`) holds positions into `rowIds`,
 * nearest first, -1 / Infinity where fewer than k exist. Used for neighbour disagreement,
 * diverse sampling and UMAP.
 *
 * @example
 * const { rowIds, indices, distances } = await knnGraph(deps, runId, { k: 10 });
 */
export async function knnGraph(
  deps: Deps,
  runId: number,
  { k = 10 }: { k?: number } = {},
): Promise<KnnGraph> {
  return withVectorService(deps, (vectors) => vectors.knn(deps.db, runId, k));
}
