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
import { type BoardLinks, channelLinks } from '../links.ts';
import type { MessageMetadata, Outbox } from '../outbox.ts';
import { isPermanent } from '../slack-errors.ts';
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

/** The metadata event type of Loupe's digest messages. */
export const DIGEST_EVENT = 'loupe_digest';

/** Slack's clock and ours may differ a little: look this much further back for a posted digest. */
const FIND_MARGIN_MS = 5 * 60 * 1000;

/**
 * The metadata a digest message carries: its key (channel and day), so a recovery finds it in the
 * channel's history instead of posting it again.
 *
 * @example
 * digestMetadata('C123', '2024-05-06'); // { event_type: 'loupe_digest', event_payload: { key: 'digest:C123:2024-05-06', day: '2024-05-06' } }
 */
export function digestMetadata(channel: string, day: string): MessageMetadata {
  return { event_type: DIGEST_EVENT, event_payload: { key: `digest:${channel}:${day}`, day } };
}

/**
 * The digest message went out but its chart did not: the caller says so instead of asking for a
 * retry that would post the message twice. `retryable` follows the cause.
 */
export class DigestChartError extends Error {
  readonly retryable: boolean;
  constructor(readonly cause: Error) {
    super(`the digest was posted, but its chart was not: ${cause.message}`);
    this.name = 'DigestChartError';
    this.retryable = !isPermanent(cause);
  }
}

/**
 * Post the digest for `day` to a channel: the message, then the chart (the upload joins a public
 * channel first). With a claim, the message is recorded before the chart goes up, so a retry after
 * a failed upload does not post twice; a retry that finds nothing recorded (the earlier attempt
 * died between posting and recording) looks for the message in the channel's history by the key
 * its metadata carries. A failed upload after the message throws DigestChartError.
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
  const metadata = digestMetadata(channel, day);
  let posted = claim?.messageTs ?? null;
  if (claim && !posted && claim.attempts > 1) {
    // An earlier attempt may have posted the message and died (or timed out) before recording it:
    // Slack's history says, through the key the message carries.
    posted = await out.findPosted(channel, {
      eventType: metadata.event_type,
      key: String(metadata.event_payload.key),
      oldest: new Date(claim.createdAt.getTime() - FIND_MARGIN_MS),
    });
    if (posted) {
      s.deps.logger.info('digest already posted by an earlier attempt; not posting it again', {
        channel,
        day,
        ts: posted,
      });
      await setDigestMessage(s.deps.db, claim.id, posted);
    }
  }
  if (!posted) {
    const { ts } = await out.post(channel, digestMessage(content, channelLinks(s.links)), { metadata });
    if (claim) await setDigestMessage(s.deps.db, claim.id, ts ?? 'posted');
  }
  if (content.run && content.classes.length) {
    try {
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
    } catch (err) {
      throw new DigestChartError(err instanceof Error ? err : new Error(String(err)));
    }
  }
  return content;
}

/**
 * The scheduled digest, exactly once per channel and day: the (channel, day) row is taken before
 * sending; whoever does not get it sends nothing ('taken'). A failure is recorded on the row and
 * thrown (a SlackPermanentError, or a DigestChartError, says whether a retry can help).
 *
 * @example
 * await deliverDigest(sender, out, 'C123', '2024-05-06', { jobId: job.id });
 */
export async function deliverDigest(
  s: DigestSender,
  out: Outbox,
  channel: string,
  day: string,
  { jobId = null }: { jobId?: number | null } = {},
): Promise<'sent' | 'taken'> {
  const claim = await claimDigest(s.deps.db, channel, day, { jobId });
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
      ...(isPermanent(e) || isPermanent((e as DigestChartError).cause) ? {} : { stack: e.stack }),
    });
    await markDigestFailed(s.deps.db, claim.id, e.message).catch(() => {});
    throw e;
  }
}

/** `deliverDigest` with the failure as an outcome (what `sendDigests` reports). */
export async function sendDailyDigest(
  s: DigestSender,
  out: Outbox,
  channel: string,
  day: string,
): Promise<'sent' | 'taken' | 'failed'> {
  try {
    return await deliverDigest(s, out, channel, day);
  } catch {
    return 'failed';
  }
}
