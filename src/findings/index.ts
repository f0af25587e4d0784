import { setImmediate as turn } from 'node:timers/promises';
import { runCompute } from '../compute/pool.ts';
import type { Deps } from '../deps.ts';
import {
  type ClassificationRows,
  countEmbeddings,
  type DetectionImage,
  type FindingsRun,
  loadClassificationRows,
  loadDetectionImages,
  loadFindingsRun,
  storedFindingsOptions,
} from '../store/findings-inputs.ts';
import { type NewFlag, type RowFindings, saveFindings } from '../store/findings-save.ts';
import { type Handed, type HandedClassificationRows, currentHandedInputs } from '../store/analysis.ts';
import type { KnnPart } from '../store/knn-parts.ts';
import { knnGraph } from '../vectors/knn.ts';
import { detectionEvidence, detectionFlags, imageLabelQuality } from './detection.ts';
import type { KnnGraph } from './neighbours.ts';
import { type FindingsOptions, type FindingsOptionsInput, parseFindingsOptions } from './options.ts';
import { classificationUncertainty, imageUncertainty } from './uncertainty.ts';

export { type FindingsOptions, findingsOptionsSchema, parseFindingsOptions } from './options.ts';

type RunKnnGraph = Awaited<ReturnType<typeof knnGraph>>;

/**
 * Where the neighbour evidence comes from: the run's kNN graph searched now (`inline`), the
 * neighbours a kNN pass found for the rows it searched (`graph`), or none yet (`deferred`: a pass
 * split into chunk jobs folds it in when it ends).
 */
export type NeighbourSource = { inline: true } | { graph: RunKnnGraph | KnnPart } | { deferred: true };

/** The findings options stored on a run, defaults filled in. */
export async function runFindingsOptions(deps: Deps, runId: number): Promise<FindingsOptions> {
  return parseFindingsOptions(await storedFindingsOptions(deps.db, runId));
}

/**
 * Recompute a run's findings (label flags, neighbour disagreement, uncertainty) and store them in one
 * transaction. Called by analyzeRun after row_scores are written, and again when labels change.
 * Options: the run's stored `findings_options`, overridden by `overrides`, defaults for the rest; the
 * complete set used is stored back on the run.
 *
 * @example
 * await computeFindings(deps, runId, { k: 15 });
 */
export async function computeFindings(
  deps: Deps,
  runId: number,
  overrides: FindingsOptionsInput = {},
  {
    neighbours = { inline: true },
    detectionImages,
  }: { neighbours?: NeighbourSource; detectionImages?: DetectionImage[] } = {},
): Promise<void> {
  const run = await loadFindingsRun(deps.db, runId);
  const found = await findingsOf(deps, run, overrides, neighbours, { detectionImages });
  await saveFindings(deps.database, runId, found);
  deps.logger.info('findings computed', { runId, flags: found.flags.length, rows: found.rows.length });
}

/**
 * The rows of a classification run whose neighbours its findings keep (see `neighbourCandidates`),
 * as row ids, ascending: what a kNN pass searches instead of every embedded row.
 *
 * @example
 * const rowIds = await neighbourCandidateRows(deps, runId);
 */
export async function neighbourCandidateRows(deps: Deps, runId: number): Promise<number[]> {
  const run = await loadFindingsRun(deps.db, runId);
  const options = await runFindingsOptions(deps, runId);
  const data = await loadClassificationRows(deps.db, runId, run.classNames.length);
  // Confident learning over a million rows: in a pool thread where the process serves requests.
  const at = await runCompute(
    deps,
    'neighbourCandidates',
    { labels: data.labels, probs: data.probs, k: data.k, minExamplesPerClass: options.minExamplesPerClass },
    { transfer: [data.labels.buffer as ArrayBuffer, data.probs.buffer as ArrayBuffer] },
  );
  return Array.from(at, (i) => data.rowIds[i]).sort((a, b) => a - b);
}

/** A run's findings as computed, before they are stored: what saveFindings takes. */
export interface RunFindings {
  flags: NewFlag[];
  rows: RowFindings[];
  /** The complete option set used, stored on the run with them. */
  options: Record<string, unknown>;
  /** What a classification run's findings read (the analysis counts top-k from it). */
  inputs?: ClassificationRows;
}

