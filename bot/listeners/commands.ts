import type { App } from '@slack/bolt';
import { parseCommand } from '../commands/parse.ts';
import type { Reply } from '../commands/context.ts';
import { runCommand } from '../commands/run.ts';
import { type ListenerDeps, fail, outboxFor } from './context.ts';

/**
 * Slash commands. The ack is sent within `fastAckMs`: with the answer when it is ready by then,
 * else with "Working on it…" and the answer follows through response_url.
 *
 * @example
 * register(app, listenerDeps);
 */
export function register(app: App, l: ListenerDeps): void {
  const { deps } = l;
  app.command(/^\/.+/, async ({ command, ack, client, context }) => {
    const out = outboxFor(l, context, client, command.response_url, null);
    const work: Promise<Reply> = (async () =>
      runCommand(
        {
          deps,
          sources: l.sources,
          links: l.links,
          command: command.command,
          user: command.user_id,
          userName: command.user_name,
          channel: command.channel_id,
          origin: command.text,
          postDigest: (channel) => l.postDigest(out, channel),
        },
        parseCommand(command.text ?? ''),
      ))().catch((err) => fail(deps, err, `command "${command.text}"`));
    let timer: NodeJS.Timeout | undefined;
    const fast = await Promise.race([
      work,
      new Promise<null>((r) => {
        timer = setTimeout(() => r(null), l.fastAckMs);
      }),
    ]);
    clearTimeout(timer);
    if (fast) return ack(fast);
    await ack({ response_type: 'ephemeral', text: 'Working on it…' });
    const reply = await work;
    try {
      await out.respond({ ...reply, replace_original: false });
    } catch (err) {
      fail(deps, err, 'late answer');
    }
  });
}
