import type { Deps } from '../deps.ts';
import { computeFindings, neighbourCandidateRows, runFindingsOptions } from '../findings/index.ts';
import { type NewJob, childJobs, enqueueJobs } from '../store/jobs.ts';
import { deleteKnnParts, readKnnGraph, saveKnnPart } from '../store/knn-parts.ts';
import {
  type EmbeddingFingerprint,
  embeddedRowIds,
  readEmbeddingChunks,
  readEmbeddingPages,
} from '../store/vectors.ts';
import { sameFingerprint } from '../vectors/index-files.ts';
import { withVectorService } from '../vectors/with-service.ts';
import type { JobHandlers } from './runner.ts';

/** The job of a run's kNN pass: it fans out the chunks, works on them, and folds the result in. */
export const KNN_PASS = 'knn';
/** One chunk of a pass: the neighbours of a range of rows, stored as a part of the pass. */
export const KNN_CHUNK = 'knn-chunk';

/**
 * What a chunk job carries: its pass (the parent job), its part number, the rows it searches, and
 * the embeddings the pass's index holds. Chunks queued by an earlier version carry a row range
 * (`after`, `last`, `rows`) instead of `rowIds`, and may lack the fingerprint.
 */
type ChunkPayload = {
  pass: number;
  part: number;
  k: number;
  fingerprint?: EmbeddingFingerprint;
} & ({ rowIds: number[] } | { after: number; last: number; rows: number });

/** The ascending `wanted` ids that are also in the ascending `present` ones. */
function presentOf(wanted: number[], present: Float64Array): number[] {
  const out: number[] = [];
  let j = 0;
  for (const id of wanted) {
    while (j < present.length && present[j] < id) j++;
    if (present[j] === id) out.push(id);
  }
  return out;
}

/** A chunk cannot search the embeddings its pass was split for: they changed since. */
const changedSince = (part: number, what: string) =>
  new Error(
    `kNN chunk ${part}: ${what} (the embeddings changed since its pass began; the pass runs again after the next import)`,
  );

/**
 * The kNN pass of a run, to enqueue after its analysis stored the findings without neighbour
 * evidence (`neighbours: { deferred: true }`).
 *
 * @example
 * return [knnPassJob(runId)];
 */
export function knnPassJob(runId: number): NewJob {
  return { kind: KNN_PASS, runId };
}

/** True when a run of `embedded` rows has its kNN pass split into chunk jobs. */
export function splitsKnnPass(deps: Pick<Deps, 'config'>, embedded: number): boolean {
  return embedded > deps.config.LOUPE_KNN_CHUNK_ROWS;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The handlers of a split kNN pass.
 *
 * `knn` (the pass): builds or checks the run's vector index, takes the embedded rows whose
 * neighbours the findings keep (`neighbourCandidateRows`: the rows confident learning flags and
 * those the model does not vouch for, a fifth of a typical run), splits them into chunks of
 * LOUPE_KNN_CHUNK_ROWS, enqueues a `knn-chunk` job per chunk (children of the pass, once: a
 * retried pass finds them and waits), then runs due chunks itself while other workers (serve or
 * `loupe worker`, any process on Postgres) take the rest. Its progress is the share of chunks
 * done. When every chunk is done it joins their parts into the run's kNN graph and recomputes the
 * findings with it. A failed chunk is retried as any job; one that fails for good fails the pass.
 *
 * `knn-chunk`: searches its rows in the run's vector index (built once, loaded or copied by each
 * process) and stores their neighbours as a part of the pass, replacing an earlier attempt's. A
 * row whose embedding is gone fails the chunk: the embeddings changed since the pass began.
 *
 * @example
 * const runner = createJobRunner(deps, { handlers: { ...knnPassHandlers(deps) } });
 */
