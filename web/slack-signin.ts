import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Config } from '../src/config.ts';
import type { Deps } from '../src/deps.ts';
import { claimDelivery } from '../src/store/deliveries.ts';
import { type Access, type SignInRoute, servedOverHttps } from './access.ts';
import { errorResponse } from './errors.tsx';
import { safeRedirectPath } from './safe-url.ts';

/** Where the sign-in starts and where Slack sends the browser back. */
export const SIGN_IN_PATH = '/auth/slack';
export const CALLBACK_PATH = '/auth/slack/callback';
const FLOW_COOKIE = 'loupe_oidc';
/** A sign-in must come back from Slack within this time. */
const FLOW_TTL_SECONDS = 600;
/** Slack's OpenID issuer (the `iss` of its ID tokens). */
export const SLACK_ISSUER = 'https://slack.com';

/** True when the board should sign people in with Slack. */
export function slackSignInEnabled(config: Pick<Config, 'SLACK_CLIENT_ID' | 'SLACK_CLIENT_SECRET'>): boolean {
  return Boolean(config.SLACK_CLIENT_ID && config.SLACK_CLIENT_SECRET);
}

/** The sign-in route for `createAccess`, or null when Sign in with Slack is not configured. */
export function slackSignInRoute(config: Config): SignInRoute | null {
  if (!slackSignInEnabled(config)) return null;
  if (!config.LOUPE_SECRET)
    throw new Error(
      'SLACK_CLIENT_ID is set but LOUPE_SECRET is not: Sign in with Slack keeps its sessions signed with LOUPE_SECRET; set it too',
    );
  return { start: (to) => `${SIGN_IN_PATH}?${new URLSearchParams({ to })}` };
}

const mac = (secret: string, payload: string) =>
  createHmac('sha256', secret).update(`oidc\n${payload}`).digest('base64url');

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

interface Flow {
  state: string;
  nonce: string;
  to: string;
  exp: number;
}

const encodeFlow = (secret: string, f: Flow) => {
  const body = Buffer.from(JSON.stringify(f)).toString('base64url');
  return `${body}.${mac(secret, body)}`;
};

function decodeFlow(secret: string, value: string | undefined, now: Date): Flow | null {
  const m = /^([A-Za-z0-9_-]{1,2000})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
  if (!m || !same(m[2], mac(secret, m[1]))) return null;
  try {
    const f = JSON.parse(Buffer.from(m[1], 'base64url').toString('utf8')) as Flow;
    return f.exp * 1000 >= now.getTime() ? f : null;
  } catch {
    return null;
  }
}

