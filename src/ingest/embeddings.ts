import type { Deps } from '../deps.ts';
import { pipelineStart, runPipelineNow } from '../jobs/pipeline.ts';
import type { Progress } from '../progress.ts';
import { findRunByName, prepareBulkSession } from '../store/ingest.ts';
import { withBulkTransaction } from '../store/ingest-tx.ts';
import { enqueueJobsIn } from '../store/jobs.ts';
import { openVectorSource } from './embeddings-file.ts';
import { IngestError } from './errors.ts';
import { writeVectors } from './write.ts';

/**
 * Attach embeddings to an existing run's rows (by id; `.npy` rows by `--ids` or row index).
 *
 * @example
 * await ingestEmbeddings(deps, { run: 'resnet-7', path: 'emb.npy' });
 */
export async function ingestEmbeddings(
  deps: Deps,
  {
    run,
    path,
    ids,
    analyze = true,
    wait = true,
    progress,
  }: { run: string; path: string; ids?: string; analyze?: boolean; wait?: boolean; progress?: Progress },
): Promise<{ embeddings: number }> {
  const source = await openVectorSource(path, { ids });
  try {
    const { runId, embeddings } = await withBulkTransaction(deps.database, async (tx) => {
      const found = await findRunByName(tx, run);
      if (!found)
        throw new IngestError(
          `run "${run}" not found, expected an imported run (import its predictions first)`,
        );
      await prepareBulkSession(tx, { datasetId: found.datasetId, runId: found.id });
      const { held: embeddings } = await writeVectors(tx, source, {
        datasetId: found.datasetId,
        runId: found.id,
      });
      if (analyze) await enqueueJobsIn(tx, pipelineStart(found.id, { embeddings: true }));
      return { runId: found.id, embeddings };
    });
    if (analyze && wait) await runPipelineNow(deps, runId, { progress });
    return { embeddings };
  } finally {
    await source.close();
  }
}
