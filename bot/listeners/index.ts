import type { App } from '@slack/bolt';
import * as actions from './actions.ts';
import * as commands from './commands.ts';
import type { ListenerDeps } from './context.ts';
import * as events from './events.ts';

/**
 * Every listener of the bot, one `register` per Slack surface.
 *
 * @example
 * registerListeners(app, { deps, sources, links, pace, fastAckMs, postDigest, teamId });
 */
export function registerListeners(app: App, l: ListenerDeps): void {
  commands.register(app, l);
  actions.register(app, l);
  events.register(app, l);
}
