import type { Deps } from '../deps.ts';
import { pipelineStart, runPipelineNow } from '../jobs/pipeline.ts';
import { enqueueRegressionCheckIn } from '../jobs/regression.ts';
import type { CocoAnalysis, HandedDetection } from '../analyze/detection-compute.ts';
import { type CocoAnalysisThread, cocoAnalysisThread } from '../analyze/detection-thread.ts';
import type { DetectionInputs } from '../store/analysis.ts';
import { deferIndexes } from '../store/deferred-indexes.ts';
import { DIRECT_TARGET, countImport, importMarks, reserveIds, runHasEmbeddings } from '../store/ingest.ts';
import {
  STAGE_FIELDS,
  STAGE_TARGET,
  createStage,
  findBoxConflict,
  mergeAnnotations,
  mergeBoxPredictions,
  mergeRows,
} from '../store/ingest-stage.ts';
import { type BulkTx, withBulkTransaction } from '../store/ingest-tx.ts';
import { enqueueJobsIn } from '../store/jobs.ts';
import { recordLastImport } from '../store/last-import.ts';
import {
  type CocoGroundTruth,
  type CocoPrediction,
  readCocoGroundTruth,
  readCocoResults,
  zeroAreaWarnings,
} from './coco-file.ts';
import {
  cocoDetectionInputs,
  encodeBoxPredictions,
  encodeBoxes,
  encodeImageRows,
  imagePositions,
} from './coco-direct.ts';
import { openVectorSource } from './embeddings-file.ts';
import { IngestError, fileLabel, show } from './errors.ts';
import { filesDigest } from './files-digest.ts';
import type { CocoIngestOptions, IngestResult } from './index.ts';
import { CopyWriter } from '../store/pgcopy.ts';
import { ensureDatasetAndRun, writeVectors } from './write.ts';
import { planCocoMedia } from '../media/ingest.ts';
import { writeRowMedia } from '../store/media.ts';

const CHUNK = 20000;

function* encodeImages(gt: CocoGroundTruth): Generator<Buffer[]> {
  const w = new CopyWriter();
  gt.images.forEach((img, i) => {
    w.row(STAGE_FIELDS.rows);
    w.int4(i);
    w.int4(i);
    w.text(img.externalId);
    w.bool(true);
    w.textOrNull(img.imageUrl);
    w.int4OrNull(img.width);
    w.int4OrNull(img.height);
    w.jsonbOrNull(img.fileName === null ? null : { file_name: img.fileName });
    for (let j = 0; j < 4; j++) w.null(); // label, pred, score, probs: classification only
  });
  yield w.take();
}

function* encodeAnnotations(gt: CocoGroundTruth): Generator<Buffer[]> {
  const w = new CopyWriter();
  for (let i = 0; i < gt.annotations.length; i++) {
    const a = gt.annotations[i];
    w.row(STAGE_FIELDS.anns);
    w.int4(a.index);
    w.text(a.externalId);
    w.text(a.annKey);
    w.int4(a.label);
    w.float8(a.x);
    w.float8(a.y);
    w.float8(a.w);
    w.float8(a.h);
    w.float8(a.area);
    w.bool(a.iscrowd);
    if ((i + 1) % CHUNK === 0) yield w.take();
  }
  yield w.take();
}

function* encodePredictions(preds: CocoPrediction[]): Generator<Buffer[]> {
  const w = new CopyWriter();
  for (let i = 0; i < preds.length; i++) {
    const p = preds[i];
    w.row(STAGE_FIELDS.preds);
    w.int4(p.index);
    w.text(p.externalId);
    w.int4(p.predKey);
    w.int4(p.label);
    w.float8(p.score);
    w.float8(p.x);
    w.float8(p.y);
    w.float8(p.w);
    w.float8(p.h);
    if ((i + 1) % CHUNK === 0) yield w.take();
  }
  yield w.take();
}

/**
 * Import a COCO detection run (ground truth + results list, optional embeddings whose `.npy`
 * rows follow the ground truth's `images` order) in one transaction that also
 * queues its analysis, then (unless `wait: false`) run the analysis here.
 *
 * @example
 * await ingestCoco(deps, { run: 'detector-v3', gt: 'instances.json', pred: 'results.json' });
 */
