import type { App, webApi } from '@slack/bolt';

type RetryOptions = webApi.RetryOptions;
import { Hono } from 'hono';
import type { Deps } from '../src/deps.ts';
import type { JobHandlers } from '../src/jobs/runner.ts';
import type { PlaygroundService } from '../src/playground.ts';
import { createBoltApp } from './app.ts';
import { postDigest, dayIn, type DigestSender } from './digest/send.ts';
import { DEFAULT_RETRY, type SlackJobs, createSlackJobs } from './jobs.ts';
import { type BoardLinks, createBoardLinks } from './links.ts';
import { type ResponseUrlPolicy, createChannelPacer } from './outbox.ts';
import { createPlaygroundService } from './playground.ts';
import { createSlackRoute } from './receiver.ts';
import { type BotSources, defaultSources } from './sources.ts';
import { type UserNames, slackUserNames } from './users.ts';

export type SlackMode = 'http' | 'socket' | 'off';

export interface SlackHandler {
  /** Mount at `/slack/events`. */
  app: Hono;
  /** auth.test, Bolt init, Socket Mode connection, digest scheduler (with catch-up). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Commands and clicks without a workspace, through the same listeners. */
  playground: PlaygroundService;
  mode: SlackMode;
  /** Send today's digests now, here; exactly once per channel and day. */
  sendDigests(): Promise<Record<string, 'sent' | 'taken' | 'failed'>>;
  /** Queue today's digests as the scheduler does on time (one `digest` job per channel). */
  queueDigests(): Promise<{ day: string | null; queued: number }>;
  /**
   * The jobs only a process with the Slack client can run (digests, regression alerts, batch
   * reminders), for the process's one job runner; none when the bot is off. A `serve
   * --no-worker` queues them and leaves them to `loupe worker` processes.
   */
  jobHandlers: JobHandlers;
  /** Slack user names for the board (users.info, cached); null when the bot is off. */
  userNames: UserNames | null;
  bolt: App;
}

export interface SlackHandlerOptions {
  sources?: BotSources;
  /** Secret for board links; default LOUPE_SECRET, else random per process (local mode). */
  linkSecret?: string;
  links?: BoardLinks;
  /** The WebClient's retry policy (default: 5 retries over ~5 minutes; tests pass a short one). */
  retryConfig?: RetryOptions;
  /** Timeout of each Slack Web API request, retried per retryConfig (default 10 s). */
  webTimeoutMs?: number;
  responsePolicy?: ResponseUrlPolicy;
  /**
   * Answer commands inside the ack when ready within this time (default 1000 ms); slower ones are
   * acked and answered through response_url. Well under Slack's 3 s, as a busy embedded database can
   * hold the event loop for a few hundred ms between the timer and the HTTP answer.
   */
  fastAckMs?: number;
  /** Answer Slack's HTTP request by this time whatever happens (default 2500 ms). */
  ackTimeoutMs?: number;
  maxBodyBytes?: number;
  /** Minimum gap between our posts in one channel (default 1000 ms). */
  postIntervalMs?: number;
  /** Run the digest scheduler on start() (default: when LOUPE_DIGEST_CHANNELS is set). */
  schedule?: boolean;
  /** Queue the DMs to batch owners on due days (default: whenever Slack is on). */
  reminders?: boolean;
  /** Wake the process's job runner when a schedule queued jobs. */
  onJobsQueued?: () => void;
}

export { DEFAULT_RETRY };

/**
 * The Slack bot: an HTTP handler for `/slack/events` (Bolt behind our signature check), Socket
 * Mode when SLACK_APP_TOKEN is set, the digest scheduler, and the playground. Without Slack
 * credentials the handler answers 503 and only the playground runs.
 *
 * Mount: `root.route('/slack/events', slack.app)` before the board; then `await slack.start()`.
 *
 * @example
 * const slack = createSlackHandler(deps);
 * root.route('/slack/events', slack.app);
 * await slack.start();
 */
