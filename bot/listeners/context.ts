import { randomBytes } from 'node:crypto';
import type { App } from '@slack/bolt';
import type { Deps } from '../../src/deps.ts';
import { apology } from '../blocks/notices.ts';
import type { Reply } from '../commands/context.ts';
import type { BoardLinks } from '../links.ts';
import { type ChannelPacer, type Outbox, type ResponseUrlPolicy, slackOutbox } from '../outbox.ts';
import type { BotSources } from '../sources.ts';

type WebClient = App['client'];

/** The customProperties key the playground uses to hand in its capture outbox. */
export const OUTBOX_KEY = 'loupeOutbox';

/** What every surface's listeners are registered with. */
export interface ListenerDeps {
  deps: Deps;
  sources: BotSources;
  links: BoardLinks;
  pace: ChannelPacer;
  responsePolicy?: ResponseUrlPolicy;
  /** Answer a command inside its ack when it is ready this fast; otherwise through response_url. */
  fastAckMs: number;
  /** Post a digest to a channel through an outbox (the `digest` command). */
  postDigest: (out: Outbox, channel: string) => Promise<void>;
  /** Known after auth.test: clicks from another workspace are refused. */
  teamId: () => string | null;
}

/** Where a listener's answers go: the playground's capture outbox when it sent the request, else Slack. */
export function outboxFor(
  l: ListenerDeps,
  context: Record<string, unknown>,
  client: WebClient,
  responseUrl: string | undefined,
  message: { channel: string; ts: string } | null,
): Outbox {
  return (
    (context[OUTBOX_KEY] as Outbox | undefined) ??
    slackOutbox({
      client,
      responseUrl,
      message,
      pace: l.pace,
      logger: l.deps.logger,
      policy: l.responsePolicy,
    })
  );
}

/** Log a listener's failure under a short reference and answer with an apology that quotes it. */
export function fail(deps: Deps, err: unknown, where: string): Reply {
  const ref = randomBytes(4).toString('hex');
  const e = err instanceof Error ? err : new Error(String(err));
  deps.logger.error(`${where} failed`, { ref, error: e.message, stack: e.stack });
  return { ...apology(ref), response_type: 'ephemeral' };
}
