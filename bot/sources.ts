import type { Strategy } from '../src/findings/uncertainty.ts';
import type { Deps } from '../src/deps.ts';
import { listRuns } from '../src/store/runs.ts';
import { listRework } from '../src/store/reviews.ts';
import { resolveRowIds } from '../src/store/rows.ts';
import { createBatch } from '../src/store/batches.ts';
import { lookupRun, lookupRunById, lookupRunWithPool, runNames } from '../src/store/run-lookup.ts';
import { findSimilar } from '../src/vectors/similar.ts';
import { listErrors } from '../src/store/errors.ts';
import { listObjects } from '../src/store/objects.ts';
import { listMislabels } from '../src/store/findings.ts';
import { listUncertain } from '../src/store/uncertain.ts';
import { closestNames } from '../src/text/closest.ts';

export interface ErrorItem {
  rowId: number;
  id: string;
  label: number | string | null;
  predicted: number | string | null;
  confidence: number | null;
  iou: number | null;
  imageUrl: string | null;
}

export interface MislabelItem {
  rowId: number;
  id: string;
  given: number | string | null;
  suggested: number | string | null;
  score: number;
  methods: string[];
  kind: string;
  imageUrl: string | null;
  /** Detection flags: the flagged box and the prediction, what a correction button names. */
  annId?: number | null;
  predId?: number | null;
}

export interface UncertainItem {
  rowId: number;
  id: string;
  score: number;
  predicted: number | string | null;
  imageUrl: string | null;
}

/**
 * Everything the bot reads or writes, as the analysis core provides it. One seam, so the
 * command code reads the same whatever module a query lives in.
 */
export interface BotSources {
  listRuns: typeof listRuns;
  lookupRun: typeof lookupRun;
  lookupRunWithPool: typeof lookupRunWithPool;
  lookupRunById: typeof lookupRunById;
  runNames: typeof runNames;
  listRework: typeof listRework;
  resolveRowIds: typeof resolveRowIds;
  createBatch: typeof createBatch;
  findSimilar: typeof findSimilar;
  listErrors(
    deps: Deps,
    q: { runId: number; iouBelow: number; limit: number },
  ): Promise<{ items: ErrorItem[]; total: number }>;
  listMislabels(
    deps: Deps,
    q: { runId: number; limit: number },
  ): Promise<{ items: MislabelItem[]; total: number }>;
  listUncertain(
    deps: Deps,
    q: {
      runId: number;
      strategy: Strategy;
      limit: number;
      diverse: boolean;
      outsideOpenBatches?: boolean;
    },
  ): Promise<{ items: UncertainItem[]; total?: number }>;
  /** One page of a detection run's objects (see src/store/objects.ts). */
  listObjects: typeof listObjects;
  closestNames(name: string, candidates: string[], n: number): string[];
}

/** The analysis core's own functions. */
export const defaultSources: BotSources = {
  listRuns,
  lookupRun,
  lookupRunWithPool,
  lookupRunById,
  runNames,
  listRework,
  resolveRowIds,
  createBatch,
  findSimilar,
  listErrors: (deps, q) =>
    listErrors(deps, { runId: q.runId, iouBelow: q.iouBelow, sort: 'confidence:asc', limit: q.limit }),
  listMislabels: (deps, q) => listMislabels(deps.db, { runId: q.runId, limit: q.limit }),
  listUncertain: (deps, q) => listUncertain(deps, q),
  listObjects,
  closestNames: (name, candidates, n) => closestNames(name, candidates, n),
};
