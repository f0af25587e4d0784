import { runCompute } from '../compute/pool.ts';
import type { Deps } from '../deps.ts';
import {
  type ClassificationRows,
  type DetectionImage,
  type FindingsRun,
  loadClassificationRows,
  loadFindingsRun,
  storedFindingsOptions,
} from '../store/findings-inputs.ts';
import { type NewFlag, type RowFindings, saveFindings } from '../store/findings-save.ts';
import { type Handed, currentHandedInputs } from '../store/analysis.ts';
import type { ClassificationAhead, HandedClassification } from './classification-ahead.ts';
import { type NeighbourSource, classificationRun } from './classification-run.ts';
import { detectionRun } from './detection-run.ts';
import { type FindingsOptions, type FindingsOptionsInput, parseFindingsOptions } from './options.ts';

export type { NeighbourSource } from './classification-run.ts';
export { type FindingsOptions, findingsOptionsSchema, parseFindingsOptions } from './options.ts';

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
 * from the images its import handed over (`handedImages`, made when first needed), else null and
 * they are computed after the analysis from what it stored; the analysis writes them only after
 * its own check that those images are still what the tables hold (analyzeDetectionHanded).
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
    handed?: HandedClassification;
    /**
     * A detection import's images, as the findings read them (detectionImages): made only once this
     * has read the run, so the statements its caller just started go out first.
     */
    handedImages?: Handed<() => DetectionImage[]>;
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
  if (run.kind === 'detection') {
    // Not checked here: the analysis checks the images are current in its transaction before it
    // writes these findings, and counting the tables twice was a fifth of a second on 100k boxes.
    if (handedImages?.runId !== run.id) return null;
    const images = handedImages.inputs();
    return log(
      await findingsOf(deps, run, {}, neighbours, { detectionImages: images }),
      'handed by the import',
    );
  }
  if (handed && handed.runId === run.id) {
    // The database counts the tables while this computes: the handed inputs are still current
    // unless something was written since the import, which is rare.
    const current = tablesReady.then(() => currentHandedInputs(deps.db, run, handed));
    current.catch(() => {});
    const found = await findingsOf(deps, run, {}, neighbours, { rows: handed.inputs, ahead: handed.ahead });
    if (await current) return log(found, 'handed by the import');
  }
  await tablesReady;
  return log(await findingsOf(deps, run, {}, neighbours), 'from the tables');
}

async function findingsOf(
  deps: Deps,
  run: FindingsRun,
  overrides: FindingsOptionsInput,
  neighbours: NeighbourSource,
  {
    detectionImages,
    rows,
    ahead,
  }: {
    detectionImages?: DetectionImage[];
    rows?: ClassificationRows;
    ahead?: ClassificationAhead | null;
  } = {},
): Promise<RunFindings> {
  const stored = await storedFindingsOptions(deps.db, run.id);
  const options = parseFindingsOptions({ ...stored, ...overrides });
  const result =
    run.kind === 'classification'
      ? await classificationRun(deps, run, options, neighbours, rows, ahead)
      : await detectionRun(deps, run, options, detectionImages);
  return { ...result, options: { ...options } };
}
