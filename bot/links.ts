import { randomBytes } from 'node:crypto';
import type { Clock } from '../src/deps.ts';
import type { Config } from '../src/config.ts';
import { SLACK_LINK_TTL_SECONDS, signLink } from '../src/links.ts';

export interface BoardLinks {
  /**
   * Absolute link to a board path (with its query) for one Slack user: a one-time sign-in link,
   * valid for an hour, for answers only that user sees.
   */
  url(path: string, user: string): string;
  /** The base URL of the board, without a trailing slash. */
  base: string;
}

/**
 * Board links for Slack answers only one user sees: absolute (LOUPE_PUBLIC_URL, else
 * http://HOST:PORT) and signed, one-time, for that user (`channelLinks` for everything else). Without LOUPE_SECRET the board runs in local mode and ignores
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
    url: (path, user) =>
      `${base}${signLink(
        secret,
        {
          path,
          user: user || 'slack',
          ttlSeconds: SLACK_LINK_TTL_SECONDS,
          once: randomBytes(12).toString('base64url'),
        },
        clock.now(),
      )}`,
  };
}

/**
 * The same board links without credentials, for messages a whole channel sees (`… public`,
 * mentions, the digest, a channel message a button updates): whoever opens one signs in as
 * themselves (Sign in with Slack, or `/loupe board`).
 *
 * @example
 * const links = channelLinks(createBoardLinks({ config, clock }));
 * links.url('/runs/digits', 'U123'); // 'https://loupe.example.com/runs/digits'
 */
export function channelLinks(links: BoardLinks): BoardLinks {
  return { base: links.base, url: (path) => `${links.base}${path}` };
}

/** Path segment for a run name or id (names may hold spaces or slashes). */
export function seg(s: string | number): string {
  return encodeURIComponent(String(s));
}