/**
 * A run's findings computed before its analysis, without storing them, so the analysis writes
 * their row values with the row scores: one write of each line instead of a write and an update.
 * A classification run's come from its predictions and labels alone (not from row_scores): the
 * rows its import handed over while they are current, else the tables. A detection run's come
 * from the images its import handed over (`handedImages`), and only while they are current: else
 * null, and they are computed after the analysis from what it stored.
 *
 * @example
 * const early = await earlyFindings(deps, runId);
 */
export async function earlyFindings(
  deps: Deps,
  runId: number,
  {
    neighbours = { inline: true },
    handed,
    handedImages,
    tablesReady = Promise.resolve(),
  }: {
    neighbours?: NeighbourSource;
    /** The rows the import that queued the analysis holds (not read again while still current). */
    handed?: HandedClassificationRows;
    /** A detection import's images, as the findings read them (detectionImages). */
    handedImages?: Handed<DetectionImage[]>;
    /** Settles when the tables may be read (their statistics are being refreshed meanwhile). */
    tablesReady?: Promise<void>;
  } = {},
): Promise<RunFindings | null> {
  const run = await loadFindingsRun(deps.db, runId);
  const log = (found: RunFindings, read: string) => {
    deps.logger.info('findings computed', {
      runId,
      flags: found.flags.length,
      rows: found.rows.length,
      read,
    });
    return found;
  };
  const given: Handed<unknown> | undefined = run.kind === 'classification' ? handed : handedImages;
  if (given && given.runId === run.id) {
    // The database counts the tables while this computes: the handed inputs are still current
    // unless something was written since the import, which is rare.
    const current = tablesReady.then(() => currentHandedInputs(deps.db, run, given));
    current.catch(() => {});
    const found = await findingsOf(deps, run, {}, neighbours, {
      rows: handed?.inputs,
      detectionImages: handedImages?.inputs,
    });
    if (await current) return log(found, 'handed by the import');
  }
  if (run.kind === 'detection') return null;
  await tablesReady;
  return log(await findingsOf(deps, run, {}, neighbours), 'from the tables');
}

async function findingsOf(
  deps: Deps,
  run: FindingsRun,
  overrides: FindingsOptionsInput,
  neighbours: NeighbourSource,
  { detectionImages, rows }: { detectionImages?: DetectionImage[]; rows?: ClassificationRows } = {},
): Promise<RunFindings> {
  const stored = await storedFindingsOptions(deps.db, run.id);
  const options = parseFindingsOptions({ ...stored, ...overrides });
  const result =
    run.kind === 'classification'
      ? await classificationRun(deps, run, options, neighbours, rows)
      : await detectionRun(deps, run, options, detectionImages);
  return { ...result, options: { ...options } };
}

async function neighbourGraph(
  deps: Deps,
  runId: number,
  rowIds: number[],
  options: FindingsOptions,
  source: NeighbourSource,
): Promise<KnnGraph | null> {
  if (options.fusion === 'confident_learning_only' || 'deferred' in source) return null;
  let graph: RunKnnGraph | KnnPart;
  if ('graph' in source) graph = source.graph;
  else if ((await countEmbeddings(deps.db, runId)) === 0) return null;
  else
    try {
      graph = await knnGraph(deps, runId, { k: options.k });
    } catch (err) {
      // The neighbourhood only sharpens the ranking: without it, confident learning still stands.
      deps.logger.warn('findings: kNN graph unavailable, ranking by confident learning only', {
        runId,
        error: (err as Error).message,
      });
      return null;
    }
  const position = new Map<number, number>();
  for (const [i, id] of rowIds.entries()) position.set(id, i);
  const k = graph.k;
  const found = graph;
  // A graph names neighbours by position among its rows; a pass's parts by row id.
  const neighbourId =
    'indices' in found
      ? (at: number) => (found.indices[at] >= 0 ? found.rowIds[found.indices[at]] : -1)
      : (at: number) => found.neighbours[at];
  const indices = new Int32Array(rowIds.length * k).fill(-1);
  const distances = new Float32Array(rowIds.length * k).fill(Number.POSITIVE_INFINITY);
  for (let p = 0; p < graph.rowIds.length; p++) {
    const i = position.get(graph.rowIds[p]);
    if (i === undefined) continue;
    for (let t = 0; t < k; t++) {
      const j = position.get(neighbourId(p * k + t));
      if (j === undefined) continue;
      indices[i * k + t] = j;
      distances[i * k + t] = graph.distances[p * k + t];
    }
  }
  return { k, indices, distances };
}

