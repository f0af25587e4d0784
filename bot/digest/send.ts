import { runCompute } from '../../src/compute/pool.ts';
import type { Deps } from '../../src/deps.ts';
import { digestChartSpec } from '../../src/charts/digest.ts';
import { type UncertainLister, buildDigest } from '../../src/digest/build.ts';
import {
  type DigestClaim,
  claimDigest,
  markDigestFailed,
  markDigestSent,
  setDigestMessage,
} from '../../src/store/digests.ts';
import type { BoardLinks } from '../links.ts';
import type { Outbox } from '../outbox.ts';
import { digestMessage } from './message.ts';

export interface DigestSender {
  deps: Deps;
  links: BoardLinks;
  listUncertain: UncertainLister;
}

/** YYYY-MM-DD of an instant in a time zone. */
export function dayIn(timeZone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/**
 * Post the digest for `day` to a channel: the message, then the chart. With a claim, the message
 * is recorded before the chart goes up, so a retry after a failed upload does not post twice.
 */
export async function postDigest(
  s: DigestSender,
  out: Outbox,
  channel: string,
  day: string,
  claim?: DigestClaim,
) {
  const since = new Date(s.deps.clock.now().getTime() - 24 * 3600 * 1000);
  const content = await buildDigest(s.deps, { day, since, listUncertain: s.listUncertain });
  if (!claim?.messageTs) {
    const { ts } = await out.post(channel, digestMessage(content, s.links));
    if (claim) await setDigestMessage(s.deps.db, claim.id, ts ?? 'posted');
  }
  if (content.run && content.classes.length) {
    // Rendering takes a few hundred ms of CPU: in the compute pool, off the thread answering Slack.
    const png = await runCompute(s.deps, 'chartPng', {
      spec: digestChartSpec({
        run: content.run.name,
        previous: content.previous?.name ?? null,
        classes: content.classes,
        metric: content.classes[0].metric,
      }),
    });
    await out.upload(channel, {
      data: Buffer.from(png.buffer, png.byteOffset, png.byteLength),
      filename: `loupe-digest-${day}.png`,
      title: `Loupe digest ${day}`,
    });
  }
  return content;
}

/**
 * The scheduled digest, exactly once per channel and day: the (channel, day) row is taken before
 * sending; whoever does not get it sends nothing; a failure is recorded and can be retried.
 */
export async function sendDailyDigest(
  s: DigestSender,
  out: Outbox,
  channel: string,
  day: string,
): Promise<'sent' | 'taken' | 'failed'> {
  const claim = await claimDigest(s.deps.db, channel, day);
  if (!claim) return 'taken';
  try {
    await postDigest(s, out, channel, day, claim);
    await markDigestSent(s.deps.db, claim.id, s.deps.clock.now());
    return 'sent';
  } catch (err) {
    const e = err as Error;
    s.deps.logger.error('digest failed', {
      channel,
      day,
      attempt: claim.attempts,
      error: e.message,
      stack: e.stack,
    });
    await markDigestFailed(s.deps.db, claim.id, e.message).catch(() => {});
    return 'failed';
  }
}
