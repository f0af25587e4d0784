import { setImmediate as turn } from 'node:timers/promises';
import { runCompute } from '../compute/pool.ts';
import type { Deps } from '../deps.ts';
import {
  type ClassificationRows,
  countEmbeddings,
  type FindingsRun,
  loadClassificationRows,
} from '../store/findings-inputs.ts';
import type { NewFlag, RowFindings } from '../store/findings-save.ts';
import type { KnnPart } from '../store/knn-parts.ts';
import { knnGraph } from '../vectors/knn.ts';
import { type ClassificationAhead, aheadFor } from './classification-ahead.ts';
import type { ClassificationInput } from './classification.ts';
import type { KnnGraph } from './neighbours.ts';
import type { FindingsOptions } from './options.ts';
import { classificationUncertainty } from './uncertainty.ts';

type RunKnnGraph = Awaited<ReturnType<typeof knnGraph>>;

/**
 * Where the neighbour evidence comes from: the run's kNN graph searched now (`inline`), the
 * neighbours a kNN pass found for the rows it searched (`graph`), or none yet (`deferred`: a pass
 * split into chunk jobs folds it in when it ends).
 */
export type NeighbourSource = { inline: true } | { graph: RunKnnGraph | KnnPart } | { deferred: true };

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

/**
 * A classification run's findings, before they are stored: confident learning fused with the
 * neighbours (in the compute pool where there is one), and the unlabeled rows' uncertainty.
 *
 * @example
 * const { flags, rows } = await classificationRun(deps, run, options, { inline: true });
 */
export async function classificationRun(
  deps: Deps,
  run: FindingsRun,
  options: FindingsOptions,
  neighbours: NeighbourSource,
  loaded?: ClassificationRows,
  /** The findings of `loaded`, started by its import (used when they are this computation's). */
  ahead?: ClassificationAhead | null,
): Promise<{ flags: NewFlag[]; rows: RowFindings[]; inputs: ClassificationRows }> {
  const k = run.classNames.length;
  const data = loaded ?? (await loadClassificationRows(deps.db, run.id, k));
  const graph = await neighbourGraph(deps, run.id, data.rowIds, options, neighbours);
  // In a pool thread where the process serves requests: over a million rows it held the event loop
  // for 0.6 s. The rows are copied there (the caller keeps reading them); the graph is handed over.
  const input: ClassificationInput = {
    labels: data.labels,
    probs: data.probs,
    k,
    classNames: run.classNames,
    graph,
    rankBy: options.rankBy,
    minExamplesPerClass: options.minExamplesPerClass,
    islandShare: options.islandShare,
    fusion: options.fusion,
  };
  const found =
    (await aheadFor(ahead, data, input)) ??
    (await runCompute(deps, 'classifyFindings', input, {
      transfer: graph ? [graph.indices.buffer as ArrayBuffer, graph.distances.buffer as ArrayBuffer] : [],
    }));
  // Typed loops, not a callback and a subarray per row: at a million rows those were garbage to
  // collect on the main thread.
  const n = data.rowIds.length;
  let pooled = 0;
  for (let i = 0; i < n; i++) if (data.labels[i] < 0) pooled++;
  const unlabeled = new Int32Array(pooled);
  for (let i = 0, s = 0; i < n; i++) if (data.labels[i] < 0) unlabeled[s++] = i;
  const pool = new Float32Array(pooled * k);
  for (let s = 0; s < pooled; s++)
    for (let c = 0; c < k; c++) pool[s * k + c] = data.probs[unlabeled[s] * k + c];
  const unc = classificationUncertainty(pool, k);
  const rows: RowFindings[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const quality = found.labelQuality[i];
    const disagreement = found.neighbourDisagreement[i];
    rows[i] = {
      rowId: data.rowIds[i],
      labelQuality: Number.isNaN(quality) ? null : quality,
      neighbourDisagreement: Number.isNaN(disagreement) ? null : disagreement,
      uncertaintyLeast: null,
      uncertaintyMargin: null,
      uncertaintyEntropy: null,
    };
    // A million lines held the event loop ~200 ms in one stretch: a turn every 100k.
    if (i % 100_000 === 99_999) await turn();
  }
  for (let s = 0; s < pooled; s++) {
    const row = rows[unlabeled[s]];
    row.uncertaintyLeast = unc.least[s];
    row.uncertaintyMargin = unc.margin[s];
    row.uncertaintyEntropy = unc.entropy[s];
  }
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
