import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { reviews } from '../../db/schema.ts';
import { slackWebClient } from '../../bot/jobs.ts';
import { slackUserNames } from '../../bot/users.ts';
import { loadConfig } from '../../src/config.ts';
import { createWebApp } from '../../web/app.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { insertBoardFixture } from '../web/fixtures.ts';
import { type FakeSlack, startFakeSlack } from './fake-slack.ts';

const cookieOf = (res: Response, name: string) =>
  (res.headers.getSetCookie?.() ?? [res.headers.get('set-cookie') ?? ''])
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith(`${name}=`) && c.length > name.length + 1) ?? '';
const csrfOf = (html: string) => /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '';
const local = (location: string | null) => {
  const u = new URL(location ?? '', 'http://0.0.0.0:3000');
  return `${u.pathname}${u.search}`;
};

/** Sign in with Slack against the loopback identity provider (the fake Slack's OpenID side). */
describeEachDriver('Sign in with Slack', (ctx) => {
  let slack: FakeSlack;
  let rowIds: number[];
  let app: ReturnType<typeof createWebApp>;

  beforeAll(async () => {
    slack = await startFakeSlack();
    ({ rowIds } = await insertBoardFixture(ctx().database.db));
    const deps = testDeps(ctx().database, {
      config: loadConfig({
        LOUPE_DEMO: '0',
        HOST: '0.0.0.0',
        LOUPE_SECRET: 'board-secret-0123456789',
        SLACK_CLIENT_ID: slack.oidc.clientId,
        SLACK_CLIENT_SECRET: slack.oidc.clientSecret,
        SLACK_API_URL: slack.apiUrl,
        SLACK_OIDC_AUTHORIZE_URL: `${slack.url}/openid/connect/authorize`,
        SLACK_BOT_TOKEN: 'xoxb-test',
      }),
    });
    slack.users.set('U0ALICE', { id: 'U0ALICE', name: 'alice', profile: { display_name: 'Alice' } });
    const client = slackWebClient(deps, { retryConfig: { retries: 0 } });
    app = createWebApp(deps, client ? { userNames: slackUserNames(client, { logger: deps.logger }) } : {});
  });
  afterAll(async () => {
    await ctx().database.db.delete(reviews);
    await slack?.close();
  });

  /** A page without a session → /auth/slack → Slack's authorize page → our callback URL. */
  async function toCallback(path = '/rework') {
    const page = await app.request(path);
    expect(page.status).toBe(302);
    const start = await app.request(local(page.headers.get('location')));
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location') ?? '');
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${slack.url}/openid/connect/authorize`);
    expect(authorize.searchParams.get('scope')).toBe('openid profile');
    expect(authorize.searchParams.get('state')).toMatch(/^[\w-]{32}$/);
    expect(authorize.searchParams.get('nonce')).toMatch(/^[\w-]{32}$/);
    const flow = cookieOf(start, 'loupe_oidc');
    expect(flow).not.toBe('');
    const idp = await fetch(authorize, { redirect: 'manual' });
    expect(idp.status).toBe(302);
    return { callback: local(idp.headers.get('location')), flow };
  }

  it('signs in through authorize → token → userinfo and attributes board actions to that Slack user', async () => {
    const { callback, flow } = await toCallback('/rework');
    const done = await app.request(callback, { headers: { cookie: flow } });
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/rework');
    const session = cookieOf(done, 'loupe_session');
    expect(session).not.toBe('');
    expect(slack.oidc.redeemed).toBe(1);

    const page = await app.request('/rework', { headers: { cookie: session } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('signed in as Alice');
    const token = csrfOf(html);
    const decide = await app.request('/api/decisions', {
      method: 'POST',
      headers: {
        cookie: session,
        'content-type': 'application/json',
        'x-csrf-token': token,
        origin: 'http://localhost',
      },
      body: JSON.stringify({ decision: 'rework', rowIds: [rowIds[0]] }),
    });
    expect(decide.status).toBe(200);
    const [review] = await ctx().database.db.select().from(reviews).where(eq(reviews.rowId, rowIds[0]));
    // The id is what is stored and checked; the name is kept beside it for people to read.
    expect(review).toMatchObject({ actor: 'U0ALICE', actorName: 'Alice' });
  });

  it('refuses a replayed callback', async () => {
    const { callback, flow } = await toCallback();
    expect((await app.request(callback, { headers: { cookie: flow } })).status).toBe(302);
    const again = await app.request(callback, { headers: { cookie: flow } });
    expect(again.status).toBe(401);
    expect(cookieOf(again, 'loupe_session')).toBe('');
  });

  it('refuses a forged callback: state from another browser, or none', async () => {
    const { callback } = await toCallback();
    const mine = await toCallback();
    // The attacker's code and state, delivered into the victim's browser (login CSRF).
    const forged = await app.request(callback, { headers: { cookie: mine.flow } });
    expect(forged.status).toBe(401);
    expect(await forged.text()).toContain('state does not match');
    expect((await app.request(callback)).status).toBe(401);
    const guessed = callback.replace(/state=[^&]+/, 'state=guess');
    expect((await app.request(guessed, { headers: { cookie: mine.flow } })).status).toBe(401);
  });

  it('refuses an ID token whose nonce or audience is not ours', async () => {
    for (const tamper of ['nonce', 'aud'] as const) {
      const { callback, flow } = await toCallback();
      slack.oidc.tamper = tamper;
      const res = await app.request(callback, { headers: { cookie: flow } });
      expect(res.status).toBe(401);
      expect(await res.text()).toContain(tamper === 'nonce' ? 'nonce does not match' : 'another app');
      expect(cookieOf(res, 'loupe_session')).toBe('');
    }
  });

  it('API requests without a session get 401, not a redirect', async () => {
    expect((await app.request('/api/runs')).status).toBe(401);
  });
});
