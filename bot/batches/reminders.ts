import { Cron } from 'croner';
import type { Deps } from '../../src/deps.ts';
import { REMINDER_JOB } from '../../src/jobs/names.ts';
import type { JobHandlers } from '../../src/jobs/runner.ts';
import {
  type DueBatch,
  claimDueReminders,
  listDueReminders,
  releaseReminder,
} from '../../src/store/batch-work.ts';
import { type NewJob, enqueueJobs } from '../../src/store/jobs.ts';
import { type SlackMessage, section } from '../blocks/kit.ts';
import { link, safeText } from '../blocks/mrkdwn.ts';
import { dayIn } from '../digest/send.ts';
import { type BoardLinks, seg } from '../links.ts';
import type { DirectMessenger } from './dm.ts';

/** Attempts of one reminder; its retries back off like the digest's, then it gives up. */
export const REMINDER_ATTEMPTS = 6;

/** The owner's DM on (or after) the due day of an unfinished batch. */
export function dueMessage(b: DueBatch, today: string, url: string): SlackMessage {
  const when = b.dueOn === today ? 'is due today' : `was due ${b.dueOn}`;
  const left = b.size - b.progressed;
  return {
    text: `Batch ${b.name} ${when}: ${left} rows to go`,
    blocks: [
      section(
        `:alarm_clock: Your labeling batch *${link(url, safeText(b.name, 200))}* ${when}: ${b.progressed}/${b.size} rows done, ${left} to go.`,
      ),
    ],
  };
}

/**
 * The job reminding one batch's owner for one due day. Its dedupe key is the batch and due day, so
 * every instance's schedule (and every restart) queueing it while it waits or runs makes one job.
 *
 * @example
 * await enqueueJobs(deps.database, [reminderJob(3, '2026-12-10', '2026-12-10')]);
 */
export function reminderJob(batchId: number, dueOn: string, day: string): NewJob {
  return {
    kind: REMINDER_JOB,
    payload: { batchId, day },
    dedupeKey: `${REMINDER_JOB}:${batchId}:${dueOn}`,
    maxAttempts: REMINDER_ATTEMPTS,
    // Another instance's schedule may queue it while a worker sends it.
    notWhileRunning: true,
  };
}

/**
 * Queue a reminder job for each batch owed one on `day` (due then or before, unfinished, not yet
 * reminded for its due day). Returns how many jobs were added.
 *
 * @example
 * await queueDueReminders(deps, '2026-12-10');
 */
export async function queueDueReminders(deps: Deps, day: string): Promise<number> {
  const due = await listDueReminders(deps.db, day);
  if (due.length === 0) return 0;
  const ids = await enqueueJobs(
    deps.database,
    due.map((b) => reminderJob(b.id, b.dueOn, day)),
  );
  return ids.length;
}

/**
 * The reminder job's handler: the batch is claimed in the database before its DM (two workers,
 * or a job queued twice, never both send), and handed back when the DM fails, so the queue's
 * retry sends it. A batch finished, closed or reminded meanwhile ends the job quietly.
 */
export function reminderJobHandlers({
  deps,
  links,
  dm,
}: {
  deps: Deps;
  links: BoardLinks;
  dm: DirectMessenger;
}): JobHandlers {
  return {
    async [REMINDER_JOB]({ job }) {
      const { batchId, day } = job.payload as { batchId?: unknown; day?: unknown };
      if (typeof batchId !== 'number' || typeof day !== 'string')
        throw Object.assign(new Error('batch reminder job without batchId and day'), { retryable: false });
      const [b] = await claimDueReminders(deps.db, day, { batchId });
      if (!b) return [];
      try {
        await dm(b.owner, dueMessage(b, day, links.url(`/batches/${seg(b.name)}`, b.owner)));
      } catch (err) {
        await releaseReminder(deps.db, b.id, b.dueOn);
        deps.logger.warn('batch reminder failed', {
          batch: b.name,
          owner: b.owner,
          error: (err as Error).message,
        });
        throw err;
      }
      deps.logger.info('batch reminder sent', { batch: b.name, owner: b.owner, day });
      return [];
    },
  };
}

export interface ReminderScheduler {
  start(): Promise<void>;
  stop(): void;
  /** Queue today's reminders now (what the daily tick does). Returns the jobs added. */
  tick(): Promise<number>;
}

/**
 * Daily batch reminders: croner on LOUPE_REMINDER_CRON (LOUPE_TZ) queues one `batch-reminder` job
 * per batch owed one, for the process's job runner (or any other's) to send. At start it queues
 * today's too, so a server down at 09:00 catches up; the per-batch claim keeps every reminder
 * single whatever the number of instances or ticks.
 *
 * @example
 * const reminders = createReminderScheduler({ deps, notify: () => runner.notify() });
 * await reminders.start();
 */
export function createReminderScheduler({
  deps,
  cron = deps.config.LOUPE_REMINDER_CRON,
  timezone = deps.config.LOUPE_TZ,
  notify = () => {},
}: {
  deps: Deps;
  cron?: string;
  timezone?: string;
  /** Wake the job runner that sends them. */
  notify?: () => void;
}): ReminderScheduler {
  // Fail at start on a bad pattern or zone, not at 09:00.
  new Cron(cron, { timezone, paused: true }).stop();
  let job: Cron | null = null;
  const tick = async () => {
    const queued = await queueDueReminders(deps, dayIn(timezone, deps.clock.now()));
    if (queued) notify();
    return queued;
  };
  const guarded = () =>
    tick().catch((err: Error) => {
      deps.logger.error('batch reminder tick failed', { error: err.message });
      return 0;
    });
  return {
    tick,
    async start() {
      if (job) return;
      job = new Cron(cron, { timezone, protect: true }, () => {
        void guarded();
      });
      await guarded();
    },
    stop() {
      job?.stop();
      job = null;
    },
  };
}
