import type { Deps } from '../deps.ts';
import { pipelineStart, runPipelineNow } from '../jobs/pipeline.ts';
import { enqueueRegressionCheckIn } from '../jobs/regression.ts';
import { noProgress } from '../progress.ts';
import { deferIndexes } from '../store/deferred-indexes.ts';
import {
  DIRECT_TARGET,
  type ImportCounts,
  countImport,
  importMarks,
  reserveIds,
  reserveRowIds,
  runHasEmbeddings,
} from '../store/ingest.ts';
import {
  STAGE_TARGET,
  createStage,
  findDuplicateId,
  findLabelConflict,
  mergeClassPredictions,
  mergeLabels,
  mergeRows,
} from '../store/ingest-stage.ts';
import { type BulkTx, withBulkTransaction } from '../store/ingest-tx.ts';
import { enqueueJobsIn } from '../store/jobs.ts';
import { recordLastImport } from '../store/last-import.ts';
import { type HandedClassification, classificationAhead } from '../findings/classification-ahead.ts';
import type { ImportedClassificationRows } from '../store/findings-inputs.ts';
import { type ClassSource, trackPasses } from './classification-batch.ts';
import { openNpySource } from './classification-npy.ts';
import { type VectorSource, openVectorSource } from './embeddings-file.ts';
import { encodeIndexRows, encodeLabels, encodePredictions } from './direct-encode.ts';
import { filesDigest } from './files-digest.ts';
import { IngestError, fileLabel, show } from './errors.ts';
import { readAllLines } from './lines.ts';
import { openNpy } from './npy.ts';
import { checkClassNames } from './validate.ts';
import type { ClassificationIngestOptions, IngestResult } from './index.ts';
import { encodeClassRows } from './stage-encode.ts';
import { ensureDatasetAndRun, writeVectors } from './write.ts';
import { type RowMediaColumns, planClassificationMedia } from '../media/ingest.ts';
import { datasetExternalIds, writeRowMedia } from '../store/media.ts';

/** The source, noting each row's `image` and `text` columns on the way through. */
function noteMediaColumns(source: ClassSource, columns: RowMediaColumns): ClassSource {
  return {
    ...source,
    async *batches() {
      for await (const b of source.batches()) {
        if (b.extras)
          for (let i = 0; i < b.n; i++) {
            const x = b.extras[i];
            if (x && (x.image != null || x.text != null))
              columns.set(b.ids ? b.ids[i] : String(b.start + i), { image: x.image, text: x.text });
          }
        yield b;
      }
    },
  };
}

/**
 * A new dataset from files that can be read more than once, with row ids = the row indices: each
 * table gets one COPY of its final tuples (row ids are `base + index`), with no staging table and
 * no join back on the external id. Ids cannot repeat and nothing stored can conflict, so the
 * checks of the staged path have nothing to find.
 */
async function writeFresh(
  tx: BulkTx,
  source: ClassSource,
  vectors: VectorSource | null,
  ids: { datasetId: number; runId: number },
  {
    keep = false,
    onKept = () => {},
  }: {
    keep?: boolean;
    /** Called with the kept rows once they are read, before the tables are written. */
    onKept?: (kept: ImportedClassificationRows) => void;
  } = {},
): Promise<{
  counts: ImportCounts;
  kept: ImportedClassificationRows | null;
}> {
  const rows = source.rows ?? 0;
  const k = source.k;
  const base = await reserveRowIds(tx, rows);
  // A first pass validates every row (a bad one fails before anything is written) and notes
  // which rows are labeled, so the rows can go in the order of their ids as text. With `keep`
  // it also keeps the rows as the analysis reads them back (probabilities as the float32 the
  // table stores), so the analysis run next does not read a million rows again.
  const labeledRows = new Uint8Array(rows);
  const kept = keep
    ? {
        rowIds: [] as number[],
        labels: new Int32Array(rows),
        probs: new Float32Array(rows * k),
        k,
        stored: new Uint8Array(rows).fill(1),
        predicted: new Int32Array(rows),
        score: new Float64Array(rows),
      }
    : null;
  for await (const b of source.batches()) {
    for (let i = 0; i < b.n; i++) labeledRows[b.start + i] = b.labels[i] >= 0 ? 1 : 0;
    if (!kept) continue;
    kept.labels.set(b.labels.subarray(0, b.n), b.start);
    kept.predicted.set(b.pred.subarray(0, b.n), b.start);
    kept.score.set(b.score.subarray(0, b.n), b.start);
    for (let j = 0; j < b.n * k; j++) kept.probs[b.start * k + j] = b.probs[j];
  }
  if (kept) {
    for (let i = 0; i < rows; i++) kept.rowIds.push(base + i);
    onKept(kept);
  }
  const restoreIndexes = await deferIndexes(tx, [
    { table: 'data_rows', lines: rows },
    { table: 'annotations', lines: rows },
    { table: 'predictions', lines: rows },
  ]);
  await tx.copyIn(DIRECT_TARGET.rows, encodeIndexRows(labeledRows, { datasetId: ids.datasetId, base }));
  // Ids for every row reserved up front; unlabeled rows leave a gap in the annotation ids.
  const firstAnn = await reserveIds(tx, 'annotations', rows);
  const labeled = { labels: 0 };
  await tx.copyIn(DIRECT_TARGET.labels, encodeLabels(source.batches(), { base, firstId: firstAnn }, labeled));
  const firstPred = await reserveIds(tx, 'predictions', rows);
  await tx.copyIn(
    DIRECT_TARGET.predictions,
    encodePredictions(source.batches(), source.k, { runId: ids.runId, base, firstId: firstPred }),
  );
  await restoreIndexes();
  const embeddings = vectors ? (await writeVectors(tx, vectors, ids, { base, rows })).held : 0;
  return { counts: { rows, annotations: labeled.labels, predictions: rows, embeddings }, kept };
}

