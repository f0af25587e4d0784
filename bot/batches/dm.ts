import type { App } from '@slack/bolt';
import type { SlackMessage } from '../blocks/kit.ts';

type WebClient = App['client'];

/** Sends a direct message to a user; throws what Slack answered when it cannot. */
export type DirectMessenger = (user: string, msg: SlackMessage) => Promise<void>;

/**
 * Direct messages through the Web API: `conversations.open` for the user's DM channel, then
 * `chat.postMessage` to it (the bot needs the `im:write` scope).
 *
 * @example
 * await directMessenger(client)('U024BE7LH', { text: 'You have a batch' });
 */
export function directMessenger(client: WebClient): DirectMessenger {
  return async (user, msg) => {
    const opened = await client.conversations.open({ users: user });
    const channel = opened.channel?.id;
    if (!channel) throw new Error(`Slack opened no DM channel with ${user}`);
    await client.chat.postMessage({ channel, text: msg.text, blocks: msg.blocks });
  };
}
