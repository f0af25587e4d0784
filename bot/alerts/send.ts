import { runCompute } from '../../src/compute/pool.ts';
import type { Deps } from '../../src/deps.ts';
import { regressionChartSpec } from '../../src/charts/regression.ts';
import { ALERT_JOB } from '../../src/jobs/names.ts';
import type { JobHandlers } from '../../src/jobs/runner.ts';
import {
  claimAlert,
  getRegression,
  markAlertFailed,
  markAlertSent,
  mutedClasses,
} from '../../src/store/regressions.ts';
import { lookupRunById } from '../../src/store/run-lookup.ts';
import type { Outbox } from '../outbox.ts';
import { type AlertContent, alertMessage } from './message.ts';

/**
 * What the alert of a run says, from its stored check: regressed classes that are not muted,
 * largest drop first; null when there is nothing to alert.
 */
export async function alertContent(deps: Deps, runId: number): Promise<AlertContent | null> {
  const check = await getRegression(deps.db, runId);
  if (!check) return null;
  const [run, previous] = await Promise.all([
    lookupRunById(deps.db, runId),
    lookupRunById(deps.db, check.previousRunId),
  ]);
  if (!run || !previous) return null;
  const muted = await mutedClasses(deps.db, run.datasetId);
  const regressed = check.classes
    .filter((c) => c.regressed && !muted.has(c.label))
    .sort((a, b) => a.delta - b.delta || a.name.localeCompare(b.name));
  if (regressed.length === 0) return null;
  return {
    run: { id: run.id, name: run.name },
    previous: { id: previous.id, name: previous.name },
    metric: check.metric,
    rows: check.rows,
    resamples: check.resamples,
    minDrop: check.minDrop,
    regressed,
  };
}

/**
 * Post a run's regression alert to each channel, once per (run, channel) across every instance:
 * the line is claimed before posting, marked sent with the message, and a failure is recorded and
 * thrown so the job retries (only the failed channels post again). The chart follows the message;
 * a failed upload is logged, never a second message.
 */
export async function sendRegressionAlert(
  deps: Deps,
  out: Outbox,
  runId: number,
  { channels = deps.config.LOUPE_ALERT_CHANNELS, boardBase }: { channels?: string[]; boardBase: string },
): Promise<Record<string, 'sent' | 'taken' | 'nothing'>> {
  const content = await alertContent(deps, runId);
  const results: Record<string, 'sent' | 'taken' | 'nothing'> = {};
  let failure: Error | null = null;
  for (const channel of channels) {
    if (!content) {
      results[channel] = 'nothing';
      continue;
    }
    const claim = await claimAlert(deps.db, runId, channel);
    if (!claim) {
      results[channel] = 'taken';
      continue;
    }
    try {
      const { ts } = await out.post(channel, alertMessage(content, boardBase));
      await markAlertSent(deps.db, claim.id, ts);
      results[channel] = 'sent';
      deps.logger.info('regression alert posted', { run: content.run.name, channel });
    } catch (err) {
      const e = err as Error;
      await markAlertFailed(deps.db, claim.id, e.message).catch(() => {});
      deps.logger.error('regression alert failed', { run: content.run.name, channel, error: e.message });
      failure ??= e;
      continue;
    }
    try {
      // Rendering takes a few hundred ms of CPU: in the compute pool, off the thread answering Slack.
      const png = await runCompute(deps, 'chartPng', {
        spec: regressionChartSpec({
          run: content.run.name,
          previous: content.previous.name,
          metric: content.metric,
          classes: content.regressed,
        }),
      });
      await out.upload(channel, {
        data: Buffer.from(png.buffer, png.byteOffset, png.byteLength),
        filename: `loupe-regression-${runId}.png`,
        title: `${content.run.name} vs ${content.previous.name}`,
      });
    } catch (err) {
      deps.logger.warn('regression alert chart not uploaded', { channel, error: (err as Error).message });
    }
  }
  if (failure) throw failure;
  return results;
}

/**
 * The alert job's handler, for a process whose bot talks to Slack: other processes never claim
 * alert jobs (a runner claims only the kinds it has handlers for).
 */
export function alertJobHandlers(deps: Deps, out: () => Outbox, boardBase: string): JobHandlers {
  return {
    async [ALERT_JOB]({ job }) {
      if (job.runId === null) throw new Error('alert job without a run');
      await sendRegressionAlert(deps, out(), job.runId, { boardBase });
      return [];
    },
  };
}
