import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { type AccessMode, LOCAL_USER, accessModeOf } from '../src/authorize.ts';
import { verifyLink } from '../src/links.ts';
import { claimDelivery } from '../src/store/deliveries.ts';
import { findLiveToken } from '../src/store/tokens.ts';
import type { Deps } from '../src/deps.ts';
import type { BoardEnv } from './env.ts';
import { errorResponse } from './errors.tsx';
import { safeRedirectPath } from './safe-url.ts';
import {
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
  type Session,
  checkCsrfToken,
  csrfToken,
  decodeSession,
  encodeSession,
} from './session.ts';

export type { AccessMode };

export interface Access {
  mode: AccessMode;
  /** Puts the session and its CSRF token on the context, or answers 401. */
  requireSession: MiddlewareHandler<BoardEnv>;
  /** POSTs must carry the session's token (header X-CSRF-Token or form field _csrf), else 403. */
  requireCsrfToken: MiddlewareHandler<BoardEnv>;
  /** GET /auth/link: a valid signed link sets the session cookie and redirects. */
  openLink: (c: Context) => Promise<Response>;
  /** Start a session for a user who proved who they are (Sign in with Slack), then go to `to`. */
  signIn: (c: Context, user: string, to: string) => Response;
}

/** Sign in with Slack, when configured: where a visitor without a session is sent. */
export interface SignInRoute {
  /** The path starting the sign-in, coming back to `to` afterwards. */
  start(to: string): string;
}

/**
 * How the board decides who is asking: signed Slack links when LOUPE_SECRET is set; a single
 * local user when it is not and the server listens on loopback only; nobody otherwise.
 *
 * @example
 * const access = createAccess(deps);
 * app.use('/runs/*', access.requireSession);
 */
export function createAccess(
  deps: Deps,
  {
    localKey = randomBytes(32).toString('hex'),
    signInRoute = null,
  }: { localKey?: string; signInRoute?: SignInRoute | null } = {},
): Access {
  const secret = deps.config.LOUPE_SECRET || null;
  const mode = accessModeOf(deps.config);
  // Local mode still needs a key for CSRF tokens; one per process is enough (no sessions to keep).
  const tokenKey = secret ?? localKey;
  const localSession: Session = { user: LOCAL_USER, exp: 4_102_444_800 };

  const sessionOf = (c: Context): Session | null => {
    if (mode === 'local') return localSession;
    if (mode === 'closed' || !secret) return null;
    return decodeSession(secret, getCookie(c, SESSION_COOKIE), deps.clock.now());
  };

  const unauthorized = (c: Context, reason: string) =>
    errorResponse(c, 401, reason, {
      help:
        mode === 'closed'
          ? 'LOUPE_SECRET is not set and the server listens beyond this machine, so the board is closed. Set LOUPE_SECRET, or listen on 127.0.0.1 for local single-user use.'
          : signInRoute
            ? `Sign in with Slack at ${signInRoute.start('/')}, or type /loupe board in Slack and follow the link it gives you.`
            : 'Open the board from Slack: type /loupe board and follow the link it gives you.',
    });

  const requireSession: MiddlewareHandler<BoardEnv> = async (c, next) => {
    const session = sessionOf(c);
    // A page opened from a link anyone in a channel sees: the visitor signs in as themselves.
    if (!session && signInRoute && c.req.method === 'GET' && !c.req.path.startsWith('/api/'))
      return c.redirect(signInRoute.start(safeRedirectPath(c.req.path + new URL(c.req.url).search)), 302);
    if (!session) return unauthorized(c, mode === 'closed' ? 'The board is closed' : 'You need a board link');
    c.set('session', session);
    c.set('csrf', csrfToken(tokenKey, session));
    await next();
  };

  const requireCsrfToken: MiddlewareHandler<BoardEnv> = async (c, next) => {
    if (c.req.method !== 'POST') return next();
    let token = c.req.header('x-csrf-token');
    if (
      !token &&
      /^application\/x-www-form-urlencoded|^multipart\/form-data/i.test(c.req.header('content-type') ?? '')
    ) {
      const form = await c.req.parseBody();
      token = typeof form._csrf === 'string' ? form._csrf : undefined;
    }
    if (!checkCsrfToken(tokenKey, c.get('session'), token)) {
      return errorResponse(c, 403, 'Missing or wrong CSRF token', {
        help: 'Reload the page and try again; actions only work from the board itself.',
      });
    }
    await next();
  };

  const openLink = async (c: Context) => {
    if (mode !== 'signed' || !secret) {
      return mode === 'local'
        ? c.redirect(safeRedirectPath(c.req.query('to')), 302)
        : unauthorized(c, 'The board is closed');
    }
    const now = deps.clock.now();
    const claims = verifyLink(secret, c.req.query(), now);
    if (!claims) return unauthorized(c, 'This link is expired or was altered');
    // A one-time link signs in once; its reader, already signed in by it, may open it again.
    if (claims.once && !(await claimDelivery(deps.db, `link:${claims.once}`))) {
      if (sessionOf(c)?.user === claims.user) return c.redirect(safeRedirectPath(claims.path), 302);
      return unauthorized(c, 'This sign-in link was already used');
    }
    return signIn(c, claims.user, claims.path);
  };

  const signIn = (c: Context, user: string, to: string) => {
    if (mode !== 'signed' || !secret) throw new Error('signing in needs LOUPE_SECRET');
    const exp = Math.floor(deps.clock.now().getTime() / 1000) + SESSION_TTL_SECONDS;
    setCookie(c, SESSION_COOKIE, encodeSession(secret, { user, exp }), {
      httpOnly: true,
      sameSite: 'Lax',
      secure: servedOverHttps(c, deps.config.LOUPE_PUBLIC_URL),
      path: '/',
      maxAge: SESSION_TTL_SECONDS,
    });
    return c.redirect(safeRedirectPath(to), 302);
  };

  return { mode, requireSession, requireCsrfToken, openLink, signIn };
}