export async function ingestCoco(deps: Deps, opts: CocoIngestOptions): Promise<IngestResult> {
  const { run, analyze = true, wait = true } = opts;
  if (!run) throw new IngestError('--run: missing, expected a run name');
  // The COCOeval part of a large import's analysis runs beside its writes, in a thread of its own
  // that starts now and loads its code while the files are parsed.
  const thread = analyze && wait ? cocoAnalysisThread([opts.gt, opts.pred]) : null;
  try {
    return await importCoco(deps, opts, thread);
  } finally {
    await thread?.close();
  }
}

async function importCoco(
  deps: Deps,
  opts: CocoIngestOptions,
  thread: CocoAnalysisThread | null,
): Promise<IngestResult> {
  const { run, dataset = run, analyze = true, wait = true } = opts;
  const gt = readCocoGroundTruth(opts.gt);
  const preds = readCocoResults(opts.pred, gt);
  const warnings = zeroAreaWarnings(gt, preds, fileLabel(opts.gt), fileLabel(opts.pred));
  const vectors = opts.embeddings
    ? await openVectorSource(opts.embeddings, { idList: gt.images.map((i) => i.externalId) })
    : null;
  const gtFile = fileLabel(opts.gt);
  // The files alone decide what the import writes, unless media are looked up in a folder.
  const digest = opts.images
    ? Promise.resolve(null)
    : filesDigest('detection', {
        gt: opts.gt,
        pred: opts.pred,
        ...(opts.embeddings ? { embeddings: opts.embeddings } : {}),
      }).catch(() => null);
  let runId = 0;
  let handed: HandedDetection | undefined;
  let coco: Promise<CocoAnalysis | null> | undefined;
  let unchanged = false;
  try {
    const result = await withBulkTransaction(deps.database, async (tx) => {
      const ids = await ensureDatasetAndRunFor(tx, gt, {
        dataset,
        run,
        opts,
        same: { digest, analyzed: analyze },
      });
      runId = ids.runId;
      // The same files again, nothing changed since: nothing to write, and its analysis stands.
      if (ids.unchanged) {
        unchanged = true;
        return { run, dataset, ...ids.unchanged, unchanged: true, ...(warnings.length ? { warnings } : {}) };
      }
      // The analysis is queued with the import: a crash after the commit leaves it to be run.
      if (analyze) {
        const embeddings = vectors !== null || (ids.runExisted && (await runHasEmbeddings(tx, ids.runId)));
        await enqueueJobsIn(tx, pipelineStart(ids.runId, { embeddings }));
      }
      if (analyze) await enqueueRegressionCheckIn(tx, ids.runId);
      let inputs: DetectionInputs | null = null;
      // Lines the import inserted: none into a run that existed means the same files again.
      let added = 0;
      if (!ids.datasetExisted) {
        // A new dataset (and so a new run): nothing to compare or join, straight into the tables.
        const blocks = {
          ...ids,
          rowBase: await reserveIds(tx, 'data_rows', gt.images.length),
          annBase: gt.annotations.length ? await reserveIds(tx, 'annotations', gt.annotations.length) : 0,
          predBase: preds.length ? await reserveIds(tx, 'predictions', preds.length) : 0,
        };
        const position = imagePositions(gt);
        inputs = cocoDetectionInputs(gt, preds, blocks, position);
        coco = thread?.analyze(inputs, gt.classNames);
        const restoreIndexes = await deferIndexes(tx, [
          { table: 'data_rows', lines: gt.images.length },
          { table: 'annotations', lines: gt.annotations.length },
          { table: 'predictions', lines: preds.length },
        ]);
        await tx.copyIn(DIRECT_TARGET.imageRows, encodeImageRows(gt, blocks));
        await tx.copyIn(DIRECT_TARGET.boxes, encodeBoxes(gt, blocks, position));
        await tx.copyIn(DIRECT_TARGET.boxPredictions, encodeBoxPredictions(preds, blocks, position));
        await restoreIndexes();
      } else added = await stageAndMerge(tx, gt, preds, ids, { dataset, gtFile });
      const embedded = vectors ? await writeVectors(tx, vectors, ids) : { held: 0, added: 0 };
      added += embedded.added;
      const media = await planCocoMedia(tx, gt.images, opts);
      if (media) await writeRowMedia(tx, ids.datasetId, media.entries);
      // A new dataset holds what the files hold, a table line for each COPY line: no count needed.
      const counts = inputs
        ? {
            rows: gt.images.length,
            annotations: gt.annotations.length,
            predictions: preds.length,
            embeddings: embedded.held,
          }
        : await countImport(tx, ids.datasetId, ids.runId);
      // A new dataset is at label version 1.
      if (inputs)
        handed = { runId: ids.runId, inputs, counts, marks: await importMarks(tx), labelVersion: 1, coco };
      const digested = await digest;
      if (digested && ids.labelVersion !== null)
        await recordLastImport(tx, ids.runId, { digest: digested, counts, labelVersion: ids.labelVersion });
      return {
        run,
        dataset,
        ...counts,
        unchanged: ids.runExisted && added === 0,
        ...(media ? { media: media.report } : {}),
        ...(warnings.length ? { warnings } : {}),
      };
    });
    if (analyze && wait && !unchanged)
      await runPipelineNow(deps, runId, {
        progress: opts.progress,
        // The analysis of a new dataset's import reads nothing back: it gets what was just written.
        detectionInputs: handed,
      });
    return result;
  } finally {
    await vectors?.close();
  }
}

