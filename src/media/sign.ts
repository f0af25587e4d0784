import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a media URL posted to Slack stays valid. */
export const MEDIA_URL_TTL_SECONDS = 7 * 24 * 3600;

const mac = (secret: string, path: string, exp: number) =>
  createHmac('sha256', secret).update(`media\n${path}\n${exp}`).digest('base64url');

/**
 * A media path that opens without a session until it expires: `path?exp=…&sig=…`. Slack fetches
 * thumbnails with no cookie, and images are often confidential, so they are not left public.
 *
 * @example
 * signMediaPath('s3cret', '/media/rows/7/thumb/256', new Date()); // '/media/rows/7/thumb/256?exp=…&sig=…'
 */
export function signMediaPath(
  secret: string,
  path: string,
  now: Date,
  ttlSeconds: number = MEDIA_URL_TTL_SECONDS,
): string {
  const exp = Math.floor(now.getTime() / 1000) + ttlSeconds;
  return `${path}?${new URLSearchParams({ exp: String(exp), sig: mac(secret, path, exp) })}`;
}

/** True when `exp`/`sig` sign `path` and have not expired. */
export function verifyMediaPath(
  secret: string,
  path: string,
  { exp, sig }: { exp?: string | null; sig?: string | null },
  now: Date,
): boolean {
  if (!exp || !sig || !/^\d{1,12}$/.test(exp)) return false;
  const expected = Buffer.from(mac(secret, path, Number(exp)));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
  return Number(exp) * 1000 >= now.getTime();
}
