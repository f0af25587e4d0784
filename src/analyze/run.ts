import type { Deps } from '../deps.ts';
import { type NeighbourSource, computeFindings } from '../findings/index.ts';
import type { ClassificationMetricsDoc } from '../metrics/classification-document.ts';
import {
  clearDerived,
  loadRunForAnalysis,
  refreshInputStatistics,
  saveRunMetrics,
} from '../store/analysis.ts';
import { analyzeClassification } from './classification.ts';
import { analyzeDetection } from './detection.ts';
import type { DetectionMetricsDoc } from './detection-summary.ts';

export type RunMetricsDoc = ClassificationMetricsDoc | DetectionMetricsDoc;
export type { ClassificationMetricsDoc, DetectionMetricsDoc };

/**
 * Recompute everything derived from a run after ingest: metrics (stored on model_runs.metrics),
 * row_scores, matches; then the findings. Idempotent: replaces the run's derived rows in one
 * transaction, so a failure leaves the previous analysis in place.
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
  }: { onProgress?: (fraction: number) => void; neighbours?: NeighbourSource } = {},
): Promise<RunMetricsDoc> {
  const started = Date.now();
  const doc = await deps.db.transaction(async (tx) => {
    const run = await loadRunForAnalysis(tx, runId);
    await refreshInputStatistics(tx);
    await clearDerived(tx, runId);
    const metrics: RunMetricsDoc =
      run.kind === 'detection' ? await analyzeDetection(tx, run) : await analyzeClassification(tx, run);
    await saveRunMetrics(tx, runId, metrics as unknown as Record<string, unknown>, deps.clock.now());
    return metrics;
  });
  deps.logger.info('run analyzed', { runId, kind: doc.kind, ms: Date.now() - started });
  onProgress(0.5);
  await computeFindings(deps, runId, {}, { neighbours });
  onProgress(1);
  return doc;
}