export function servedOverHttps(c: Context, publicUrl: string | undefined): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  if ((c.req.header('x-forwarded-proto') ?? '').split(',')[0].trim() === 'https') return true;
  return !!publicUrl && publicUrl.startsWith('https:');
}

/** The start-up line saying how the board lets people in. */
export function describeAccess(mode: AccessMode, host: string): string {
  if (mode === 'signed') return 'board: signed Slack links (LOUPE_SECRET set); sessions last 7 days';
  if (mode === 'local')
    return `board: LOUPE_SECRET is unset — local single-user mode on ${host} (actions recorded as "local")`;
  return `board: LOUPE_SECRET is unset and HOST=${host} is not loopback — the board refuses every request`;
}

/** The user name API requests carry when the local CLI hands its work to this server. */
export const LOCAL_CLI_USER = 'local-cli';

/**
 * Who an API client is, from `Authorization: Bearer <token>`: the key this `loupe serve` wrote
 * into its data folder's lock (the CLI on this machine), or, unless `stored` is false, a live API
 * token from `loupe token create`. Anything else is 401, answered before the body is read, so a
 * refused upload stores nothing.
 *
 * @example
 * app.post('/api/ingest/:kind', requireApiToken(deps, { localKey }), handler);
 */
export function requireApiToken(
  deps: Deps,
  { localKey, stored = true }: { localKey?: string; stored?: boolean } = {},
): MiddlewareHandler<BoardEnv> {
  const local = localKey ? Buffer.from(localKey) : null;
  return async (c, next) => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
    let user: string | null = null;
    if (token && local) {
      const given = Buffer.from(token);
      if (given.length === local.length && timingSafeEqual(given, local)) user = LOCAL_CLI_USER;
    }
    if (token && !user && stored) {
      const found = await findLiveToken(deps.db, token, deps.clock.now());
      if (found) user = `token:${found.name}`;
    }
    if (!user) {
      return errorResponse(c, 401, token ? 'Unknown or revoked API token' : 'Missing API token', {
        help: 'Send Authorization: Bearer <token>; create a token with `loupe token create <name>` where the server runs.',
      });
    }
    c.set('session', { user, exp: Math.floor(deps.clock.now().getTime() / 1000) + 3600 });
    await next();
  };
}
