import type { App } from '@slack/bolt';
import { directMessenger } from '../batches/dm.ts';
import { claimDelivery } from '../../src/store/deliveries.ts';
import type { Reply } from '../commands/context.ts';
import { parseCommand } from '../commands/parse.ts';
import { runCommand } from '../commands/run.ts';
import { type ListenerDeps, OUTBOX_KEY, fail, outboxFor } from './context.ts';

/**
 * Events. Mentions answer like the slash command, in the mention's thread, for the whole channel to
 * see (so as a public answer: no sign-in links). Events are retried by Slack when we are slow, so
 * each event_id has one side effect. (Bolt acks events itself.)
 *
 * @example
 * register(app, listenerDeps);
 */
export function register(app: App, l: ListenerDeps): void {
  const { deps } = l;
  app.event('app_mention', async ({ event, body, client, context }) => {
    const eventId = (body as { event_id?: string }).event_id;
    if (eventId && !(await claimDelivery(deps.db, `event:${eventId}`))) return;
    const out = outboxFor(l, context, client, undefined, null);
    const text = (event.text ?? '').replace(/<@[A-Z0-9]+>/g, '').trim();
    let reply: Reply;
    try {
      reply = await runCommand(
        {
          deps,
          sources: l.sources,
          links: l.links,
          command: `@${deps.config.LOUPE_SLASH_COMMAND.replace(/^\//, '')}`,
          user: event.user ?? 'unknown',
          channel: event.channel,
          postDigest: (channel) => l.postDigest(out, channel),
          // The playground has no workspace to DM in.
          dm: context[OUTBOX_KEY] ? undefined : directMessenger(client),
        },
        { ...parseCommand(text), public: true },
      );
    } catch (err) {
      reply = fail(deps, err, 'mention');
    }
    await out.post(event.channel, reply, { threadTs: event.thread_ts ?? event.ts });
  });
}