/** The claims of a JWT's payload (no signature check: see the callback). */
function jwtClaims(token: unknown): Record<string, unknown> | null {
  if (typeof token !== 'string') return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

/**
 * Sign in with Slack (OpenID Connect, authorization code flow) for the board: `/auth/slack`
 * sends the browser to Slack with a fresh `state` and `nonce` (kept in a signed, short-lived
 * cookie); `/auth/slack/callback` checks `state` against the cookie and uses it once, exchanges
 * the code at `openid.connect.token`, checks the ID token's issuer, audience, expiry and `nonce`,
 * reads the user from `openid.connect.userInfo`, and starts a board session for that Slack user id:
 * every board action is then attributed to them. The ID token comes straight from Slack's token
 * endpoint over TLS, which OpenID Connect Core (3.1.3.7) accepts in place of its signature.
 *
 * @example
 * app.route('/auth/slack', createSlackSignIn(deps, { access }));
 */
export function createSlackSignIn(
  deps: Deps,
  { access, fetchFn = fetch }: { access: Access; fetchFn?: typeof fetch },
): Hono {
  const { config, clock, logger } = deps;
  const secret = config.LOUPE_SECRET as string;
  const clientId = config.SLACK_CLIENT_ID as string;
  const clientSecret = config.SLACK_CLIENT_SECRET as string;
  const api = (config.SLACK_API_URL || 'https://slack.com/api/').replace(/\/?$/, '/');
  const base = (config.LOUPE_PUBLIC_URL || `http://${config.HOST}:${config.PORT}`).replace(/\/+$/, '');
  const redirectUri = `${base}${CALLBACK_PATH}`;
  const app = new Hono();

  const refuse = (c: Context, why: string) => {
    logger.warn('Slack sign-in refused', { reason: why });
    return errorResponse(c, 401, `Sign-in refused: ${why}`, {
      help: `Start again at ${SIGN_IN_PATH}.`,
    });
  };

  app.get('/', (c) => {
    const flow: Flow = {
      state: randomBytes(24).toString('base64url'),
      nonce: randomBytes(24).toString('base64url'),
      to: safeRedirectPath(c.req.query('to')),
      exp: Math.floor(clock.now().getTime() / 1000) + FLOW_TTL_SECONDS,
    };
    setCookie(c, FLOW_COOKIE, encodeFlow(secret, flow), {
      httpOnly: true,
      sameSite: 'Lax',
      secure: servedOverHttps(c, config.LOUPE_PUBLIC_URL),
      path: SIGN_IN_PATH,
      maxAge: FLOW_TTL_SECONDS,
    });
    const q = new URLSearchParams({
      response_type: 'code',
      scope: 'openid profile',
      client_id: clientId,
      state: flow.state,
      nonce: flow.nonce,
      redirect_uri: redirectUri,
    });
    return c.redirect(`${config.SLACK_OIDC_AUTHORIZE_URL}?${q}`, 302);
  });

  app.get('/callback', async (c) => {
    const flow = decodeFlow(secret, getCookie(c, FLOW_COOKIE), clock.now());
    deleteCookie(c, FLOW_COOKIE, { path: SIGN_IN_PATH });
    const { state, code, error } = c.req.query();
    if (error) return refuse(c, `Slack answered ${String(error).slice(0, 60)}`);
    if (!flow) return refuse(c, 'this browser did not start a sign-in, or it took over 10 minutes');
    if (!state || !same(state, flow.state)) return refuse(c, 'state does not match');
    if (!code) return refuse(c, 'no code');
    // A callback URL is good once: a replayed one (history, logs, a proxy) signs nobody in.
    if (!(await claimDelivery(deps.db, `oidc:${flow.state}`)))
      return refuse(c, 'this sign-in was already used');

    const token = await callSlack(fetchFn, `${api}openid.connect.token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: clientId,
        client_secret: clientSecret,
        code,
        grant_type: 'authorization_code',
        redirect_uri: redirectUri,
      }).toString(),
    });
    if (!token.ok) return refuse(c, `the code was not accepted (${token.error})`);
    const id = jwtClaims(token.body.id_token);
    const now = clock.now().getTime() / 1000;
    if (!id) return refuse(c, 'no ID token');
    if (id.iss !== SLACK_ISSUER) return refuse(c, 'the ID token is from another issuer');
    const aud = Array.isArray(id.aud) ? id.aud : [id.aud];
    if (!aud.includes(clientId)) return refuse(c, 'the ID token is for another app');
    if (typeof id.exp !== 'number' || id.exp < now) return refuse(c, 'the ID token has expired');
    if (typeof id.nonce !== 'string' || !same(id.nonce, flow.nonce)) return refuse(c, 'nonce does not match');

    const info = await callSlack(fetchFn, `${api}openid.connect.userInfo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${String(token.body.access_token ?? '')}` },
    });
    if (!info.ok) return refuse(c, `Slack did not say who you are (${info.error})`);
    const user = info.body['https://slack.com/user_id'];
    if (info.body.sub !== id.sub || typeof user !== 'string' || !/^[UW][A-Z0-9]{2,20}$/.test(user))
      return refuse(c, 'the user does not match the ID token');
    logger.info('signed in with Slack', { user });
    return access.signIn(c, user, flow.to);
  });
  return app;
}

async function callSlack(
  fetchFn: typeof fetch,
  url: string,
  init: RequestInit,
): Promise<{ ok: true; body: Record<string, unknown> } | { ok: false; error: string }> {
  try {
    const res = await fetchFn(url, { ...init, signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as Record<string, unknown>;
    if (!res.ok || body.ok !== true) return { ok: false, error: String(body.error ?? res.status) };
    return { ok: true, body };
  } catch (err) {
    return { ok: false, error: (err as Error).message.slice(0, 100) };
  }
}
