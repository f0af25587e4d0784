import type { Deps } from '../deps.ts';

/**
 * Recompute a run's findings (label flags, neighbour disagreement, uncertainty) and store them.
 * Called by analyzeRun after row_scores are written, and again when labels change.
 */
export async function computeFindings(_deps: Deps, _runId: number): Promise<void> {
  // Filled in by the findings module.
}
