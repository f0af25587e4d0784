/**
 * What a failed Slack Web API call means for the caller. Permanent errors (the bot is not in the
 * channel, the channel is gone or archived, the token or a scope is missing) stay the same however
 * often the call is repeated, so they are never retried: they carry a sentence saying what to do.
 * Everything else (5xx, timeouts, refused connections, rate limits past the client's own retries)
 * is transient: the job that made the call backs off and tries again, up to a cap.
 */

/** Slack `error` codes that no retry can fix. */
export const PERMANENT_SLACK_ERRORS = new Set([
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'missing_scope',
  'method_not_supported_for_channel_type',
  'restricted_action',
  'invalid_blocks',
  'msg_too_long',
  'no_text',
]);

/** A Slack call failed for a reason a retry cannot change; `message` says what to do. */
export class SlackPermanentError extends Error {
  readonly retryable = false;
  constructor(
    message: string,
    readonly code: string,
    readonly channel: string | null = null,
  ) {
    super(message);
    this.name = 'SlackPermanentError';
  }
}

/** The Web API's platform error (`ok: false`), as @slack/web-api throws it. */
interface PlatformError {
  code?: string;
  data?: { error?: string; needed?: string; provided?: string };
}

/** The Slack `error` code of a failed call, or null for transport failures (HTTP, network, timeout). */
export function slackErrorCode(err: unknown): string | null {
  const e = err as PlatformError | null;
  return e && e.code === 'slack_webapi_platform_error' && typeof e.data?.error === 'string'
    ? e.data.error
    : null;
}

/** `<#C123>`: Slack shows the channel's name to whoever can see it (no lookup, no extra scope). */
export const channelRef = (channel: string) => `<#${channel}>`;

/** The sentence asking someone to invite the bot (a private channel or a DM it cannot join). */
export function inviteMessage(channel: string, botName = 'loupe'): string {
  return `I'm not in ${channelRef(channel)}, and I can't join private channels or DMs by myself: invite @${botName} to ${channelRef(channel)} (type \`/invite @${botName}\` there), then try again.`;
}

/**
 * Turn a failed Web API call into a SlackPermanentError with advice, or return the error as it
 * was (transient). `missing_scope` names the scope from Slack's `needed` field.
 *
 * @example
 * try { await client.conversations.join({ channel }); } catch (err) { throw classifySlackError(err, channel); }
 */
export function classifySlackError(err: unknown, channel: string | null = null): Error {
  const code = slackErrorCode(err);
  const base = err instanceof Error ? err : new Error(String(err));
  if (!code || !PERMANENT_SLACK_ERRORS.has(code)) return base;
  const where = channel ? channelRef(channel) : 'that channel';
  const data = (err as PlatformError).data ?? {};
  switch (code) {
    case 'missing_scope': {
      const scope = data.needed ?? 'a scope';
      return new SlackPermanentError(
        `Loupe's Slack app is missing the \`${scope}\` scope: add it under OAuth & Permissions (or use bot/manifest.json) and reinstall the app.`,
        code,
        channel,
      );
    }
    case 'invalid_auth':
    case 'not_authed':
    case 'account_inactive':
    case 'token_revoked':
    case 'token_expired':
      return new SlackPermanentError(
        `Slack refused Loupe's bot token (${code}): set SLACK_BOT_TOKEN to the app's current Bot User OAuth Token and restart.`,
        code,
        channel,
      );
    case 'is_archived':
      return new SlackPermanentError(`${where} is archived: pick another channel.`, code, channel);
    case 'channel_not_found':
      return new SlackPermanentError(
        channel
          ? `I can't see ${where}: if it is private, invite @loupe to ${where} (type \`/invite @loupe\` there); if it was deleted, pick another channel.`
          : `I can't find that channel.`,
        code,
        channel,
      );
    case 'not_in_channel':
    case 'method_not_supported_for_channel_type':
      return new SlackPermanentError(
        channel ? inviteMessage(channel) : `I can't reach that channel (${code}).`,
        code,
        channel,
      );
    default:
      return new SlackPermanentError(`Slack refused the message (${code}).`, code, channel);
  }
}

/** True for errors a retry cannot fix. */
export function isPermanent(err: unknown): err is SlackPermanentError {
  return err instanceof SlackPermanentError;
}