async function classificationRun(
  deps: Deps,
  run: FindingsRun,
  options: FindingsOptions,
  neighbours: NeighbourSource,
  loaded?: ClassificationRows,
): Promise<{ flags: NewFlag[]; rows: RowFindings[]; inputs: ClassificationRows }> {
  const k = run.classNames.length;
  const data = loaded ?? (await loadClassificationRows(deps.db, run.id, k));
  const graph = await neighbourGraph(deps, run.id, data.rowIds, options, neighbours);
  // In a pool thread where the process serves requests: over a million rows it held the event loop
  // for 0.6 s. The rows are copied there (the caller keeps reading them); the graph is handed over.
  const found = await runCompute(
    deps,
    'classifyFindings',
    {
      labels: data.labels,
      probs: data.probs,
      k,
      classNames: run.classNames,
      graph,
      rankBy: options.rankBy,
      minExamplesPerClass: options.minExamplesPerClass,
      islandShare: options.islandShare,
      fusion: options.fusion,
    },
    { transfer: graph ? [graph.indices.buffer as ArrayBuffer, graph.distances.buffer as ArrayBuffer] : [] },
  );
  const unlabeled: number[] = [];
  data.labels.forEach((l, i) => {
    if (l < 0) unlabeled.push(i);
  });
  const pool = new Float32Array(unlabeled.length * k);
  unlabeled.forEach((i, s) => {
    pool.set(data.probs.subarray(i * k, i * k + k), s * k);
  });
  const unc = classificationUncertainty(pool, k);
  const rows: RowFindings[] = new Array(data.rowIds.length);
  for (let i = 0; i < rows.length; i++) {
    rows[i] = {
      rowId: data.rowIds[i],
      labelQuality: Number.isNaN(found.labelQuality[i]) ? null : found.labelQuality[i],
      neighbourDisagreement: Number.isNaN(found.neighbourDisagreement[i])
        ? null
        : found.neighbourDisagreement[i],
      uncertaintyLeast: null,
      uncertaintyMargin: null,
      uncertaintyEntropy: null,
    };
    // A million lines held the event loop ~200 ms in one stretch: a turn every 100k.
    if (i % 100_000 === 99_999) await turn();
  }
  unlabeled.forEach((i, s) => {
    rows[i].uncertaintyLeast = unc.least[s];
    rows[i].uncertaintyMargin = unc.margin[s];
    rows[i].uncertaintyEntropy = unc.entropy[s];
  });
  const flags: NewFlag[] = found.flags.map((f) => ({
    rowId: data.rowIds[f.index],
    kind: 'label',
    given: f.given,
    suggested: f.suggested,
    score: f.score,
    methods: f.methods,
    evidence: f.evidence,
  }));
  return { flags, rows, inputs: data };
}

async function detectionRun(
  deps: Deps,
  run: FindingsRun,
  options: FindingsOptions,
  loaded?: DetectionImage[],
): Promise<{ flags: NewFlag[]; rows: RowFindings[] }> {
  const images = loaded ?? (await loadDetectionImages(deps.db, run.id));
  const name = (c: number) => run.classNames[c] ?? String(c);
  const flags: (NewFlag & { predId: number })[] = [];
  const rows: RowFindings[] = images.map((img) => {
    if (img.labeled) {
      const found = detectionFlags(img.gts, img.dets, options);
      for (const f of found)
        flags.push({
          rowId: img.rowId,
          kind: f.kind,
          annId: f.annId,
          predId: f.predId,
          given: f.given,
          suggested: f.suggested,
          score: f.score,
          methods: ['detection'],
          evidence: detectionEvidence(f, name),
        });
      return {
        rowId: img.rowId,
        labelQuality: imageLabelQuality(found),
        neighbourDisagreement: null,
        uncertaintyLeast: null,
        uncertaintyMargin: null,
        uncertaintyEntropy: null,
      };
    }
    const scores = img.dets.map((d) => d.score);
    const opts = { floor: options.uncertaintyFloor, aggregate: options.uncertaintyAggregate };
    return {
      rowId: img.rowId,
      labelQuality: null,
      neighbourDisagreement: null,
      uncertaintyLeast: imageUncertainty(scores, 'least', opts),
      uncertaintyMargin: imageUncertainty(scores, 'margin', opts),
      uncertaintyEntropy: imageUncertainty(scores, 'entropy', opts),
    };
  });
  flags.sort((a, b) => a.score - b.score || a.rowId - b.rowId || a.predId - b.predId);
  return { flags, rows };
}
