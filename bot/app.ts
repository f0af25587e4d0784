import { App, LogLevel, type Logger as BoltLogger, type Receiver } from '@slack/bolt';
import type { webApi } from '@slack/bolt';
import type { Logger } from '../src/deps.ts';
import type { ListenerDeps } from './listeners/context.ts';
import { registerListeners } from './listeners/index.ts';

export interface BoltAppOptions extends ListenerDeps {
  /** Real Slack: bot token (+ app token for Socket Mode). Absent: playground only. */
  token?: string;
  appToken?: string;
  slackApiUrl?: string;
  retryConfig?: webApi.RetryOptions;
  /** Each Web API request is abandoned after this long, then retried per retryConfig. */
  webTimeoutMs: number;
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
 * The Bolt app with Loupe's listeners (bot/listeners, one module per surface). HTTP requests reach it through our Hono route; Socket Mode
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

  registerListeners(app, opts);

  return app;
}
