import { randomBytes } from 'node:crypto';
import { App, LogLevel, type Logger as BoltLogger, type Receiver } from '@slack/bolt';
import type { webApi } from '@slack/bolt';

type WebClient = App['client'];
import type { Deps, Logger } from '../src/deps.ts';
import { claimDelivery } from '../src/store/deliveries.ts';
import { type BlockActionsBody, handleBlockAction } from './actions.ts';
import { apology } from './blocks/notices.ts';
import { parseCommand } from './commands/parse.ts';
import { type Reply, runCommand } from './commands/run.ts';
import type { BoardLinks } from './links.ts';
import { type ChannelPacer, type Outbox, type ResponseUrlPolicy, slackOutbox } from './outbox.ts';
import type { BotSources } from './sources.ts';

/** The customProperties key the playground uses to hand in its capture outbox. */
export const OUTBOX_KEY = 'loupeOutbox';

export interface BoltAppOptions {
  deps: Deps;
  sources: BotSources;
  links: BoardLinks;
  pace: ChannelPacer;
  /** Real Slack: bot token (+ app token for Socket Mode). Absent: playground only. */
  token?: string;
  appToken?: string;
  slackApiUrl?: string;
  retryConfig?: webApi.RetryOptions;
  /** Each Web API request is abandoned after this long, then retried per retryConfig. */
  webTimeoutMs: number;
  responsePolicy?: ResponseUrlPolicy;
  /** Answer a command inside its ack when it is ready this fast; otherwise through response_url. */
  fastAckMs: number;
  /** Post a digest to a channel through an outbox (the `digest` command). */
  postDigest: (out: Outbox, channel: string) => Promise<void>;
  /** Known after auth.test: clicks from another workspace are refused. */
  teamId: () => string | null;
}

/** Bolt's logger interface over ours (Bolt's debug chatter dropped). */
export function boltLogger(logger: Logger): BoltLogger {
  const fmt = (msg: unknown[]) =>
    msg
      .map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m)))
      .join(' ');
  return {
    debug: () => {},
    info: (...m: unknown[]) => logger.info(`bolt: ${fmt(m)}`),
    warn: (...m: unknown[]) => logger.warn(`bolt: ${fmt(m)}`),
    error: (...m: unknown[]) => logger.error(`bolt: ${fmt(m)}`),
    setLevel: () => {},
    getLevel: () => LogLevel.INFO,
    setName: () => {},
  };
}

/** Our route calls `processEvent` itself, so Bolt's receiver has nothing to do. */
const routeReceiver: Receiver = { init: () => {}, start: async () => {}, stop: async () => {} };

/**
 * The Bolt app with Loupe's listeners. HTTP requests reach it through our Hono route; Socket Mode
 * through Bolt's own receiver; the playground through `processEvent` with a capture outbox.
 */
