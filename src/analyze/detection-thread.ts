import { createComputePool } from '../compute/pool.ts';
import type { DetectionInputs } from '../store/analysis.ts';
import type { CocoAnalysis } from './detection-compute.ts';

/**
 * Below this many boxes (ground truths and detections) the evaluation is not worth a thread, which
 * has to start and load the metrics code first (the 100-image COCO sample has 1.6k boxes).
 */
const THREAD_MIN_BOXES = 20_000;

/** The COCOeval part of an analysis, under way in a thread of its own. */
export interface CocoAnalysisThread {
  /** Never rejects: null when the thread failed, and the caller computes it on its own thread. */
  result: Promise<CocoAnalysis | null>;
  close(): Promise<void>;
}

/**
 * Start the COCOeval part of a detection run's analysis (cocoAnalysis) in a worker thread, so it
 * runs while the import writes the same inputs to the database: on the embedded database that write
 * takes the import's own thread, and on Postgres the thread only streams it. The 5k-image COCO
 * set: about 2.5 s of CPU to evaluate, type and pack beside 1.5 s writing into the embedded
 * database. Null for a small import.
 *
 * @example
 * const thread = cocoAnalysisInThread(inputs, classNames);
 * try { … await thread?.result … } finally { await thread?.close(); }
 */
export function cocoAnalysisInThread(
  inputs: DetectionInputs,
  classNames: string[],
  { minBoxes = THREAD_MIN_BOXES }: { minBoxes?: number } = {},
): CocoAnalysisThread | null {
  const boxes = inputs.gts.length + inputs.dets.length + inputs.poolDets.length;
  if (boxes < minBoxes) return null;
  // The import waits for it: the same priority as the import's own thread.
  const pool = createComputePool({ threads: 1, niceIncrement: 0 });
  const result = pool.run('cocoAnalysis', { inputs, classNames }).catch(() => null);
  return { result, close: () => pool.close() };
}