export function createSlackHandler(deps: Deps, opts: SlackHandlerOptions = {}): SlackHandler {
  const { config, logger } = deps;
  const token = config.SLACK_BOT_TOKEN || undefined;
  const secret = config.SLACK_SIGNING_SECRET || undefined;
  const appToken = config.SLACK_APP_TOKEN || undefined;
  if (secret && !token)
    throw new Error('SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not: set both, or neither');
  if (appToken && !token)
    throw new Error('SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: Socket Mode needs both');
  if (token && !appToken && !secret)
    throw new Error(
      'SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is empty: refusing to accept unsigned Slack requests',
    );
  const mode: SlackMode = !token ? 'off' : appToken ? 'socket' : 'http';

  const sources = opts.sources ?? defaultSources;
  const links = opts.links ?? createBoardLinks({ config, clock: deps.clock, secret: opts.linkSecret });
  const pace = createChannelPacer({ intervalMs: opts.postIntervalMs ?? 1000 });
  const sender: DigestSender = { deps, links, listUncertain: sources.listUncertain };
  let teamId: string | null = null;

  const bolt = createBoltApp({
    deps,
    sources,
    links,
    pace,
    token,
    appToken,
    slackApiUrl: config.SLACK_API_URL,
    retryConfig: opts.retryConfig ?? DEFAULT_RETRY,
    webTimeoutMs: opts.webTimeoutMs ?? 10_000,
    responsePolicy: opts.responsePolicy,
    fastAckMs: opts.fastAckMs ?? 1000,
    teamId: () => teamId,
    postDigest: async (out, channel) => {
      await postDigest(sender, out, channel, dayIn(config.LOUPE_TZ, deps.clock.now()));
    },
  });

  const app = new Hono();
  if (mode === 'http') {
    app.route(
      '/',
      createSlackRoute({
        signingSecret: secret as string,
        processEvent: (e) => bolt.processEvent(e as Parameters<App['processEvent']>[0]),
        clock: deps.clock,
        logger,
        maxBodyBytes: opts.maxBodyBytes,
        ackTimeoutMs: opts.ackTimeoutMs,
      }),
    );
  } else {
    const why =
      mode === 'socket'
        ? 'Loupe talks to Slack over Socket Mode (SLACK_APP_TOKEN is set); this endpoint is not used.'
        : 'The Slack bot is off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET. Try the bot in the playground at /playground.';
    app.all('*', (c) => c.text(why, 503));
  }

  // The jobs that post to Slack and their daily schedules; the process's job runner runs them.
  const slackJobs: SlackJobs | null =
    mode === 'off'
      ? null
      : createSlackJobs(deps, {
          client: bolt.client,
          links,
          sources,
          pace,
          notify: () => opts.onJobsQueued?.(),
          digests: opts.schedule ?? config.LOUPE_DIGEST_CHANNELS.length > 0,
          reminders: opts.reminders ?? true,
        });

  return {
    app,
    mode,
    bolt,
    playground: createPlaygroundService({ app: bolt, config }),
    sendDigests: async () => (slackJobs ? slackJobs.sendDigests() : {}),
    queueDigests: async () => (slackJobs ? slackJobs.queueDigests() : { day: null, queued: 0 }),
    jobHandlers: slackJobs?.handlers ?? {},
    userNames: mode === 'off' ? null : slackUserNames(bolt.client, { logger }),
    async start() {
      if (mode === 'off') {
        logger.info(
          `Slack bot is off (no SLACK_BOT_TOKEN / SLACK_SIGNING_SECRET); try it in the playground: ${links.base}/playground`,
        );
        return;
      }
      let auth: { ok?: boolean; team_id?: string; user_id?: string; team?: string };
      try {
        auth = await bolt.client.auth.test();
      } catch (err) {
        throw new Error(
          `Slack auth.test failed (check SLACK_BOT_TOKEN${config.SLACK_API_URL ? ' and SLACK_API_URL' : ''}): ${(err as Error).message}`,
        );
      }
      teamId = auth.team_id ?? null;
      await bolt.init();
      if (mode === 'socket') await bolt.start();
      logger.info(
        `Slack bot on (${mode === 'socket' ? 'Socket Mode' : `HTTP at ${links.base}/slack/events`}) as ${auth.user_id ?? '?'} in ${auth.team ?? auth.team_id ?? '?'}; playground at ${links.base}/playground`,
      );
      await slackJobs?.start();
    },
    async stop() {
      slackJobs?.stop();
      if (mode === 'socket') await bolt.stop();
    },
  };
}

export type { PlaygroundService } from '../src/playground.ts';
