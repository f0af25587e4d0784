import { type App, webApi } from '@slack/bolt';
import type { Deps } from '../src/deps.ts';
import { backoffMs } from '../src/jobs/backoff.ts';
import type { JobHandlers } from '../src/jobs/runner.ts';
import { alertJobHandlers } from './alerts/send.ts';
import { boltLogger } from './app.ts';
import { directMessenger } from './batches/dm.ts';
import { type ReminderScheduler, createReminderScheduler, reminderJobHandlers } from './batches/reminders.ts';
import { digestJobHandlers } from './digest/job.ts';
import { CATCH_UP_MS, type DigestScheduler, createDigestScheduler, dueFire } from './digest/schedule.ts';
import { type DigestSender, dayIn, sendDailyDigest } from './digest/send.ts';
import type { BoardLinks } from './links.ts';
import { type ChannelPacer, slackOutbox } from './outbox.ts';
import type { BotSources } from './sources.ts';

type WebClient = App['client'];

/** The WebClient's default retries last ~30 minutes; a chat answer is useless by then. */
export const DEFAULT_RETRY: webApi.RetryOptions = {
  retries: 5,
  factor: 2,
  minTimeout: 1000,
  maxTimeout: 60_000,
};

/** Wait before retry n of a Slack job: 30 s doubling, capped at 5 minutes (Slack outages are short). */
export const slackJobBackoff = (attempt: number) => backoffMs(attempt, { baseMs: 30_000, maxMs: 300_000 });

/**
 * A Slack Web API client from SLACK_BOT_TOKEN for a process without the Bolt app (`loupe worker`):
 * the same API URL, timeout and retries as the bot's. Null without a token.
 *
 * @example
 * const client = slackWebClient(deps, {}); // null when SLACK_BOT_TOKEN is unset
 */
export function slackWebClient(
  deps: Deps,
  {
    retryConfig = DEFAULT_RETRY,
    timeoutMs = 10_000,
  }: { retryConfig?: webApi.RetryOptions; timeoutMs?: number },
): WebClient | null {
  const token = deps.config.SLACK_BOT_TOKEN;
  if (!token) return null;
  return new webApi.WebClient(token, {
    // The WebClient waits forever by default; a hung call must be retried or fail, never stall.
    timeout: timeoutMs,
    retryConfig,
    logger: boltLogger(deps.logger),
    ...(deps.config.SLACK_API_URL ? { slackApiUrl: deps.config.SLACK_API_URL } : {}),
  }) as WebClient;
}

export interface SlackJobs {
  /** The handlers of the jobs that post to Slack (digests, regression alerts, batch reminders). */
  handlers: JobHandlers;
  /** Start the daily schedules that queue digests and reminders (each queues today's at once). */
  start(): Promise<void>;
  stop(): void;
  /** Queue today's digests as the scheduler does on time (one `digest` job per channel). */
  queueDigests(): Promise<{ day: string | null; queued: number }>;
  /** Send today's digests now, here; exactly once per channel and day. */
  sendDigests(): Promise<Record<string, 'sent' | 'taken' | 'failed'>>;
}

/**
 * What a process with a Slack client does in the background: the handlers of Slack's jobs, for
 * the process's one job runner, and the daily schedules that queue them. Used by `serve` (with
 * the Bolt app's client) and by `worker` (with `slackWebClient`).
 *
 * @example
 * const slackJobs = createSlackJobs(deps, { client, links, sources, pace, notify: () => runner.notify() });
 * const runner = createJobRunner(deps, { handlers: { ...pipelineHandlers(deps), ...slackJobs.handlers } });
 */
export function createSlackJobs(
  deps: Deps,
  {
    client,
    links,
    sources,
    pace,
    notify = () => {},
    digests = deps.config.LOUPE_DIGEST_CHANNELS.length > 0,
    reminders = true,
  }: {
    client: WebClient;
    links: BoardLinks;
    sources: BotSources;
    pace: ChannelPacer;
    /** Wake the process's runner when a schedule queued jobs. */
    notify?: () => void;
    /** Run the digest schedule (default: when LOUPE_DIGEST_CHANNELS is set). */
    digests?: boolean;
    /** Run the batch reminder schedule. */
    reminders?: boolean;
  },
): SlackJobs {
  const { config, logger } = deps;
  const sender: DigestSender = { deps, links, listUncertain: sources.listUncertain };
  const out = () => slackOutbox({ client, pace, logger });
  const handlers: JobHandlers = {
    ...digestJobHandlers(sender, out),
    ...alertJobHandlers(deps, out, links.base),
    ...reminderJobHandlers({ deps, links, dm: directMessenger(client) }),
  };
  let digestScheduler: DigestScheduler | null = null;
  let reminderScheduler: ReminderScheduler | null = null;
  const makeDigestScheduler = () => createDigestScheduler({ deps, notify });
  return {
    handlers,
    async start() {
      if (reminders) {
        reminderScheduler = createReminderScheduler({ deps, notify });
        await reminderScheduler.start();
      }
      if (digests) {
        digestScheduler = makeDigestScheduler();
        digestScheduler.start();
        logger.info(
          `digest: ${config.LOUPE_DIGEST_CRON} (${config.LOUPE_TZ}) to ${config.LOUPE_DIGEST_CHANNELS.join(', ')}`,
        );
      }
    },
    stop() {
      digestScheduler?.stop();
      digestScheduler = null;
      reminderScheduler?.stop();
      reminderScheduler = null;
    },
    queueDigests: () => (digestScheduler ?? makeDigestScheduler()).tick(),
    async sendDigests() {
      const results: Record<string, 'sent' | 'taken' | 'failed'> = {};
      const fire = dueFire(config.LOUPE_DIGEST_CRON, config.LOUPE_TZ, deps.clock.now(), CATCH_UP_MS);
      if (!fire) return results;
      const day = dayIn(config.LOUPE_TZ, fire);
      for (const channel of config.LOUPE_DIGEST_CHANNELS)
        results[channel] = await sendDailyDigest(sender, out(), channel, day);
      return results;
    },
  };
}
