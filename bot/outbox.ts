import type { App } from '@slack/bolt';
import type { Clock, Logger } from '../src/deps.ts';
import type { SlackMessage } from './blocks/kit.ts';

/** Slack message metadata: an event type and a flat payload (strings, numbers, booleans). */
export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, string | number | boolean>;
}
import { classifySlackError, slackErrorCode } from './slack-errors.ts';

/** A message sent through an interaction's `response_url`. */
export type ResponseMessage = SlackMessage & {
  response_type?: 'ephemeral' | 'in_channel';
  replace_original?: boolean;
};

/**
 * Where the bot's answers go. Slack: the response_url and the Web API. The playground: a capture.
 * Listeners only ever talk to this, so both run the same code.
 */
export interface Outbox {
  /** Answer the interaction (ephemeral unless `response_type: 'in_channel'`). */
  respond(msg: ResponseMessage): Promise<void>;
  /**
   * Post to a channel; `threadTs` answers in that message's thread; `metadata` travels with the
   * message (Slack message metadata, unseen by people) so `findPosted` can find it again.
   */
  post(
    channel: string,
    msg: SlackMessage,
    opts?: { threadTs?: string; metadata?: MessageMetadata },
  ): Promise<{ ts: string | null }>;
  /**
   * The ts of a message this app posted to `channel` since `oldest` whose metadata has `eventType`
   * and `event_payload.key === key` (conversations.history with include_all_metadata), or null.
   * Joins a public channel first: a bot reads the history of channels it is in.
   */
  findPosted(channel: string, find: { eventType: string; key: string; oldest: Date }): Promise<string | null>;
  update(channel: string, ts: string, msg: SlackMessage): Promise<void>;
  /**
   * Upload a file to a channel, joining it first when it is public (files need membership;
   * `chat:write.public` covers messages only). Private channels and DMs throw a
   * SlackPermanentError asking for an invite.
   */
  upload(channel: string, file: { data: Buffer; filename: string; title: string }): Promise<void>;
}

/**
 * At most one post per channel per second (Slack's guidance for chat.postMessage): posts wait
 * their turn instead of being dropped.
 */
export function createChannelPacer({ intervalMs = 1000 }: { intervalMs?: number } = {}) {
  const next = new Map<string, number>();
  return async (channel: string) => {
    const now = Date.now();
    const at = Math.max(now, next.get(channel) ?? 0);
    next.set(channel, at + intervalMs);
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  };
}

export type ChannelPacer = ReturnType<typeof createChannelPacer>;

export interface ResponseUrlPolicy {
  /** Attempts for 5xx, refused connections and 429s (each 429 waits its Retry-After). */
  attempts: number;
  /** Wait between 5xx attempts, doubled each time. */
  backoffMs: number;
  /** A Retry-After longer than this is not waited for (the URL would be stale). */
  maxRetryAfterMs: number;
  /** Each POST is abandoned after this long and counts as a failed attempt. */
  timeoutMs?: number;
}

export const DEFAULT_RESPONSE_POLICY: ResponseUrlPolicy = {
  attempts: 4,
  backoffMs: 500,
  maxRetryAfterMs: 30_000,
  timeoutMs: 10_000,
};

export class ResponseUrlError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'ResponseUrlError';
  }
}

/**
 * POST a message to a `response_url` (usable 5 times in 30 minutes), retrying 429 after its
 * Retry-After and 5xx with backoff; a 4xx (used or expired URL) fails at once.
 */
export async function postToResponseUrl(
  url: string,
  msg: ResponseMessage,
  {
    policy = DEFAULT_RESPONSE_POLICY,
    fetchFn = fetch,
  }: { policy?: ResponseUrlPolicy; fetchFn?: typeof fetch } = {},
): Promise<void> {
  let wait = policy.backoffMs;
  let last: ResponseUrlError | null = null;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    let res: Response;
    try {
      res = await fetchFn(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(msg),
        signal: AbortSignal.timeout(policy.timeoutMs ?? DEFAULT_RESPONSE_POLICY.timeoutMs ?? 10_000),
      });
    } catch (err) {
      last = new ResponseUrlError(`response_url unreachable: ${(err as Error).message}`, null);
      await sleep(wait);
      wait *= 2;
      continue;
    }
    const body = await res.text();
    if (res.ok) return;
    last = new ResponseUrlError(`response_url answered ${res.status}: ${body.slice(0, 200)}`, res.status);
    if (res.status === 429) {
      const after = Number(res.headers.get('retry-after') ?? '1');
      const ms = (Number.isFinite(after) && after >= 0 ? after : 1) * 1000;
      if (ms > policy.maxRetryAfterMs) break;
      await sleep(ms);
      continue;
    }
    if (res.status < 500) break;
    await sleep(wait);
    wait *= 2;
  }
  throw last ?? new ResponseUrlError('response_url failed', null);
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The Slack outbox of one interaction: `respond` uses the response_url, and when that URL is
 * used up or expired, a replacement falls back to `chat.update` on the original message.
 */
