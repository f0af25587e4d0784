import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Clock, Logger } from '../src/deps.ts';
import { verifySlackRequest } from './verify.ts';

/**
 * Slack's largest legitimate requests are block_actions carrying our own messages (≤ 12k
 * characters of text, about 3× that once JSON and form-encoded); 256 KB leaves room and stops
 * anyone from making us buffer more before the signature is checked.
 */
export const MAX_BODY_BYTES = 256 * 1024;

/** What the receiver hands Bolt: `App.processEvent` takes exactly this. */
export interface SlackEvent {
  body: Record<string, unknown>;
  ack: (response?: unknown) => Promise<void>;
  retryNum?: number;
  retryReason?: string;
  customProperties?: Record<string, unknown>;
}

export interface ReceiverOptions {
  signingSecret: string;
  processEvent: (event: SlackEvent) => Promise<void>;
  clock: Clock;
  logger: Logger;
  maxBodyBytes?: number;
  /** Slack gives up after 3 s: answer 200 by then even if no listener acknowledged. */
  ackTimeoutMs?: number;
}

/**
 * The HTTP side of the bot, mounted at `/slack/events`: body limit, `ssl_check`, v0 signature on
 * the raw bytes, `url_verification`, payload parsing, then Bolt's `processEvent`, answering the
 * request with whatever the listener passed to `ack()`.
 *
 * @example
 * root.route('/slack/events', createSlackRoute({ signingSecret, processEvent: (e) => app.processEvent(e), clock, logger }));
 */
export function createSlackRoute({
  signingSecret,
  processEvent,
  clock,
  logger,
  maxBodyBytes = MAX_BODY_BYTES,
  ackTimeoutMs = 2500,
}: ReceiverOptions): Hono {
  if (!signingSecret)
    throw new Error('SLACK_SIGNING_SECRET is empty: refusing to accept unsigned Slack requests');
  const route = new Hono();
  route.post(
    '/',
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) => c.text(`request body over ${maxBodyBytes} bytes`, 413),
    }),
    async (c) => {
      const raw = new Uint8Array(await c.req.arrayBuffer());
      const text = Buffer.from(raw).toString('utf8');
      const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
      const form = type === 'application/x-www-form-urlencoded' ? new URLSearchParams(text) : null;
      // Slack's certificate check is unsigned and needs only a 200.
      if (form?.get('ssl_check') === '1') return c.body(null, 200);

      const verdict = verifySlackRequest({
        secret: signingSecret,
        signature: c.req.header('x-slack-signature'),
        timestamp: c.req.header('x-slack-request-timestamp'),
        rawBody: raw,
        now: clock.now(),
      });
      if (!verdict.ok) {
        logger.warn('slack request refused', { reason: verdict.reason });
        return c.text('invalid signature', 401);
      }

      const parsed = parseSlackBody(type, form, text);
      if ('error' in parsed) return c.text(parsed.error, parsed.status);
      const body = parsed.body;
      if (body.type === 'url_verification') return c.json({ challenge: String(body.challenge ?? '') });

      const retryHeader = c.req.header('x-slack-retry-num');
      let answer: (v: { response?: unknown }) => void = () => {};
      const acked = new Promise<{ response?: unknown }>((resolve) => {
        answer = resolve;
      });
      let isAcked = false;
      const ack = async (response?: unknown) => {
        if (isAcked) return;
        isAcked = true;
        answer({ response });
      };
      const ref = randomBytes(4).toString('hex');
      const done = processEvent({
        body,
        ack,
        retryNum: retryHeader && /^\d+$/.test(retryHeader) ? Number(retryHeader) : undefined,
        retryReason: c.req.header('x-slack-retry-reason'),
      }).then(
        // A body no listener acknowledges (unknown type) must still get its 200.
        () => ack(),
        (err: Error) => {
          logger.error('slack event failed', { ref, error: err?.message, stack: err?.stack });
          return ack({ response_type: 'ephemeral', text: `Sorry, that didn't work (reference ${ref}).` });
        },
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<{ response?: unknown; timedOut: true }>((resolve) => {
        timer = setTimeout(() => resolve({ timedOut: true }), ackTimeoutMs);
      });
      const result = await Promise.race([acked, timeout]);
      clearTimeout(timer);
      if ('timedOut' in result) {
        logger.warn('slack event not acknowledged in time; answered 200', { ref, ackTimeoutMs });
        isAcked = true;
        void done;
        return c.body(null, 200);
      }
      const { response } = result;
      if (response === undefined || response === '') return c.body(null, 200);
      if (typeof response === 'string') return c.text(response, 200);
      return c.json(response as Record<string, unknown>, 200);
    },
  );
  route.all('/', (c) => c.text('Slack events are POSTed here', 405));
  return route;
}

type Parsed = { body: Record<string, unknown> } | { error: string; status: 400 | 415 };

/** Slash commands are form fields; interactivity is one `payload` field of JSON; events are JSON. */
export function parseSlackBody(type: string, form: URLSearchParams | null, text: string): Parsed {
  if (form) {
    const payload = form.get('payload');
    if (payload !== null) {
      let body: unknown;
      try {
        body = JSON.parse(payload);
      } catch {
        return { error: 'payload is not JSON', status: 400 };
      }
      if (!body || typeof body !== 'object' || Array.isArray(body))
        return { error: 'payload is not an object', status: 400 };
      const b = body as Record<string, unknown>;
      if (typeof b.type !== 'string') return { error: 'payload has no type', status: 400 };
      if (b.type === 'block_actions') {
        const acts = b.actions;
        if (
          !Array.isArray(acts) ||
          acts.length === 0 ||
          !acts.every((a) => a && typeof a.action_id === 'string')
        )
          return { error: 'block_actions without actions', status: 400 };
        if (!b.user || typeof (b.user as { id?: unknown }).id !== 'string')
          return { error: 'block_actions without user', status: 400 };
      }
      return { body: b };
    }
    const body = Object.fromEntries(form.entries());
    if (typeof body.command !== 'string' || typeof body.user_id !== 'string')
      return { error: 'form body is neither a slash command nor an interaction', status: 400 };
    return { body };
  }
  if (type === 'application/json') {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { error: 'body is not JSON', status: 400 };
    }
    if (
      !body ||
      typeof body !== 'object' ||
      Array.isArray(body) ||
      typeof (body as { type?: unknown }).type !== 'string'
    )
      return { error: 'event body has no type', status: 400 };
    return { body: body as Record<string, unknown> };
  }
  return { error: 'expected application/x-www-form-urlencoded or application/json', status: 415 };
}
