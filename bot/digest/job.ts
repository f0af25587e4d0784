import { DIGEST_JOB } from '../../src/jobs/names.ts';
import type { JobHandlers } from '../../src/jobs/runner.ts';
import type { NewJob } from '../../src/store/jobs.ts';
import type { Outbox } from '../outbox.ts';
import { type DigestSender, deliverDigest } from './send.ts';

/** Attempts of one digest job; its retries back off from 30 s to 5 minutes, then it gives up. */
export const DIGEST_ATTEMPTS = 6;

/**
 * The queue job sending one channel's digest for one day. Its dedupe key absorbs the same job
 * queued by another instance's scheduler while the first is still waiting.
 *
 * @example
 * await enqueueJobs(deps.database, [digestJob('C123', '2024-05-06')]);
 */
export function digestJob(channel: string, day: string): NewJob {
  return {
    kind: DIGEST_JOB,
    payload: { channel, day },
    dedupeKey: `digest:${channel}:${day}`,
    maxAttempts: DIGEST_ATTEMPTS,
  };
}

/**
 * The handler of `digest` jobs, run by the job runner of any process with a Slack client (`serve`
 * with the bot on, or `worker` with SLACK_BOT_TOKEN). A transient failure throws and is retried by the
 * queue; a permanent one (not invited, missing scope) fails the job at once with its advice.
 */
export function digestJobHandlers(sender: DigestSender, out: () => Outbox): JobHandlers {
  return {
    async [DIGEST_JOB]({ job }) {
      const { channel, day } = job.payload as { channel?: unknown; day?: unknown };
      if (typeof channel !== 'string' || typeof day !== 'string')
        throw Object.assign(new Error('digest job without channel and day'), { retryable: false });
      const outcome = await deliverDigest(sender, out(), channel, day, { jobId: job.id });
      sender.deps.logger.info(`digest ${outcome}`, { channel, day, job: job.id });
      return [];
    },
  };
}
