import { slackSignature } from '../../bot/verify.ts';

export interface SignedRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
}

/** Sign a raw body exactly as Slack does (v0, `X-Slack-Request-Timestamp`). */
export function signed(
  secret: string,
  body: string,
  contentType: string,
  { at = new Date(), headers = {} }: { at?: Date; headers?: Record<string, string> } = {},
): SignedRequest {
  const ts = String(Math.floor(at.getTime() / 1000));
  return {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': ts,
      'x-slack-signature': slackSignature(secret, ts, body),
      ...headers,
    },
    body,
  };
}

/** A slash command as Slack sends it: `application/x-www-form-urlencoded`, fields in Slack's order. */
export function slashCommand(
  secret: string,
  {
    text,
    responseUrl,
    user = 'U0ALICE',
    userName = 'alice',
    channel = 'C0GENERAL',
    command = '/loupe',
    team = 'T0FAKE',
  }: {
    text: string;
    responseUrl: string;
    user?: string;
    userName?: string;
    channel?: string;
    command?: string;
    team?: string;
  },
  opts?: { at?: Date; headers?: Record<string, string> },
): SignedRequest {
  const body = new URLSearchParams({
    token: 'verification-token-unused',
    team_id: team,
    team_domain: 'fake',
    channel_id: channel,
    channel_name: 'general',
    user_id: user,
    user_name: userName,
    command,
    text,
    api_app_id: 'A0LOUPE',
    is_enterprise_install: 'false',
    response_url: responseUrl,
    trigger_id: `${Date.now()}.1.abc`,
  }).toString();
  return signed(secret, body, 'application/x-www-form-urlencoded', opts);
}

/** A block_actions interaction: one form field `payload` holding the JSON. */
export function blockActions(
  secret: string,
  {
    actionId,
    value,
    blockId,
    responseUrl,
    message,
    user = 'U0ALICE',
    userName = 'alice',
    channel = 'C0GENERAL',
    team = 'T0FAKE',
    ephemeral = false,
  }: {
    actionId: string;
    value?: string;
    blockId?: string;
    responseUrl: string;
    message?: { ts: string; text: string; blocks: unknown[] } | null;
    user?: string;
    userName?: string;
    channel?: string;
    team?: string;
    ephemeral?: boolean;
  },
  opts?: { at?: Date; headers?: Record<string, string> },
): SignedRequest {
  const ts = message?.ts ?? '1700000000.000100';
  const payload = {
    type: 'block_actions',
    user: { id: user, username: userName, name: userName, team_id: team },
    api_app_id: 'A0LOUPE',
    token: 'verification-token-unused',
    container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: ephemeral },
    trigger_id: `${Date.now()}.1.def`,
    team: { id: team, domain: 'fake' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel, name: 'general' },
    ...(message && !ephemeral ? { message: { type: 'message', user: 'U0BOT', ...message } } : {}),
    state: { values: {} },
    response_url: responseUrl,
    actions: [
      {
        action_id: actionId,
        block_id: blockId ?? 'b',
        text: { type: 'plain_text', text: 'x' },
        value,
        type: 'button',
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return signed(
    secret,
    new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    'application/x-www-form-urlencoded',
    opts,
  );
}

/** An Events API callback (JSON). */
export function eventCallback(
  secret: string,
  { eventId, event, team = 'T0FAKE' }: { eventId: string; event: Record<string, unknown>; team?: string },
  opts?: { at?: Date; headers?: Record<string, string> },
): SignedRequest {
  const body = JSON.stringify({
    token: 'unused',
    team_id: team,
    api_app_id: 'A0LOUPE',
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: team, user_id: 'U0BOT', is_bot: true }],
  });
  return signed(secret, body, 'application/json', opts);
}
