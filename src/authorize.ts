import type { Config } from './config.ts';

/**
 * Who may change stored state (decisions, batches), whatever the surface: board form, JSON API,
 * Slack button, slash command, playground. Every write path asks `mayWrite` and nothing else.
 */

/** The one user of local single-user mode (no secret, loopback only). */
export const LOCAL_USER = 'local';

/** A Slack user id: `U…`, or `W…` for Enterprise Grid. Names and display names are never used. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,20}$/;

export type AccessMode = 'signed' | 'local' | 'closed';

/** True when HOST only accepts local connections: the one case the board runs without a secret. */
export function isLoopbackHost(host: string): boolean {
  return ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host.trim().toLowerCase());
}

/**
 * How the board decides who is asking: signed Slack links when LOUPE_SECRET is set; a single
 * local user when it is not and the server listens on loopback only; nobody otherwise.
 */
export function accessModeOf(config: Pick<Config, 'LOUPE_SECRET' | 'HOST'>): AccessMode {
  if (config.LOUPE_SECRET) return 'signed';
  return isLoopbackHost(config.HOST) ? 'local' : 'closed';
}

export type WriteCheck = { ok: true } | { ok: false; reason: string };

export const NOT_A_REVIEWER =
  'Only reviewers listed in LOUPE_REVIEWERS can approve rows, send them to rework or make batches. Ask whoever runs Loupe to add you.';

/**
 * May this user record a decision or a batch? `user` is a Slack user id (from a signed board
 * session, a signed Slack request or the playground's session), or LOCAL_USER in local mode, the
 * person at this machine who runs Loupe. `team`/`homeTeam`: a click from another workspace is refused.
 *
 * @example
 * const check = mayWrite(deps.config, { user: session.user });
 * if (!check.ok) throw new BoardError(403, check.reason);
 */
export function mayWrite(
  config: Pick<Config, 'LOUPE_SECRET' | 'HOST' | 'LOUPE_REVIEWERS'>,
  { user, team = null, homeTeam = null }: { user: string; team?: string | null; homeTeam?: string | null },
): WriteCheck {
  if (homeTeam && team && team !== homeTeam)
    return { ok: false, reason: 'This button belongs to another workspace.' };
  if (user === LOCAL_USER) {
    return accessModeOf(config) === 'local'
      ? { ok: true }
      : { ok: false, reason: 'The local user can only act in local single-user mode.' };
  }
  if (!SLACK_USER_ID.test(user))
    return { ok: false, reason: `"${user.slice(0, 40)}" is not a Slack user id.` };
  const reviewers = config.LOUPE_REVIEWERS;
  if (reviewers.length === 0 || reviewers.includes(user)) return { ok: true };
  return { ok: false, reason: NOT_A_REVIEWER };
}
