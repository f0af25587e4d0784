import type { Deps } from '../deps.ts';
import { checkRegression } from '../regression/check.ts';
import type { BulkTx } from '../store/ingest-tx.ts';
import { enqueueJobsIn, type NewJob } from '../store/jobs.ts';
import { hasEarlierRunIn } from '../store/regressions.ts';
import { ALERT_JOB } from './names.ts';
import type { JobHandlers } from './runner.ts';

/** The check job, and the alert job that follows it when a class regressed (handled by the bot). */
export const REGRESSION_JOB = 'regression';

/**
 * Queue the regression check inside the import's transaction when the dataset already has an
 * earlier run: it exists exactly when the import committed, so it also runs when no server was up.
 *
 * @example
 * await enqueueRegressionCheckIn(tx, ids.runId);
 */
export async function enqueueRegressionCheckIn(tx: BulkTx, runId: number): Promise<void> {
  if (await hasEarlierRunIn(tx, runId)) await enqueueJobsIn(tx, [{ kind: REGRESSION_JOB, runId }]);
}

/**
 * The check's handler: compute and store; when a class regressed and alert channels are set, the
 * alert job follows in the same transaction that marks the check done.
 */
export function regressionHandlers(deps: Deps): JobHandlers {
  return {
    async [REGRESSION_JOB]({ job, progress }) {
      if (job.runId === null) throw new Error('regression job without a run');
      const result = await checkRegression(deps, job.runId);
      progress(1);
      const alert: NewJob = { kind: ALERT_JOB, runId: job.runId };
      return result?.classes.some((c) => c.regressed) && deps.config.LOUPE_ALERT_CHANNELS.length
        ? [alert]
        : [];
    },
  };
}
