import type { Deps } from '../deps.ts';
import type { Db } from '../store/database.ts';
import { type NeighbourSource, type RunFindings, computeFindings, earlyFindings } from '../findings/index.ts';
import type { ClassificationMetricsDoc } from '../metrics/classification-document.ts';
import {
  type RunForAnalysis,
  currentHandedInputs,
  loadRunForAnalysis,
  refreshInputStatistics,
  saveRunMetrics,
} from '../store/analysis.ts';
import { stageRowFindings, writeFindings } from '../store/findings-save.ts';
import { bulkOf } from '../store/ingest-tx.ts';
import type { HandedClassification } from '../findings/classification-ahead.ts';
import { analyzeClassification } from './classification.ts';
import { analyzeDetection, detectionImages } from './detection.ts';
import type { HandedDetection } from './detection-compute.ts';
import type { DetectionMetricsDoc } from './detection-summary.ts';

export type RunMetricsDoc = ClassificationMetricsDoc | DetectionMetricsDoc;
export type { ClassificationMetricsDoc, DetectionMetricsDoc };

/**
 * Recompute everything derived from a run after ingest: metrics (stored on model_runs.metrics),
 * row_scores, a detection run's per-object outcomes; then the findings. Idempotent: replaces the
 * run's derived rows in one transaction, so a failure leaves the previous analysis in place.
 *
 * @example
 * const metrics = await analyzeRun(deps, run.id);
 */
export async function analyzeRun(
  deps: Deps,
  runId: number,
  {
    onProgress = () => {},
    neighbours,
    detectionInputs,
    classificationRows,
  }: {
    onProgress?: (fraction: number) => void;
    neighbours?: NeighbourSource;
    /**
     * A detection run's inputs handed over by the import that just wrote them (not read again),
     * with their COCOeval part when the import started it.
     */
    detectionInputs?: HandedDetection;
    /** A classification run's rows handed over by the import that just wrote them. */
    classificationRows?: HandedClassification;
  } = {},
): Promise<RunMetricsDoc> {
  const started = Date.now();
  // A run's findings come from its predictions and labels (and a detection run's boxes), not from
  // the analysis: computed first, they are stored with the scores in the same transaction (one
  // write per row).
  // Statistics before any read of the tables: right after an import the planner has none, and the
  // findings' read of every row then goes row by row (nested loops) instead of merging the tables.
  // Inputs handed by the import are not read: their findings are computed meanwhile.
  const statistics = refreshInputStatistics(deps.db);
  statistics.catch(() => {});
  const early = await earlyFindings(deps, runId, {
    neighbours,
    handed: classificationRows,
    handedImages: detectionInputs && {
      ...detectionInputs,
      inputs: () => detectionImages(detectionInputs.inputs),
    },
    tablesReady: statistics,
  });
  await statistics;
  onProgress(0.4);
  // Still the rows the import wrote (the findings checked): their lines are written as they are.
  const imported =
    early && classificationRows && early.inputs === classificationRows.inputs
      ? { rows: classificationRows.inputs, findings: early.rows }
      : undefined;
  const { doc, images, withFindings } = await deps.db.transaction(async (tx) => {
    const run = await loadRunForAnalysis(tx, runId);
    const analyzed =
      run.kind === 'detection'
        ? await analyzeDetectionHanded(tx, run, detectionInputs, early)
        : await analyzeClassificationEarly(tx, run, early, imported);
    await saveRunMetrics(tx, runId, analyzed.doc as unknown as Record<string, unknown>, deps.clock.now());
    return analyzed;
  });
  deps.logger.info('run analyzed', { runId, kind: doc.kind, ms: Date.now() - started });
  if (early && !withFindings)
    deps.logger.info('findings of the import dropped: its boxes changed since', { runId });
  onProgress(withFindings ? 0.9 : 0.5);
  // A detection run's findings read the boxes the analysis just read: hand them over.
  if (!withFindings) await computeFindings(deps, runId, {}, { neighbours, detectionImages: images });
  onProgress(1);
  return doc;
}

/**
 * A classification run's analysis with its findings computed first (`early`, always there for a
 * classification run): staged for its INSERT … SELECT, or written with the imported rows' lines;
 * their flags and options after.
 */
async function analyzeClassificationEarly(
  tx: Db,
  run: RunForAnalysis,
  early: RunFindings | null,
  imported: NonNullable<Parameters<typeof analyzeClassification>[2]>['imported'],
) {
  if (early && !imported) await stageRowFindings(bulkOf(tx), early.rows);
  const doc = await analyzeClassification(tx, run, {
    withFindings: early !== null,
    rows: early?.inputs,
    imported,
  });
  if (early) await writeFindings(bulkOf(tx), run.id, early, { rowsStaged: true });
  return { doc, images: undefined, withFindings: early !== null };
}

/**
 * A detection run's analysis from what the import handed over while it is current, else the tables.
 * `early`: the findings computed from the same handed inputs, written by the analysis with the row
 * scores when it used those inputs (`withFindings`); from the tables, they are computed afterwards.
 */
async function analyzeDetectionHanded(
  tx: Db,
  run: RunForAnalysis,
  handed: HandedDetection | undefined,
  early: RunFindings | null,
) {
  const inputs = await currentHandedInputs(tx, run, handed);
  const findings = inputs && early ? early : undefined;
  const analyzed = await analyzeDetection(tx, run, inputs ? { inputs, coco: handed?.coco, findings } : {});
  return { ...analyzed, withFindings: findings !== undefined };
}
