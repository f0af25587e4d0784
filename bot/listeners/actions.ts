import type { App } from '@slack/bolt';
import { type BlockActionsBody, handleBlockAction } from '../actions.ts';
import { type ListenerDeps, OUTBOX_KEY, fail, outboxFor } from './context.ts';

/**
 * Button clicks (block_actions): acked first, then handled, with an apology if handling fails.
 *
 * @example
 * register(app, listenerDeps);
 */
export function register(app: App, l: ListenerDeps): void {
  const { deps } = l;
  app.action({ type: 'block_actions' }, async ({ ack, body, client, context }) => {
    await ack();
    const b = body as unknown as BlockActionsBody;
    const channel = b.container?.channel_id ?? b.channel?.id;
    const ts = b.container?.message_ts ?? b.message?.ts;
    const original = channel && ts && !b.container?.is_ephemeral ? { channel, ts } : null;
    const out = outboxFor(l, context, client, (body as { response_url?: string }).response_url, original);
    try {
      await handleBlockAction(
        {
          deps,
          sources: l.sources,
          links: l.links,
          out,
          command: deps.config.LOUPE_SLASH_COMMAND,
          // The playground's clicks come from a board session, not from a workspace.
          teamId: context[OUTBOX_KEY] ? null : l.teamId(),
        },
        b,
      );
    } catch (err) {
      const reply = fail(deps, err, `action ${b.actions[0]?.action_id}`);
      await out.respond({ ...reply, replace_original: false }).catch((e) => fail(deps, e, 'apology'));
    }
  });
}
