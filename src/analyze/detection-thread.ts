import { statSync } from 'node:fs';
import { createComputePool } from '../compute/pool.ts';
import type { DetectionInputs } from '../store/analysis.ts';
import { detectionColumns } from './detection-columns.ts';
import type { CocoAnalysis } from './detection-compute.ts';

/**
 * Below this many bytes of COCO files the evaluation is not worth a thread, which has to start and
 * load the metrics code first. About 20k boxes (a results line is ~80 bytes); the 100-image COCO
 * sample is 0.2 MB.
 */
const THREAD_MIN_BYTES = 1_500_000;

/** A worker thread for the COCOeval part of an import's analysis, started before its files are read. */
export interface CocoAnalysisThread {
  /**
   * Hand the thread the inputs the import read. Never rejects: null when the thread failed, and the
   * caller computes it on its own thread.
   */
  analyze(inputs: DetectionInputs, classNames: string[]): Promise<CocoAnalysis | null>;
  close(): Promise<void>;
}

/**
 * A thread for the COCOeval part of a detection run's analysis (cocoAnalysis), so it runs while the
 * import writes the same inputs to the database: on the embedded database that write takes the
 * import's own thread, and on Postgres the thread only streams it. Started before the import reads
 * its files, the thread loads its code while they are parsed (0.9 s on the 5k-image set), and the
 * inputs cross as moved columns rather than cloned boxes. Null for small files (`files`: their
 * paths), whose analysis runs in the import's thread in less time than a thread takes to start.
 *
 * @example
 * const thread = cocoAnalysisThread([gtFile, predFile]);
 * try { const result = thread?.analyze(inputs, classNames); … } finally { await thread?.close(); }
 */
export function cocoAnalysisThread(
  files: string[],
  { minBytes = THREAD_MIN_BYTES }: { minBytes?: number } = {},
): CocoAnalysisThread | null {
  let bytes = 0;
  for (const file of files) {
    try {
      bytes += statSync(file).size;
    } catch {
      // The import's own read reports a missing file, with its fix.
      return null;
    }
  }
  if (bytes < minBytes) return null;
  // The import waits for it: the same priority as the import's own thread. One thread kept from
  // the start, so its code loads now rather than when the inputs are ready.
  const pool = createComputePool({ threads: 1, minThreads: 1, niceIncrement: 0 });
  return {
    analyze: (inputs, classNames) => {
      const { columns, transfer } = detectionColumns(inputs);
      return pool.run('cocoAnalysis', { columns, classNames }, transfer).catch(() => null);
    },
    close: () => pool.close(),
  };
}
