import type { App } from '@slack/bolt';
import type { Logger } from '../src/deps.ts';

type WebClient = App['client'];

/** A Slack user's name for people to read, or null when Slack does not say (the id is shown then). */
export type UserNames = (userId: string) => Promise<string | null>;

/**
 * Slack user names through users.info (`users:read`), cached per process: a name for `ttlMs`, a
 * failed lookup for `failureTtlMs` (a user who left, a missing scope) so pages never wait on it
 * again meanwhile; concurrent lookups of one user share a call. Storage keeps ids; names are only
 * for display. The name is the one Slack shows: display name, else real name, else the handle.
 *
 * @example
 * const names = slackUserNames(client, { logger });
 * await names('U024BE7LH'); // 'Maria'
 */
export function slackUserNames(
  client: WebClient,
  {
    logger,
    ttlMs = 3600_000,
    failureTtlMs = 300_000,
    maxEntries = 10_000,
    now = () => Date.now(),
  }: { logger: Logger; ttlMs?: number; failureTtlMs?: number; maxEntries?: number; now?: () => number },
): UserNames {
  const cache = new Map<string, { name: string | null; until: number }>();
  const pending = new Map<string, Promise<string | null>>();
  const remember = (id: string, name: string | null, ms: number) => {
    cache.delete(id);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(id, { name, until: now() + ms });
  };
  const lookup = async (id: string): Promise<string | null> => {
    try {
      const res = await client.users.info({ user: id });
      const u = res.user;
      const name =
        u?.profile?.display_name?.trim() ||
        u?.profile?.real_name?.trim() ||
        u?.real_name?.trim() ||
        u?.name?.trim();
      remember(id, name || null, ttlMs);
      return name || null;
    } catch (err) {
      logger.warn('Slack user name not found', { user: id, error: (err as Error).message });
      remember(id, null, failureTtlMs);
      return null;
    }
  };
  return (id) => {
    const hit = cache.get(id);
    if (hit && hit.until > now()) return Promise.resolve(hit.name);
    let p = pending.get(id);
    if (!p) {
      p = lookup(id).finally(() => pending.delete(id));
      pending.set(id, p);
    }
    return p;
  };
}