/**
 * Import a classification run (labels + predicted probabilities, optional embeddings) in one
 * transaction that also queues its analysis, then (unless `wait: false`) run the analysis here.
 *
 * @example
 * await ingestClassification(deps, { run: 'resnet-7', labels: 'labels.npy', probs: 'pred_probs.npy' });
 */
export async function ingestClassification(
  deps: Deps,
  opts: ClassificationIngestOptions,
): Promise<IngestResult> {
  const { run, dataset = run, analyze = true, wait = true } = opts;
  if (!run) throw new IngestError('--run: missing, expected a run name');
  if (opts.table && (opts.probs || opts.labels))
    throw new IngestError('give either --table or --labels/--probs, not both');
  if (!opts.table && !opts.probs)
    throw new IngestError('--probs (a .npy file) or --table (CSV/JSONL) is required');
  if (opts.table && opts.ids)
    throw new IngestError('--ids applies to .npy input; a table carries its own id column');
  const classNames = opts.classNames ? await readAllLines(opts.classNames) : undefined;
  if (classNames) checkClassNames(classNames, (i) => `${fileLabel(opts.classNames!)}: line ${i + 1}`);
  const columns: RowMediaColumns = new Map();
  const source: ClassSource = trackPasses(
    noteMediaColumns(
      opts.table
        ? // The CSV reader loads only for a table: an .npy import (or a COCO one) never needs it.
          await (await import('./classification-table.ts')).openTableSource({ table: opts.table, classNames })
        : await openNpySource({ probs: opts.probs!, labels: opts.labels, ids: opts.ids, classNames }),
      columns,
    ),
    opts.progress ?? noProgress,
  );
  const vectors = opts.embeddings
    ? await openVectorSource(opts.embeddings, {
        ids: opts.table ? undefined : opts.ids,
        expectRows: source.rows ?? undefined,
      })
    : null;
  const files = Object.fromEntries(
    (['labels', 'probs', 'table', 'embeddings', 'ids', 'classNames', 'images', 'texts'] as const)
      .filter((key) => opts[key])
      .map((key) => [key, opts[key]]),
  );
  // Files alone decide what the import writes, unless media are looked up in folders or a table's
  // columns: then the same files again are imported again. Hashed while the import reads them.
  const digest =
    opts.table || opts.images || opts.texts
      ? Promise.resolve(null)
      : filesDigest('classification', files as Record<string, string>).catch(() => null);
  let runId = 0;
  let handed: HandedClassification | undefined;
  let ahead: HandedClassification['ahead'];
  let unchanged = false;
  try {
    const result = await withBulkTransaction(deps.database, async (tx) => {
      const ids = await ensureDatasetAndRun(tx, {
        dataset,
        run,
        kind: 'classification',
        classNames: source.classNames,
        sourceClassIds: null,
        source: { kind: 'classification', files },
        labelOrigin: labelOrigin(opts),
        same: { digest, analyzed: analyze },
      });
      runId = ids.runId;
      // The same files again, nothing changed since: nothing to write, and its analysis stands.
      if (ids.unchanged) {
        unchanged = true;
        return { run, dataset, ...ids.unchanged, unchanged: true };
      }
      // The analysis is queued with the import: a crash after the commit leaves it to be run.
      if (analyze) {
        const embeddings = vectors !== null || (ids.runExisted && (await runHasEmbeddings(tx, ids.runId)));
        await enqueueJobsIn(tx, pipelineStart(ids.runId, { embeddings }));
      }
      if (analyze) await enqueueRegressionCheckIn(tx, ids.runId);
      let written: Awaited<ReturnType<typeof writeStaged>>;
      if (!ids.datasetExisted && source.rereadable && source.idsAreIndices && source.rows) {
        const fresh = await writeFresh(tx, source, vectors, ids, {
          keep: analyze && wait,
          // Without embeddings the findings need nothing the tables add: started now, they are
          // made while Postgres writes the rows (1M rows: the analysis 1.5 s sooner). Not on the
          // embedded engine, whose writes take this thread and the machine's I/O: beside a thread
          // of confident learning a 1M-row import took 6 s longer (29 → 35 s).
          onKept: (kept) => {
            if (!vectors && tx.driver === 'postgres') ahead = classificationAhead(kept, source.classNames);
          },
        });
        const { rows, annotations, predictions, embeddings } = fresh.counts;
        written = { counts: fresh.counts, added: rows + annotations + predictions + embeddings };
        // A new dataset is at label version 1.
        if (fresh.kept)
          handed = {
            runId: ids.runId,
            inputs: fresh.kept,
            counts: fresh.counts,
            marks: await importMarks(tx),
            labelVersion: 1,
            ahead,
          };
      } else written = await writeStaged(tx, source, vectors, ids, dataset, opts.table ?? opts.probs!);
      const wantsMedia = opts.images || opts.texts || columns.size > 0;
      const media = wantsMedia
        ? await planClassificationMedia(tx, await datasetExternalIds(tx, ids.datasetId), columns, opts)
        : null;
      if (media) await writeRowMedia(tx, ids.datasetId, media.entries);
      const digested = await digest;
      if (digested && ids.labelVersion !== null)
        await recordLastImport(tx, ids.runId, {
          digest: digested,
          counts: written.counts,
          labelVersion: ids.labelVersion,
        });
      return {
        run,
        dataset,
        ...written.counts,
        unchanged: ids.runExisted && written.added === 0,
        ...(media ? { media: media.report } : {}),
      };
    });
    if (analyze && wait && !unchanged)
      await runPipelineNow(deps, runId, { progress: opts.progress, classificationRows: handed });
    return result;
  } finally {
    await ahead?.close();
    await source.close();
    await vectors?.close();
  }
}