export function slackOutbox({
  client,
  responseUrl,
  message,
  pace,
  logger,
  policy,
}: {
  client: App['client'];
  responseUrl?: string;
  /** The message the interaction came from, for the chat.update fallback (not for ephemerals). */
  message?: { channel: string; ts: string } | null;
  pace: ChannelPacer;
  logger: Logger;
  clock?: Clock;
  policy?: ResponseUrlPolicy;
}): Outbox {
  const post: Outbox['post'] = async (channel, msg, opts = {}) => {
    await pace(channel);
    try {
      const res = await client.chat.postMessage({
        channel,
        text: msg.text,
        blocks: msg.blocks,
        unfurl_links: false,
        unfurl_media: false,
        ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
        ...(opts.metadata ? { metadata: opts.metadata } : {}),
      });
      return { ts: (res.ts as string | undefined) ?? null };
    } catch (err) {
      throw classifySlackError(err, channel);
    }
  };
  const update: Outbox['update'] = async (channel, ts, msg) => {
    try {
      await client.chat.update({ channel, ts, text: msg.text, blocks: msg.blocks });
    } catch (err) {
      throw classifySlackError(err, channel);
    }
  };
  return {
    post,
    update,
    async findPosted(channel, { eventType, key, oldest }) {
      await joinChannel(client, channel);
      let cursor: string | undefined;
      // A day's worth of a busy channel at most: the message sought is recent.
      for (let page = 0; page < 20; page++) {
        let res: Awaited<ReturnType<typeof client.conversations.history>>;
        try {
          res = await client.conversations.history({
            channel,
            oldest: (oldest.getTime() / 1000).toFixed(6),
            include_all_metadata: true,
            limit: 200,
            ...(cursor ? { cursor } : {}),
          });
        } catch (err) {
          throw classifySlackError(err, channel);
        }
        for (const m of res.messages ?? []) {
          const md = m.metadata as
            | { event_type?: string; event_payload?: Record<string, unknown> }
            | undefined;
          if (md?.event_type === eventType && md.event_payload?.key === key && m.ts) return m.ts;
        }
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!res.has_more || !cursor) return null;
      }
      return null;
    },
    async respond(msg) {
      if (!responseUrl) throw new Error('this interaction has no response_url');
      try {
        await postToResponseUrl(responseUrl, msg, { policy });
      } catch (err) {
        if (msg.replace_original && message) {
          logger.warn('response_url failed; updating the message with chat.update', {
            error: (err as Error).message,
          });
          await update(message.channel, message.ts, msg);
          return;
        }
        throw err;
      }
    },
    async upload(channel, file) {
      await joinChannel(client, channel);
      await pace(channel);
      try {
        await client.filesUploadV2({
          channel_id: channel,
          file: file.data,
          filename: file.filename,
          title: file.title,
        });
      } catch (err) {
        throw classifySlackError(err, channel);
      }
    },
  };
}

/**
 * Join `channel` when it is public (needs `channels:join`; a member already gets `ok`). Private
 * channels and DMs cannot be joined by a bot: those go ahead, and the upload itself says whether
 * the bot was invited (`not_in_channel` → a SlackPermanentError asking for an invite).
 *
 * @example
 * await joinChannel(client, 'C123');
 */
export async function joinChannel(client: App['client'], channel: string): Promise<void> {
  try {
    await client.conversations.join({ channel });
  } catch (err) {
    if (slackErrorCode(err) === 'method_not_supported_for_channel_type') return;
    throw classifySlackError(err, channel);
  }
}
