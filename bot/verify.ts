import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack refuses requests older than five minutes to stop replays; so do we, both ways. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/**
 * Slack's v0 request signature: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>`.
 *
 * @example
 * const sig = slackSignature(secret, '1531420618', body); // 'v0=a2114d…'
 */
export function slackSignature(secret: string, timestamp: string, rawBody: string | Uint8Array): string {
  const mac = createHmac('sha256', secret);
  mac.update(`v0:${timestamp}:`);
  mac.update(rawBody);
  return `v0=${mac.digest('hex')}`;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * Check a request's `X-Slack-Signature` and `X-Slack-Request-Timestamp` against the raw bytes,
 * in constant time, refusing timestamps more than five minutes away from `now`.
 */
export function verifySlackRequest({
  secret,
  signature,
  timestamp,
  rawBody,
  now,
}: {
  secret: string;
  signature: string | null | undefined;
  timestamp: string | null | undefined;
  rawBody: string | Uint8Array;
  now: Date;
}): VerifyResult {
  if (!signature) return { ok: false, reason: 'missing X-Slack-Signature' };
  if (!timestamp) return { ok: false, reason: 'missing X-Slack-Request-Timestamp' };
  if (!/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'X-Slack-Request-Timestamp is not a number' };
  if (!signature.startsWith('v0=')) return { ok: false, reason: 'unsupported signature version' };
  const age = Math.abs(Math.floor(now.getTime() / 1000) - Number(timestamp));
  if (age > MAX_CLOCK_SKEW_SECONDS) return { ok: false, reason: 'stale or future timestamp' };
  const expected = Buffer.from(slackSignature(secret, timestamp, rawBody));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}
