import { createComputePool } from '../compute/pool.ts';
import type { DetectionInputs } from '../store/analysis.ts';
import type { DetectionAnalysis } from './detection-compute.ts';

/**
 * Below this many boxes (ground truths and detections) the analysis takes less than a thread
 * takes to start and load it (the 100-image COCO sample: 0.1 s).
 */
const THREAD_MIN_BOXES = 20_000;

/** An analysis under way in a thread of its own. */
export interface DetectionThread {
  /** Never rejects: null when the thread failed, and the caller computes it on its own thread. */
  result: Promise<DetectionAnalysis | null>;
  close(): Promise<void>;
}

/**
 * Start a detection run's analysis (computeDetectionAnalysis) in a worker thread, so it runs while
 * the import writes the same inputs to the database: on the embedded database that write takes the
 * import's own thread, and on Postgres the thread only streams it. The 5k-image COCO set: about
 * 3 s of evaluation, typing and packing beside 2 s of writing. Null for a small import.
 *
 * @example
 * const thread = detectionAnalysisInThread(inputs, classNames);
 * try { … await thread?.result … } finally { await thread?.close(); }
 */
export function detectionAnalysisInThread(
  inputs: DetectionInputs,
  classNames: string[],
  { minBoxes = THREAD_MIN_BOXES }: { minBoxes?: number } = {},
): DetectionThread | null {
  const boxes = inputs.gts.length + inputs.dets.length + inputs.poolDets.length;
  if (boxes < minBoxes) return null;
  // The import waits for it: the same priority as the import's own thread.
  const pool = createComputePool({ threads: 1, niceIncrement: 0 });
  const result = pool.run('detectionAnalysis', { inputs, classNames }).catch(() => null);
  return { result, close: () => pool.close() };
}
