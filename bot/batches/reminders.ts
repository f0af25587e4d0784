import { Cron } from 'croner';
import type { Deps } from '../../src/deps.ts';
import { type JobRunner, createJobRunner } from '../../src/jobs/runner.ts';
import { type DueBatch, claimDueReminders, releaseReminder } from '../../src/store/batch-work.ts';
import { enqueueJobs } from '../../src/store/jobs.ts';
import { type SlackMessage, section } from '../blocks/kit.ts';
import { link, safeText } from '../blocks/mrkdwn.ts';
import { dayIn } from '../digest/send.ts';
import { type BoardLinks, seg } from '../links.ts';
import type { DirectMessenger } from './dm.ts';

/** The queue's job that sends one day's reminders. */
export const REMINDER_JOB = 'batch-reminders';

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
 * Remind each owner of their open, unfinished batches due on or before `today`, once per due day:
 * each batch is claimed in the database before its DM (two instances never both send), and
 * handed back when the DM fails, so a retry sends it. Returns the batches reminded and failed.
 *
 * @example
 * await sendDueReminders({ deps, links, dm: directMessenger(client) }, '2026-12-10');
 */
export async function sendDueReminders(
  { deps, links, dm }: { deps: Deps; links: BoardLinks; dm: DirectMessenger },
  today: string,
): Promise<{ sent: string[]; failed: string[] }> {
  const sent: string[] = [];
  const failed: string[] = [];
  for (const b of await claimDueReminders(deps.db, today)) {
    try {
      await dm(b.owner, dueMessage(b, today, links.url(`/batches/${seg(b.name)}`, b.owner)));
      sent.push(b.name);
    } catch (err) {
      await releaseReminder(deps.db, b.id, b.dueOn);
      deps.logger.warn('batch reminder failed', {
        batch: b.name,
        owner: b.owner,
        error: (err as Error).message,
      });
      failed.push(b.name);
    }
  }
  return { sent, failed };
}

export interface ReminderScheduler {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Queue today's reminders now (what the daily tick does). */
  tick(): Promise<void>;
}

/**
 * Daily batch reminders: croner on LOUPE_REMINDER_CRON (LOUPE_TZ) queues one `batch-reminders`
 * job per day (the queue's dedupe key keeps one), and a runner for that job kind sends them.
 * At start it queues today's too, so a server down at 09:00 catches up; the per-batch claim keeps
 * every reminder single whatever the number of instances or ticks.
 *
 * @example
 * const reminders = createReminderScheduler({ deps, links, dm });
 * await reminders.start();
 */
export function createReminderScheduler({
  deps,
  links,
  dm,
  cron = deps.config.LOUPE_REMINDER_CRON,
  timezone = deps.config.LOUPE_TZ,
  pollMs = 60_000,
}: {
  deps: Deps;
  links: BoardLinks;
  dm: DirectMessenger;
  cron?: string;
  timezone?: string;
  pollMs?: number;
}): ReminderScheduler {
  // Fail at start on a bad pattern or zone, not at 09:00.
  new Cron(cron, { timezone, paused: true }).stop();
  let job: Cron | null = null;
  let runner: JobRunner | null = null;
  const tick = async () => {
    const day = dayIn(timezone, deps.clock.now());
    await enqueueJobs(deps.database, [
      { kind: REMINDER_JOB, payload: { day }, dedupeKey: `${REMINDER_JOB}:${day}` },
    ]);
    runner?.notify();
  };
  return {
    tick,
    async start() {
      if (job) return;
      runner = createJobRunner(deps, {
        pollMs,
        handlers: {
          async [REMINDER_JOB]({ job: claimed }) {
            const day = String(claimed.payload.day);
            const { failed } = await sendDueReminders({ deps, links, dm }, day);
            // The failed ones were handed back: the retry sends only those.
            if (failed.length) throw new Error(`reminders not sent for ${failed.join(', ')}`);
            return [];
          },
        },
      });
      await runner.start();
      job = new Cron(cron, { timezone, protect: true }, () => {
        tick().catch((err: Error) => deps.logger.error('batch reminder tick failed', { error: err.message }));
      });
      await tick();
    },
    async stop() {
      job?.stop();
      job = null;
      await runner?.stop();
      runner = null;
    },
  };
}
