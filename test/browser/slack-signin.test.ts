import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SlackHandler, createSlackHandler } from '../../bot/index.ts';
import { createServerApp, listen } from '../../bin/server.ts';
import { type Database, createDb } from '../../db/index.ts';
import { type FakeSlack, startFakeSlack } from '../slack/fake-slack.ts';
import { insertBoardFixture } from '../web/fixtures.ts';
import { browserDeps, launchChromium } from './harness.ts';

const ARTIFACTS = 'test/artifacts';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Sign in with Slack in a real browser: the board → Slack's authorize page (loopback) → back, signed in. */
describe('Sign in with Slack in Chromium', () => {
  let database: Database;
  let slack: FakeSlack;
  let server: { port: number; close: () => Promise<void> };
  let browser: Browser;
  let bot: SlackHandler;
  let base = '';

  beforeAll(async () => {
    database = await createDb();
    slack = await startFakeSlack();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const deps = browserDeps(database, {
      LOUPE_SECRET: 'browser-secret-0123456789',
      LOUPE_PUBLIC_URL: base,
      SLACK_CLIENT_ID: slack.oidc.clientId,
      SLACK_CLIENT_SECRET: slack.oidc.clientSecret,
      SLACK_API_URL: slack.apiUrl,
      SLACK_OIDC_AUTHORIZE_URL: `${slack.url}/openid/connect/authorize`,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'test-signing-secret-0123456789',
    });
    // The workspace knows the person who signs in by name.
    slack.users.set('U0ALICE', {
      id: 'U0ALICE',
      name: 'alice',
      real_name: 'Alice Moreau',
      profile: { display_name: 'Alice', real_name: 'Alice Moreau' },
    });
    await insertBoardFixture(database.db);
    bot = createSlackHandler(deps, { schedule: false, reminders: false });
    await bot.start();
    server = await listen(createServerApp(deps, { slack: bot }), { host: '127.0.0.1', port });
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await bot?.stop();
    await slack?.close();
    await database?.close();
  });

  it('a plain board link signs the reader in with Slack and lands on the page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const res = await page.goto(`${base}/rework`);
    expect(res?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/rework');
    expect(slack.oidc.redeemed).toBe(1);
    const cookies = await context.cookies(base);
    expect(cookies.find((c) => c.name === 'loupe_session')?.httpOnly).toBe(true);
    // The header names them as Slack does (users.info); the id stays on hover and in storage.
    const who = page.locator('header .user');
    expect(await who.textContent()).toBe('signed in as Alice');
    expect(await who.getAttribute('title')).toBe('U0ALICE');
    await page.screenshot({ path: `${ARTIFACTS}/slack-signin-landed.png` });
    // Another page: the name comes from the cache, not from Slack again.
    await page.goto(`${base}/batches`);
    expect(await page.locator('header .user').textContent()).toBe('signed in as Alice');
    expect(slack.callsTo('users.info')).toHaveLength(1);
    expect(slack.callsTo('users.info')[0].body.user).toBe('U0ALICE');
    await context.close();
  });

  it('a forged callback is refused with a page that says why', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const res = await page.goto(`${base}/auth/slack/callback?code=stolen&state=forged`);
    expect(res?.status()).toBe(401);
    expect(await page.textContent('body')).toContain('Sign-in refused');
    await page.screenshot({ path: `${ARTIFACTS}/slack-signin-refused.png` });
    expect((await context.cookies(base)).some((c) => c.name === 'loupe_session')).toBe(false);
    await context.close();
  });
});
