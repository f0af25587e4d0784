import { runCompute } from '../compute/pool.ts';
import type { Deps } from '../deps.ts';
import type { CocoHeadline } from '../metrics/coco-headline.ts';
import { classificationHits, retrainScope } from '../store/label-effects.ts';
import { type RunRef, lookupRunById } from '../store/run-lookup.ts';
import { cocoInputOf } from './coco-input.ts';

/** Classification rows the run gets right, of those labeled. */
export interface RetrainHits {
  hits: number;
  total: number;
}

/** The retrain effect of a run: the previous run and this one on the rows whose labels changed. */
export type RetrainEffect = {
  previous: { id: number; name: string };
  fromVersion: number;
  toVersion: number;
  /** Rows whose labels changed (relabeled, newly labeled, boxes changed). */
  rows: number;
} & (
  | { measure: 'accuracy'; before: RetrainHits; after: RetrainHits }
  | { measure: 'AP'; before: CocoHeadline; after: CocoHeadline }
);

/**
 * The retrain effect: when a run arrives on a dataset whose labels changed since the previous run
 * (corrections, imports of relabeled or newly labeled rows), the previous run and this run on
 * exactly those rows, both against the current labels: accuracy for classification; for
 * detection COCOeval's AP@[.5:.95] and AP50 over the changed images (every class of the dataset,
 * each run's own detections on those images), computed from the stored boxes, so neither run needs
 * re-evaluating first. The evaluation runs in the compute pool when the process has one. Null when
 * there is no previous run or no label changed.
 *
 * @example
 * const e = await retrainEffect(deps, run); // { measure: 'AP', before: { AP: 0.41, AP50: 0.62, … }, after: { AP: 0.57, … }, … }
 */
export async function retrainEffect(
  deps: Pick<Deps, 'db' | 'compute'>,
  run: RunRef,
): Promise<RetrainEffect | null> {
  const scope = await retrainScope(deps.db, run);
  if (!scope) return null;
  const base = {
    previous: scope.previous,
    fromVersion: scope.fromVersion,
    toVersion: scope.toVersion,
    rows: scope.rowIds.length,
  };
  if (run.kind === 'classification')
    return {
      ...base,
      measure: 'accuracy',
      before: await classificationHits(deps.db, scope.previous.id, scope.rowIds),
      after: await classificationHits(deps.db, run.id, scope.rowIds),
    };
  const before = await cocoInputOf(deps.db, scope.previous.id, { rowIds: scope.rowIds });
  const after = await cocoInputOf(deps.db, run.id, { rowIds: scope.rowIds });
  return { ...base, measure: 'AP', ...(await runCompute(deps, 'cocoHeadlines', { before, after })) };
}

/** The retrain effect of a run by id (for the digest and the CLI). */
export async function retrainEffectOf(
  deps: Pick<Deps, 'db' | 'compute'>,
  runId: number,
): Promise<RetrainEffect | null> {
  const run = await lookupRunById(deps.db, runId);
  return run ? retrainEffect(deps, run) : null;
}
