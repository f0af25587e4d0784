import { mayWrite } from '../../src/authorize.ts';
import type { SlackMessage } from '../blocks/kit.ts';
import { notice } from '../blocks/notices.ts';
import { DigestChartError } from '../digest/send.ts';
import { isPermanent } from '../slack-errors.ts';

/**
 * `/loupe digest`: post today's digest to the caller's channel. Posting to a channel is a write,
 * so it is for reviewers (the one check, `mayWrite`). Once the message is out, a failure is
 * reported as such, never as "try again": a retry would post the digest twice.
 *
 * @example
 * return digestAnswer({ config, user: 'U123', channel: 'C123', postDigest });
 */
export async function digestAnswer({
  config,
  user,
  channel,
  postDigest,
}: {
  config: Parameters<typeof mayWrite>[0];
  user: string;
  channel?: string;
  postDigest?: (channel: string) => Promise<void>;
}): Promise<SlackMessage> {
  if (!channel || !postDigest) return notice('The digest can only be posted from a channel.');
  const check = mayWrite(config, { user });
  if (!check.ok) return notice(`:no_entry: ${check.reason}`);
  try {
    await postDigest(channel);
  } catch (err) {
    if (err instanceof DigestChartError)
      return notice(
        `Posted today's digest here, but not its chart: ${err.cause.message}${isPermanent(err.cause) ? '' : ' (Slack did not answer; the chart is in the board).'}`,
      );
    // Nothing was posted: the advice says what to fix (an invite, a scope) before trying again.
    if (isPermanent(err)) return notice(`:warning: ${err.message}`);
    throw err;
  }
  return notice("Posted today's digest here.");
}
