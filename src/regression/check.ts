import { cocoInputOf } from '../analyze/coco-input.ts';
import { runCompute } from '../compute/pool.ts';
import type { Deps } from '../deps.ts';
import { pairedCellCounts, saveRegression, type StoredRegression } from '../store/regressions.ts';
import { lookupRunById, previousRun } from '../store/run-lookup.ts';
import { DEFAULT_BOOTSTRAP } from './types.ts';

/**
 * The regression check of a run: against the previous run on its dataset, per-class F1
 * (classification) or COCOeval AP (detection) on the rows both share, with a seeded paired
 * bootstrap; stored, replacing an earlier check. Null when the run has no earlier run.
 * The bootstrap runs in the compute pool when the process has one.
 *
 * @example
 * const result = await checkRegression(deps, runId);
 * result?.classes.filter((c) => c.regressed);
 */
export async function checkRegression(
  deps: Deps,
  runId: number,
  { resamples = DEFAULT_BOOTSTRAP.resamples, seed = DEFAULT_BOOTSTRAP.seed } = {},
): Promise<StoredRegression | null> {
  const run = await lookupRunById(deps.db, runId);
  if (!run) throw new Error(`regression check: no model run with id ${runId}`);
  const previous = await previousRun(deps.db, run);
  if (!previous) return null;
  const minDrop = deps.config.LOUPE_ALERT_MIN_DROP;
  const settings = { resamples, seed, level: DEFAULT_BOOTSTRAP.level, minDrop, classNames: run.classNames };
  let result: Omit<StoredRegression, 'computedAt'>;
  if (run.kind === 'classification') {
    const lines = await pairedCellCounts(deps.db, previous.id, run.id);
    const classes = await runCompute(deps, 'regressionF1', { ...settings, k: run.classNames.length, lines });
    const rows = lines.reduce((s, l) => s + l.count, 0);
    result = {
      runId,
      previousRunId: previous.id,
      metric: 'f1',
      rows,
      resamples,
      seed,
      minDrop,
      classes,
      cells: lines,
    };
  } else {
    // One after the other: each reads by COPY OUT, which holds its connection until the stream ends
    // (two at once on a one-connection pool wait on each other for ever).
    const before = await cocoInputOf(deps.db, previous.id);
    const now = await cocoInputOf(deps.db, run.id);
    const classes = await runCompute(deps, 'regressionAp', { ...settings, before, now });
    result = {
      runId,
      previousRunId: previous.id,
      metric: 'ap',
      rows: now.imageIds.length,
      resamples,
      seed,
      minDrop,
      classes,
      cells: null,
    };
  }
  await saveRegression(deps.db, result);
  return { ...result, computedAt: deps.clock.now() };
}
