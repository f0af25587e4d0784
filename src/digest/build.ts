import type { Deps } from '../deps.ts';
import type { Strategy } from '../findings/uncertainty.ts';
import { precisionLine, reviewLoop } from '../review/queue.ts';
import { type BatchProgress, batchProgress } from '../store/batch-work.ts';
import { countNewMislabels } from '../store/digests.ts';
import { type RetrainEffect, retrainEffect } from '../analyze/retrain-effect.ts';
import { reworkActivity } from '../store/reviews.ts';
import { lookupRun, previousRun } from '../store/run-lookup.ts';
import { type ClassChange, type MetricChange, compareRuns } from './compare.ts';

export interface DigestSuggestion {
  strategy: Strategy;
  diverse: boolean;
  n: number;
  ids: string[];
}

export interface DigestContent {
  /** The day it is for, YYYY-MM-DD in LOUPE_TZ. */
  day: string;
  run: { id: number; name: string; kind: 'classification' | 'detection' } | null;
  previous: { id: number; name: string } | null;
  metrics: MetricChange[];
  classes: ClassChange[];
  worse: ClassChange[];
  /** Detection: AP50 lost to each TIDE error type (dAP), costliest first, with its change. */
  errors: MetricChange[];
  newMislabels: number;
  /** "label flags: 41 of 50 confirmed · …" from reviewers' verdicts on the run's flags; null before any. */
  flagPrecision?: string | null;
  rework: { opened: number; closed: number; open: number };
  suggestion: DigestSuggestion | null;
  /** Open batches with their owner, due day and progress, newest first. */
  batches: BatchProgress[];
  /** The newest run's effect on the rows whose labels changed since the previous run, if any. */
  retrain?: RetrainEffect | null;
}

export type UncertainLister = (
  deps: Deps,
  q: {
    runId: number;
    strategy: Strategy;
    limit: number;
    diverse: boolean;
    outsideOpenBatches?: boolean;
  },
) => Promise<{ items: { rowId: number; id: string }[] }>;

/** Rows the digest suggests labeling next. */
export const DIGEST_BATCH_SIZE = 50;

/**
 * Assemble the daily digest from stored results: the newest run against the previous one,
 * new suspected mislabels, rework opened/closed since `since`, and a suggested uncertainty batch.
 *
 * @example
 * const digest = await buildDigest(deps, { day: '2024-05-06', since: yesterday, listUncertain });
 */
export async function buildDigest(
  deps: Deps,
  { day, since, listUncertain }: { day: string; since: Date; listUncertain: UncertainLister },
): Promise<DigestContent> {
  const run = await lookupRun(deps.db);
  const rework = await reworkActivity(deps.db, since);
  const batches = await batchProgress(deps.db, { open: true });
  if (!run)
    return {
      day,
      run: null,
      previous: null,
      metrics: [],
      classes: [],
      worse: [],
      errors: [],
      newMislabels: 0,
      flagPrecision: null,
      rework,
      suggestion: null,
      batches,
    };
  const previous = await previousRun(deps.db, run);
  const { metrics, classes, worse, errors } = compareRuns(run.kind, run.metrics, previous?.metrics);
  const newMislabels = await countNewMislabels(deps.db, run.id, previous?.id ?? null);
  const loop = await reviewLoop(deps, run);
  const { items } = await listUncertain(deps, {
    runId: run.id,
    strategy: 'least',
    limit: DIGEST_BATCH_SIZE,
    diverse: true,
    // Rows someone is already labeling in an open batch are not news.
    outsideOpenBatches: true,
  });
  return {
    day,
    run: { id: run.id, name: run.name, kind: run.kind },
    previous: previous ? { id: previous.id, name: previous.name } : null,
    metrics,
    classes,
    worse,
    errors,
    newMislabels,
    flagPrecision: precisionLine(loop.precision),
    rework,
    retrain: await retrainEffect(deps, run),
    suggestion: items.length
      ? { strategy: 'least', diverse: true, n: items.length, ids: items.map((i) => i.id) }
      : null,
    batches,
  };
}
