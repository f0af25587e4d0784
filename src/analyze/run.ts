import type { Deps } from '../deps.ts';

/**
 * Recompute everything derived from a run after ingest: metrics (stored on model_runs.metrics),
 * row_scores, matches; then the findings. Idempotent: replaces the run's derived rows.
 */
export async function analyzeRun(_deps: Deps, _runId: number): Promise<void> {
  throw new Error('analyzeRun: not implemented yet');
}