export function createBoltApp(opts: BoltAppOptions): App {
  const { deps, token, appToken } = opts;
  const logger = boltLogger(deps.logger);
  const clientOptions = {
    // The WebClient waits forever by default; a hung call must be retried or fail, never stall.
    timeout: opts.webTimeoutMs,
    ...(opts.slackApiUrl ? { slackApiUrl: opts.slackApiUrl } : {}),
    ...(opts.retryConfig ? { retryConfig: opts.retryConfig } : {}),
  };
  const app = token
    ? appToken
      ? new App({
          token,
          appToken,
          socketMode: true,
          deferInitialization: true,
          logger,
          clientOptions,
          convoStore: false,
        })
      : new App({
          token,
          receiver: routeReceiver,
          deferInitialization: true,
          logger,
          clientOptions,
          convoStore: false,
        })
    : new App({
        receiver: routeReceiver,
        logger,
        convoStore: false,
        authorize: async () => ({
          botToken: 'xoxb-playground',
          botId: 'BPLAYGROUND',
          botUserId: 'UPLAYGROUND',
        }),
      });
  app.error(async (err) => {
    deps.logger.error('slack listener failed', { error: err.message, stack: err.stack });
  });

  const outboxFor = (
    context: Record<string, unknown>,
    client: WebClient,
    responseUrl: string | undefined,
    message: { channel: string; ts: string } | null,
  ): Outbox =>
    (context[OUTBOX_KEY] as Outbox | undefined) ??
    slackOutbox({
      client,
      responseUrl,
      message,
      pace: opts.pace,
      logger: deps.logger,
      policy: opts.responsePolicy,
    });

  const fail = (err: unknown, where: string): Reply => {
    const ref = randomBytes(4).toString('hex');
    const e = err instanceof Error ? err : new Error(String(err));
    deps.logger.error(`${where} failed`, { ref, error: e.message, stack: e.stack });
    return { ...apology(ref), response_type: 'ephemeral' };
  };

  app.command(/^\/.+/, async ({ command, ack, client, context }) => {
    const out = outboxFor(context, client, command.response_url, null);
    const work: Promise<Reply> = (async () =>
      runCommand(
        {
          deps,
          sources: opts.sources,
          links: opts.links,
          command: command.command,
          user: command.user_id,
          userName: command.user_name,
          channel: command.channel_id,
          origin: command.text,
          postDigest: (channel) => opts.postDigest(out, channel),
        },
        parseCommand(command.text ?? ''),
      ))().catch((err) => fail(err, `command "${command.text}"`));
    let timer: NodeJS.Timeout | undefined;
    const fast = await Promise.race([
      work,
      new Promise<null>((r) => {
        timer = setTimeout(() => r(null), opts.fastAckMs);
      }),
    ]);
    clearTimeout(timer);
    if (fast) return ack(fast);
    await ack({ response_type: 'ephemeral', text: 'Working on it…' });
    const reply = await work;
    try {
      await out.respond({ ...reply, replace_original: false });
    } catch (err) {
      fail(err, 'late answer');
    }
  });

  app.action({ type: 'block_actions' }, async ({ ack, body, client, context }) => {
    await ack();
    const b = body as unknown as BlockActionsBody;
    const channel = b.container?.channel_id ?? b.channel?.id;
    const ts = b.container?.message_ts ?? b.message?.ts;
    const original = channel && ts && !b.container?.is_ephemeral ? { channel, ts } : null;
    const out = outboxFor(context, client, (body as { response_url?: string }).response_url, original);
    try {
      await handleBlockAction(
        {
          deps,
          sources: opts.sources,
          links: opts.links,
          out,
          command: deps.config.LOUPE_SLASH_COMMAND,
          // The playground's clicks come from a board session, not from a workspace.
          teamId: context[OUTBOX_KEY] ? null : opts.teamId(),
        },
        b,
      );
    } catch (err) {
      const reply = fail(err, `action ${b.actions[0]?.action_id}`);
      await out.respond({ ...reply, replace_original: false }).catch((e) => fail(e, 'apology'));
    }
  });

  // Mentions answer like the slash command, in the mention's thread, for the whole channel to see
  // (so as a public answer: no sign-in links). Events are retried by Slack when we are slow, so
  // each event_id has one side effect.
  app.event('app_mention', async ({ event, body, client, context }) => {
    const eventId = (body as { event_id?: string }).event_id;
    if (eventId && !(await claimDelivery(deps.db, `event:${eventId}`))) return;
    const out = outboxFor(context, client, undefined, null);
    const text = (event.text ?? '').replace(/<@[A-Z0-9]+>/g, '').trim();
    const cmd = { ...parseCommand(text), public: true };
    let reply: Reply;
    try {
      reply = await runCommand(
        {
          deps,
          sources: opts.sources,
          links: opts.links,
          command: `@${deps.config.LOUPE_SLASH_COMMAND.replace(/^\//, '')}`,
          user: event.user ?? 'unknown',
          channel: event.channel,
          postDigest: (channel) => opts.postDigest(out, channel),
        },
        cmd,
      );
    } catch (err) {
      reply = fail(err, 'mention');
    }
    await out.post(event.channel, reply, { threadTs: event.thread_ts ?? event.ts });
  });

  return app;
}
