import type { Deps } from '../deps.ts';
import { type VectorService, createVectorService } from './service.ts';

/**
 * Run `fn` with the process's vector service, or, when deps carries none, with a throwaway one
 * closed afterwards. The throwaway one saves indexes only beside an on-disk PGlite folder (its
 * lock makes this process the only writer); otherwise (in-memory tests, Postgres) it keeps them
 * in memory, and the composition root's `deps.vectors` is what persists them.
 *
 * @example
 * const graph = await withVectorService(deps, (v) => v.knn(deps.db, runId, 10));
 */
export async function withVectorService<T>(
  deps: Deps,
  fn: (vectors: VectorService) => Promise<T>,
): Promise<T> {
  if (deps.vectors) return fn(deps.vectors);
  const vectors = createVectorService({ dataDir: deps.database.dataDir ?? null, logger: deps.logger });
  try {
    return await fn(vectors);
  } finally {
    await vectors.close();
  }
}
