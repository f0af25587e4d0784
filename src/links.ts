import { createHmac, timingSafeEqual } from 'node:crypto';

export const DEFAULT_LINK_TTL_SECONDS = 7 * 24 * 3600;
/** Sign-in links the bot puts in answers only their reader sees: short-lived and one-time. */
export const SLACK_LINK_TTL_SECONDS = 3600;

export interface SignedLinkClaims {
  /** Path and query of the board page, e.g. `/runs/digits/gallery?iou_lt=0.5`. */
  path: string;
  /** The Slack user the link was made for. */
  user: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Set on one-time links: the board accepts the link once (then only with its session). */
  once?: string;
}

function mac(secret: string, { path, user, exp, once }: SignedLinkClaims): string {
  const payload = `${path}\n${user}\n${exp}${once ? `\n${once}` : ''}`;
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/**
 * A board link that proves who it was made for: `/auth/link?to=…&u=…&exp=…&sig=…`.
 * Opening it sets the session cookie and redirects to `to`.
 *
 * @example
 * const href = signLink('s3cret', { path: '/runs/r1', user: 'U123' }, new Date());
 */
export function signLink(
  secret: string,
  {
    path,
    user,
    ttlSeconds = DEFAULT_LINK_TTL_SECONDS,
    once,
  }: {
    path: string;
    user: string;
    ttlSeconds?: number /** A fresh random id: a one-time link. */;
    once?: string;
  },
  now: Date,
): string {
  const exp = Math.floor(now.getTime() / 1000) + ttlSeconds;
  const sig = mac(secret, { path, user, exp, once });
  const q = new URLSearchParams({ to: path, u: user, exp: String(exp), ...(once ? { n: once } : {}), sig });
  return `/auth/link?${q.toString()}`;
}

/** Check a signed link's parameters; returns the claims when valid and unexpired, else null. */
export function verifyLink(
  secret: string,
  params: {
    to?: string | null;
    u?: string | null;
    exp?: string | null;
    n?: string | null;
    sig?: string | null;
  },
  now: Date,
): SignedLinkClaims | null {
  const { to, u, exp, n, sig } = params;
  if (!to || !u || !exp || !sig || !/^\d{1,12}$/.test(exp)) return null;
  if (n !== undefined && n !== null && !/^[A-Za-z0-9_-]{16,64}$/.test(n)) return null;
  // Only same-site paths: an absolute or protocol-relative target would be an open redirect.
  if (!to.startsWith('/') || to.startsWith('//') || to.startsWith('/\\')) return null;
  const claims: SignedLinkClaims = { path: to, user: u, exp: Number(exp), ...(n ? { once: n } : {}) };
  const expected = Buffer.from(mac(secret, claims));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  if (claims.exp * 1000 < now.getTime()) return null;
  return claims;
}