/**
 * Stage the files and merge them into a dataset that exists: its stored boxes must be those of
 * the files (the same ground truth for every run of a dataset); rows and boxes already stored are
 * kept, and the run's detections added. Answers how many lines it inserted.
 */
async function stageAndMerge(
  tx: BulkTx,
  gt: CocoGroundTruth,
  preds: CocoPrediction[],
  ids: { datasetId: number; runId: number; runExisted: boolean },
  { dataset, gtFile }: { dataset: string; gtFile: string },
): Promise<number> {
  await createStage(tx, 'rows');
  await createStage(tx, 'anns');
  await createStage(tx, 'preds');
  await tx.copyIn(STAGE_TARGET.rows, encodeImages(gt));
  await tx.copyIn(STAGE_TARGET.anns, encodeAnnotations(gt));
  await tx.copyIn(STAGE_TARGET.preds, encodePredictions(preds));
  const c = await findBoxConflict(tx, ids.datasetId);
  if (c) {
    const what =
      c.reason === 'missing'
        ? `lacks annotation ${c.annKey} that dataset "${dataset}" already stores for it`
        : c.reason === 'new'
          ? `has annotation ${c.annKey} that dataset "${dataset}" does not store for it`
          : `has annotation ${c.annKey} different from the one dataset "${dataset}" already stores`;
    throw new IngestError(
      `${gtFile}: image ${show(c.externalId)} ${what}; expected the same ground truth for every run of a dataset`,
    );
  }
  return (
    (await mergeRows(tx, ids.datasetId)) +
    (await mergeAnnotations(tx, ids.datasetId)) +
    (await mergeBoxPredictions(tx, ids.datasetId, ids.runId, { fresh: !ids.runExisted }))
  );
}

function ensureDatasetAndRunFor(
  tx: BulkTx,
  gt: CocoGroundTruth,
  {
    dataset,
    run,
    opts,
    same,
  }: {
    dataset: string;
    run: string;
    opts: CocoIngestOptions;
    same?: { digest: Promise<string | null>; analyzed: boolean };
  },
) {
  return ensureDatasetAndRun(tx, {
    same,
    dataset,
    run,
    kind: 'detection',
    classNames: gt.classNames,
    sourceClassIds: gt.sourceClassIds,
    source: {
      kind: 'detection',
      files: {
        gt: opts.gt,
        pred: opts.pred,
        ...(opts.embeddings ? { embeddings: opts.embeddings } : {}),
        ...(opts.images ? { images: opts.images } : {}),
      },
    },
    labelOrigin: { format: 'coco', file: fileLabel(opts.gt) },
  });
}
