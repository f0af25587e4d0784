import type { TaskKind } from '../store/database.ts';
import {
  DIRECT_TARGET,
  type ImportCounts,
  countEmbeddings,
  findDataset,
  findRunByName,
  insertDataset,
  insertRun,
  lockImports,
  prepareBulkSession,
  refreshEmbeddingStatistics,
  rowIndexBlock,
  runHasEmbeddings,
} from '../store/ingest.ts';
import {
  STAGE_TARGET,
  createStage,
  findDuplicateId,
  findUnknownVectorId,
  mergeEmbeddings,
} from '../store/ingest-stage.ts';
import { outdateAnalysis } from '../store/analysis-state.ts';
import { deferIndexes } from '../store/deferred-indexes.ts';
import type { BulkTx } from '../store/ingest-tx.ts';
import { recordIngestVersion } from '../store/label-versions.ts';
import { sameImport, startingLabelVersion } from '../store/last-import.ts';
import { markEmbeddingsWritten } from '../store/embeddings-version.ts';
import type { VectorSource } from './embeddings-file.ts';
import { IngestError, show } from './errors.ts';
import { encodeEmbeddings } from './direct-encode.ts';
import { encodeVectors } from './stage-encode.ts';

const sameList = (a: unknown[] | null, b: unknown[] | null) =>
  a === b || (!!a && !!b && a.length === b.length && a.every((v, i) => v === b[i]));

/**
 * The dataset and run rows for an import: created when new, reused when they match (a second
 * run on a dataset, or the same import again), refused with a clear message when they do not.
 */
export async function ensureDatasetAndRun(
  tx: BulkTx,
  d: {
    dataset: string;
    run: string;
    kind: TaskKind;
    classNames: string[];
    sourceClassIds: number[] | null;
    source: Record<string, unknown>;
    /** How the labels came in (format, dtype), kept with label version 1 of a new dataset. */
    labelOrigin?: Record<string, unknown>;
    /**
     * The digest of the import's files (null: none), and whether it analyses: an existing run whose
     * last import had the same files, with nothing changed since, is left as it is (sameImport).
     */
    same?: { digest: Promise<string | null>; analyzed: boolean };
  },
): Promise<{
  datasetId: number;
  runId: number;
  datasetExisted: boolean;
  runExisted: boolean;
  /** The run's counts when the same files are already imported and nothing was written; else null. */
  unchanged: ImportCounts | null;
  /** With `same`: the dataset's label version as the import starts, for recordLastImport. */
  labelVersion: number | null;
}> {
  await lockImports(tx);
  const existing = await findDataset(tx, d.dataset);
  if (existing) {
    if (existing.kind !== d.kind)
      throw new IngestError(
        `dataset "${d.dataset}" already holds ${existing.kind} data, this import is ${d.kind}`,
      );
    if (!sameList(existing.classNames, d.classNames))
      throw new IngestError(
        `dataset "${d.dataset}" already has classes ${show(existing.classNames)}, this import has ${show(d.classNames)}`,
      );
    if (!sameList(existing.sourceClassIds, d.sourceClassIds))
      throw new IngestError(
        `dataset "${d.dataset}" already has category ids ${show(existing.sourceClassIds)}, this import has ${show(d.sourceClassIds)}`,
      );
  }
  const datasetId =
    existing?.id ??
    (await insertDataset(tx, {
      name: d.dataset,
      kind: d.kind,
      classNames: d.classNames,
      sourceClassIds: d.sourceClassIds,
    }));
  if (!existing) await recordIngestVersion(tx, datasetId, d.labelOrigin ?? null);
  const run = await findRunByName(tx, d.run);
  if (run && run.datasetId !== datasetId)
    throw new IngestError(`run "${d.run}" already exists on dataset "${run.dataset}", not on "${d.dataset}"`);
  if (run && run.kind !== d.kind)
    throw new IngestError(`run "${d.run}" already exists as a ${run.kind} run, this import is ${d.kind}`);
  const runId = run?.id ?? (await insertRun(tx, { name: d.run, datasetId, kind: d.kind, source: d.source }));
  const digest = run && d.same ? await d.same.digest : null;
  const unchanged = digest ? await sameImport(tx, runId, digest, { analyzed: d.same!.analyzed }) : null;
  const labelVersion = d.same && !unchanged ? await startingLabelVersion(tx, datasetId) : null;
  const ids = { datasetId, runId, datasetExisted: !!existing, runExisted: !!run, unchanged, labelVersion };
  if (unchanged) return ids;
  if (run) await outdateAnalysis(tx, runId);
  await prepareBulkSession(tx, { datasetId, runId });
  return ids;
}

/**
 * Embeddings for rows already in the dataset (same transaction); answers how many the run holds
 * and how many of them this import added.
 * Vectors in row-index order for a dataset whose rows are one id block (`knownBlock`, or found by
 * rowIndexBlock) go straight into the table; anything else is staged and joined on the id.
 */
export async function writeVectors(
  tx: BulkTx,
  source: VectorSource,
  { datasetId, runId }: { datasetId: number; runId: number },
  knownBlock?: { base: number; rows: number },
): Promise<{ held: number; added: number }> {
  const fresh = !(await runHasEmbeddings(tx, runId));
  if (fresh && source.idsAreIndices && source.rows) {
    const block = knownBlock ?? (await rowIndexBlock(tx, datasetId));
    if (block) {
      if (source.rows > block.rows)
        throw new IngestError(
          `${source.locate(block.rows)}: id ${show(String(block.rows))} is not a row of the dataset, expected the id of an imported row`,
        );
      const restoreIndexes = await deferIndexes(tx, [{ table: 'embeddings', lines: source.rows }]);
      await tx.copyIn(
        DIRECT_TARGET.embeddings,
        encodeEmbeddings(source.batches(), source.dim, { runId, base: block.base }),
      );
      await restoreIndexes();
      await refreshEmbeddingStatistics(tx);
      await markEmbeddingsWritten(tx, runId);
      return { held: source.rows, added: source.rows };
    }
  }
  await createStage(tx, 'vectors');
  await tx.copyIn(STAGE_TARGET.vectors, encodeVectors(source.batches(), source.dim));
  if (!source.idsAreIndices) {
    const dup = await findDuplicateId(tx, 'vectors');
    if (dup)
      throw new IngestError(
        `${source.locate(dup.second)}: duplicate id ${show(dup.externalId)} (first at ${source.locate(dup.first)}), expected unique ids`,
      );
  }
  const unknown = await findUnknownVectorId(tx, datasetId);
  if (unknown)
    throw new IngestError(
      `${source.locate(unknown.ord)}: id ${show(unknown.externalId)} is not a row of the dataset, expected the id of an imported row`,
    );
  const added = await mergeEmbeddings(tx, datasetId, runId, source.dim, { fresh });
  await refreshEmbeddingStatistics(tx);
  await markEmbeddingsWritten(tx, runId);
  return { held: await countEmbeddings(tx, runId), added };
}