/** What the labels came in as, so `export labels` writes them back the same way (dtype, row order). */
function labelOrigin(opts: ClassificationIngestOptions): Record<string, unknown> {
  if (opts.table) return { format: 'csv', file: fileLabel(opts.table) };
  if (!opts.labels) return { format: 'npy', descr: null };
  if (!opts.labels.endsWith('.npy')) return { format: 'text', file: fileLabel(opts.labels) };
  const r = openNpy(opts.labels, { ndim: 1 });
  try {
    return { format: 'npy', descr: r.header.descr, file: r.file, ids: !!opts.ids };
  } finally {
    r.close();
  }
}

/**
 * Rows through the staging tables: checks for repeated ids and conflicts with stored labels.
 * Answers what the dataset and run hold after it, and how many lines it added to them.
 */
async function writeStaged(
  tx: BulkTx,
  source: ClassSource,
  vectors: VectorSource | null,
  ids: { datasetId: number; runId: number; datasetExisted: boolean; runExisted: boolean },
  dataset: string,
  file: string,
) {
  await createStage(tx, 'rows');
  const staged = { rows: 0 };
  await tx.copyIn(STAGE_TARGET.rows, encodeClassRows(source.batches(), source.k, staged));
  if (!source.idsAreIndices) {
    const dup = await findDuplicateId(tx, 'rows');
    if (dup)
      throw new IngestError(
        `${source.locate(dup.second)}: duplicate id ${show(dup.externalId)} (first at ${source.locate(dup.first)}), expected unique ids`,
      );
  }
  if (ids.datasetExisted) {
    const c = await findLabelConflict(tx, ids.datasetId);
    if (c) {
      const fmt = (v: number | null) => (v === null ? 'unlabeled' : `${v} (${source.classNames[v]})`);
      throw new IngestError(
        `${source.locateLabel(c.ord)}: row ${show(c.externalId)} has label ${fmt(c.label)}, but dataset "${dataset}" already stores ${fmt(c.stored)} for it; expected the same ground truth for every run of a dataset`,
      );
    }
  }
  // A file with a header and no rows would make an empty run nobody can review.
  if (staged.rows === 0) throw new IngestError(`${fileLabel(file)}: no rows, expected at least one`);
  // A new dataset gets a block of row ids, so labels and predictions need no join back.
  const base = ids.datasetExisted ? undefined : await reserveRowIds(tx, staged.rows);
  const fresh = !ids.datasetExisted;
  const added =
    (await mergeRows(tx, ids.datasetId, { fresh, base })) +
    (await mergeLabels(tx, ids.datasetId, { fresh, base })) +
    (await mergeClassPredictions(tx, ids.datasetId, ids.runId, { fresh: !ids.runExisted, base })) +
    (vectors ? (await writeVectors(tx, vectors, ids)).added : 0);
  return { counts: await countImport(tx, ids.datasetId, ids.runId), added };
}
