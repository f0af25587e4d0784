import { eq } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { modelRuns } from '../../db/schema.ts';
import type { BulkTx } from './ingest-tx.ts';

/**
 * How many imports wrote the run's embeddings (0 for a run without): one primary-key lookup, where
 * the fingerprint reads every line of the run.
 *
 * @example
 * if ((await embeddingsVersion(db, runId)) !== seen) await vectors.ensureIndex(db, runId, { recheck: true });
 */
export async function embeddingsVersion(db: Db, runId: number): Promise<number> {
  const [row] = await db
    .select({ version: modelRuns.embeddingsVersion })
    .from(modelRuns)
    .where(eq(modelRuns.id, runId));
  return row?.version ?? 0;
}

/**
 * Count one more write of the run's embeddings, in the import's transaction (see embeddingsVersion).
 *
 * @example
 * await markEmbeddingsWritten(tx, runId);
 */
export async function markEmbeddingsWritten(tx: BulkTx, runId: number): Promise<void> {
  await tx.query('update model_runs set embeddings_version = embeddings_version + 1 where id = $1', [runId]);
}
