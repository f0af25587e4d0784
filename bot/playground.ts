import { randomBytes } from 'node:crypto';
import type { App } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { Config } from '../src/config.ts';
import type { PlaygroundMessage, PlaygroundService } from '../src/playground.ts';
import { OUTBOX_KEY } from './listeners/context.ts';
import type { Outbox, ResponseMessage } from './outbox.ts';

export const PLAYGROUND_TEAM = 'TPLAYGROUND';
export const PLAYGROUND_CHANNEL = 'CPLAYGROUND';
/** Messages kept per process; older ones can no longer be clicked. */
const KEEP = 500;

/**
 * The playground: commands and clicks go through the same Bolt app and listeners as Slack's
 * requests (`processEvent`), with an outbox that captures the answers instead of calling Slack.
 *
 * @example
 * const [answer] = await playground.command({ text: 'mislabels 5', user: 'local' });
 */
export function createPlaygroundService({ app, config }: { app: App; config: Config }): PlaygroundService {
  const messages = new Map<string, PlaygroundMessage>();
  const newId = () => `${Date.now()}.${randomBytes(3).toString('hex')}`;
  const keep = (m: PlaygroundMessage) => {
    messages.set(m.id, m);
    while (messages.size > KEEP) messages.delete(messages.keys().next().value as string);
  };

  /** One capture per request: what the listeners sent, in order. */
  const capture = (replaceId: string | null) => {
    const out: PlaygroundMessage[] = [];
    const add = (msg: ResponseMessage, visibility: PlaygroundMessage['visibility']) => {
      if (msg.replace_original && replaceId && messages.has(replaceId)) {
        const prev = messages.get(replaceId)!;
        const m: PlaygroundMessage = {
          id: replaceId,
          visibility: prev.visibility,
          text: msg.text,
          blocks: msg.blocks ?? [],
          replaced: true,
        };
        keep(m);
        out.push(m);
        return;
      }
      const m: PlaygroundMessage = { id: newId(), visibility, text: msg.text, blocks: msg.blocks ?? [] };
      keep(m);
      out.push(m);
    };
    const outbox: Outbox = {
      respond: async (msg) => add(msg, msg.response_type === 'in_channel' ? 'in_channel' : 'ephemeral'),
      post: async (_channel, msg) => {
        add(msg, 'in_channel');
        return { ts: out.at(-1)?.id ?? null };
      },
      // The playground keeps no history across requests: nothing to find again.
      findPosted: async () => null,
      update: async (_channel, ts, msg) => {
        const prev = messages.get(ts);
        if (prev) {
          const m = { ...prev, text: msg.text, blocks: msg.blocks, replaced: true };
          keep(m);
          out.push(m);
        }
      },
      upload: async (_channel, file) =>
        add(
          {
            text: `📎 ${file.title}`,
            // Slack shows an uploaded PNG as the picture; so does the playground.
            blocks: [
              {
                type: 'image',
                image_url: `data:image/png;base64,${file.data.toString('base64')}`,
                alt_text: file.title,
                title: { type: 'plain_text', text: file.title },
              },
            ],
          },
          'in_channel',
        ),
    };
    const ack = async (response?: unknown) => {
      if (response && typeof response === 'object' && 'text' in response)
        add(
          response as ResponseMessage,
          (response as ResponseMessage).response_type === 'in_channel' ? 'in_channel' : 'ephemeral',
        );
      else if (typeof response === 'string' && response) add({ text: response, blocks: [] }, 'ephemeral');
    };
    return { out, outbox, ack };
  };

  return {
    async command({ text, user, userName }) {
      const { out, outbox, ack } = capture(null);
      await app.processEvent({
        body: {
          token: 'playground',
          team_id: PLAYGROUND_TEAM,
          team_domain: 'playground',
          channel_id: PLAYGROUND_CHANNEL,
          channel_name: 'playground',
          user_id: user,
          user_name: userName ?? user,
          command: config.LOUPE_SLASH_COMMAND,
          text: text.slice(0, 4000),
          api_app_id: 'APLAYGROUND',
          response_url: 'playground://response',
          trigger_id: newId(),
        },
        ack,
        customProperties: { [OUTBOX_KEY]: outbox },
      });
      return out;
    },
    async action({ user, userName, messageId, actionId, value, blockId }) {
      const message = messages.get(messageId);
      if (!message)
        throw new PlaygroundError('That message is gone (the server restarted); run the command again.');
      const { out, outbox, ack } = capture(messageId);
      await app.processEvent({
        body: {
          type: 'block_actions',
          user: { id: user, username: userName ?? user, name: userName ?? user, team_id: PLAYGROUND_TEAM },
          api_app_id: 'APLAYGROUND',
          token: 'playground',
          team: { id: PLAYGROUND_TEAM, domain: 'playground' },
          container: {
            type: 'message',
            message_ts: messageId,
            channel_id: PLAYGROUND_CHANNEL,
            is_ephemeral: message.visibility === 'ephemeral',
          },
          channel: { id: PLAYGROUND_CHANNEL, name: 'playground' },
          message: {
            type: 'message',
            ts: messageId,
            text: message.text,
            blocks: message.blocks as KnownBlock[],
          },
          response_url: `playground://${messageId}`,
          trigger_id: newId(),
          actions: [
            {
              type: 'button',
              action_id: actionId,
              block_id: blockId ?? '',
              value,
              action_ts: String(Date.now() / 1000),
            },
          ],
        },
        ack,
        customProperties: { [OUTBOX_KEY]: outbox },
      });
      return out;
    },
  };
}

export class PlaygroundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlaygroundError';
  }
}
