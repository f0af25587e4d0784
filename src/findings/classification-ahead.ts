import { createComputePool } from '../compute/pool.ts';
import type { HandedClassificationRows } from '../store/analysis.ts';
import type { ClassificationRows } from '../store/findings-inputs.ts';
import type { ClassificationInput, classifyFindings } from './classification.ts';
import { type FindingsOptions, parseFindingsOptions } from './options.ts';

/** Below this many rows confident learning takes less than a thread takes to start and load it. */
const AHEAD_MIN_ROWS = 50_000;
/** The thread gets a copy of the probabilities: above this many bytes of them, no second copy. */
const AHEAD_MAX_BYTES = 512 << 20;

type Found = ReturnType<typeof classifyFindings>;
type Options = Pick<FindingsOptions, 'rankBy' | 'minExamplesPerClass' | 'islandShare' | 'fusion'>;

/**
 * A new dataset's confident learning, started by its import in a thread of its own: `result` for
 * `rows` with no kNN graph and `options`; null when the thread failed.
 */
export interface ClassificationAhead {
  rows: ClassificationRows;
  classNames: string[];
  options: Options;
  result: Promise<Found | null>;
  /** Ends the thread at once (a result not yet made becomes null). */
  close(): Promise<void>;
}

/** What an import hands the analysis it runs next: its rows, and their findings when started. */
export interface HandedClassification extends HandedClassificationRows {
  ahead?: ClassificationAhead | null;
}

/**
 * Start confident learning on a new dataset's rows (as the import read them) in a worker thread,
 * so it runs while the import writes them to the tables: on Postgres the import's own thread then
 * mostly waits on the database, for seconds at a million rows. The analysis run next takes the result
 * (`aheadFor`) when it runs on these very rows with the same options and no neighbours; else it
 * computes its own. Null for small runs, and for very large ones (the thread holds a copy).
 *
 * @example
 * const ahead = classificationAhead(kept, classNames);
 * try { … hand `ahead` to the analysis … } finally { await ahead?.close(); }
 */
export function classificationAhead(
  rows: ClassificationRows,
  classNames: string[],
  { minRows = AHEAD_MIN_ROWS, maxBytes = AHEAD_MAX_BYTES }: { minRows?: number; maxBytes?: number } = {},
): ClassificationAhead | null {
  if (rows.labels.length < minRows || rows.probs.byteLength > maxBytes) return null;
  // A new run has no stored options: the analysis checks it still reads these.
  const { rankBy, minExamplesPerClass, islandShare, fusion } = parseFindingsOptions({});
  const options = { rankBy, minExamplesPerClass, islandShare, fusion };
  // The analysis waits for it: the same priority as the import's own thread.
  const pool = createComputePool({ threads: 1, minThreads: 1, niceIncrement: 0 });
  const input: ClassificationInput = {
    labels: rows.labels,
    probs: rows.probs,
    k: rows.k,
    classNames,
    graph: null,
    ...options,
  };
  const result = pool.run('classifyFindings', input).catch(() => null) as Promise<Found | null>;
  // Once the analysis has the result the thread is idle; a failed import never asks for it. Either
  // way nothing waits for the thread: end it at once.
  return { rows, classNames, options, result, close: () => pool.destroy() };
}

/**
 * The findings `ahead` made, when they are those of `input`: the same rows, no graph, the same
 * options. Null otherwise, or when the thread failed: the caller computes them.
 *
 * @example
 * const found = (await aheadFor(ahead, rows, input)) ?? classifyFindings(input);
 */
export async function aheadFor(
  ahead: ClassificationAhead | null | undefined,
  rows: ClassificationRows,
  input: ClassificationInput,
): Promise<Found | null> {
  if (!ahead || ahead.rows !== rows || input.graph !== null) return null;
  const same =
    input.k === rows.k &&
    input.classNames.length === ahead.classNames.length &&
    input.classNames.every((name, i) => name === ahead.classNames[i]) &&
    Object.entries(ahead.options).every(([key, value]) => input[key as keyof Options] === value);
  return same ? ahead.result : null;
}