export function knnPassHandlers(
  deps: Deps,
  {
    pollMs = 250,
    releaseIndexes = false,
  }: {
    pollMs?: number;
    /**
     * End the vector worker once the chunks are searched (`VectorService.releaseIndexes`), so the
     * fold runs without the index in memory: for a process that serves no search (`loupe ingest`).
     */
    releaseIndexes?: boolean;
  } = {},
): JobHandlers {
  return {
    async [KNN_PASS]({ job, progress, runOne }) {
      const runId = job.runId;
      if (runId === null) throw new Error('kNN pass without a run');
      const options = await runFindingsOptions(deps, runId);
      if (options.fusion === 'confident_learning_only') return [];
      let chunks = await childJobs(deps.database, job.id);
      if (chunks.total === 0) {
        // Chosen from the labels and predictions before the index is built: what reading a million
        // rows leaves for the collector then goes during the build, not beside the finished index.
        const candidates = await neighbourCandidateRows(deps, runId);
        // The index of a split run is built here, not before its analysis (see pipeline.ts), checked
        // against the current embeddings once. Its chunks carry what it holds: a process that
        // opened the run's index before a re-import (a server that answered a find-similar)
        // must not search that one for them.
        const { fingerprint } = await withVectorService(deps, (v) =>
          v.ensureIndex(deps.db, runId, { recheck: true }),
        );
        if (!fingerprint)
          throw new Error(
            'kNN pass: the embeddings changed while their index was built; it runs again after the import',
          );
        const searched = presentOf(candidates, await embeddedRowIds(deps.db, runId));
        const size = deps.config.LOUPE_KNN_CHUNK_ROWS;
        const parts = Array.from({ length: Math.ceil(searched.length / size) }, (_, part) =>
          searched.slice(part * size, (part + 1) * size),
        );
        // No row the neighbours could change: the findings stored by the analysis stand.
        if (parts.length === 0) return [];
        await enqueueJobs(
          deps.database,
          parts.map((rowIds, part) => ({
            kind: KNN_CHUNK,
            runId,
            parentId: job.id,
            dedupeKey: `${KNN_CHUNK}:${job.id}:${part}`,
            payload: { pass: job.id, part, rowIds, k: options.k, fingerprint } satisfies ChunkPayload,
          })),
        );
        chunks = await childJobs(deps.database, job.id);
        deps.logger.info('kNN pass split into chunk jobs', { runId, pass: job.id, chunks: chunks.total });
      }
      for (;;) {
        if (chunks.failed > 0)
          throw new Error(
            `kNN pass: ${chunks.failed} of ${chunks.total} chunks failed: ${chunks.errors[0] ?? 'no error recorded'}`,
          );
        // The fold is the last tenth.
        progress((0.9 * chunks.done) / chunks.total);
        if (chunks.done === chunks.total) break;
        if (!(await runOne({ kinds: [KNN_CHUNK], runId }))) await sleep(pollMs);
        chunks = await childJobs(deps.database, job.id);
      }
      if (releaseIndexes && deps.vectors) {
        await deps.vectors.releaseIndexes();
        deps.logger.info('kNN pass: vector indexes released before the fold', { runId, pass: job.id });
      }
      const graph = await readKnnGraph(deps.db, job.id, chunks.total);
      await computeFindings(deps, runId, {}, { neighbours: { graph } });
      await deleteKnnParts(deps.db, job.id);
      progress(1);
      return [];
    },

    async [KNN_CHUNK]({ job, progress }) {
      const runId = job.runId;
      if (runId === null) throw new Error('kNN chunk without a run');
      const p = job.payload as unknown as ChunkPayload;
      await withVectorService(deps, async (vectors) => {
        const info = await vectors.ensureIndex(deps.db, runId, { expect: p.fingerprint });
        if (p.fingerprint && !(info.fingerprint && sameFingerprint(info.fingerprint, p.fingerprint)))
          throw changedSince(p.part, 'its index holds other embeddings than its pass');
        progress(0.05);
        const rows =
          'rowIds' in p
            ? readEmbeddingPages(deps.db, runId, p.rowIds, { dim: info.dim })
            : readEmbeddingChunks(deps.db, runId, { dim: info.dim, after: p.after, last: p.last });
        const found = await vectors.knnRows(runId, rows, p.k).catch((err: Error) => {
          throw /no embedding for row/.test(err.message) ? changedSince(p.part, err.message) : err;
        });
        const expected = 'rowIds' in p ? p.rowIds.length : p.rows;
        if (found.rowIds.length !== expected)
          throw changedSince(p.part, `${found.rowIds.length} embedded rows searched, expected ${expected}`);
        progress(0.95);
        await saveKnnPart(deps.database, { passId: p.pass, part: p.part, runId }, found);
      });
      return [];
    },
  };
}
