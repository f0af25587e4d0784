import type { Deps } from '../deps.ts';
import { type VectorService, createVectorService } from './service.ts';

/**
 * Run `fn` with the process's vector service, or, when deps carries none, with a throwaway one
 * closed afterwards. The throwaway one saves indexes beside an on-disk PGlite folder, or, on the
 * configured Postgres, in LOUPE_DATA and the database for the other instances; otherwise
 * (in-memory tests, test databases) it keeps them in memory.
 *
 * @example
 * const graph = await withVectorService(deps, (v) => v.knn(deps.db, runId, 10));
 */
export async function withVectorService<T>(
  deps: Deps,
  fn: (vectors: VectorService) => Promise<T>,
): Promise<T> {
  if (deps.vectors) return fn(deps.vectors);
  // A configured Postgres is shared by instances: its indexes go to LOUPE_DATA and the database.
  const shared = deps.database.driver === 'postgres' && Boolean(deps.config.DATABASE_URL);
  const vectors = createVectorService({
    dataDir: deps.database.dataDir ?? (shared ? deps.config.LOUPE_DATA : null),
    shareIndexes: shared,
    logger: deps.logger,
  });
  try {
    return await fn(vectors);
  } finally {
    await vectors.close();
  }
}
