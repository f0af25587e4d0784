import { randomBytes } from 'node:crypto';
import type { Clock } from '../src/deps.ts';
import type { Config } from '../src/config.ts';
import { signLink } from '../src/links.ts';

export interface BoardLinks {
  /** Absolute, signed link to a board path (with its query) for one Slack user. */
  url(path: string, user: string): string;
  /** The base URL of the board, without a trailing slash. */
  base: string;
}

/**
 * Board links for Slack messages: absolute (LOUPE_PUBLIC_URL, else http://HOST:PORT) and signed
 * for the user they are shown to. Without LOUPE_SECRET the board runs in local mode and ignores
 * the signature, so a per-process random secret is enough.
 *
 * @example
 * const links = createBoardLinks({ config, clock });
 * links.url('/runs/digits/mislabels', 'U123'); // 'http://127.0.0.1:3000/auth/link?to=…'
 */
export function createBoardLinks({
  config,
  clock,
  secret = config.LOUPE_SECRET || randomBytes(32).toString('hex'),
}: {
  config: Config;
  clock: Clock;
  secret?: string;
}): BoardLinks {
  const base = (config.LOUPE_PUBLIC_URL || `http://${config.HOST}:${config.PORT}`).replace(/\/+$/, '');
  return {
    base,
    url: (path, user) => `${base}${signLink(secret, { path, user: user || 'slack' }, clock.now())}`,
  };
}

/** Path segment for a run name or id (names may hold spaces or slashes). */
export function seg(s: string | number): string {
  return encodeURIComponent(String(s));
}
