import { createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'loupe_session';
export const SESSION_TTL_SECONDS = 7 * 24 * 3600;

export interface Session {
  user: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

function mac(secret: string, purpose: string, payload: string): string {
  return createHmac('sha256', secret).update(`${purpose}\n${payload}`).digest('base64url');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The cookie value naming a user until `exp`: `base64url(user).exp.mac`. */
export function encodeSession(secret: string, { user, exp }: Session): string {
  const u = Buffer.from(user, 'utf8').toString('base64url');
  return `${u}.${exp}.${mac(secret, 'session', `${u}.${exp}`)}`;
}

/** The session a cookie value names, or null when it is altered, malformed or expired. */
export function decodeSession(secret: string, value: string | undefined, now: Date): Session | null {
  if (!value) return null;
  const m = /^([A-Za-z0-9_-]{1,200})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return null;
  const [, u, exp, sig] = m;
  if (!same(sig, mac(secret, 'session', `${u}.${exp}`))) return null;
  if (Number(exp) * 1000 < now.getTime()) return null;
  return { user: Buffer.from(u, 'base64url').toString('utf8'), exp: Number(exp) };
}

/** The CSRF token of a session: forms and fetch POSTs carry it, a cross-site page cannot read it. */
export function csrfToken(secret: string, session: Session): string {
  return mac(secret, 'csrf', `${session.user}\n${session.exp}`);
}

export function checkCsrfToken(secret: string, session: Session, token: string | undefined | null): boolean {
  return !!token && same(token, csrfToken(secret, session));
}
