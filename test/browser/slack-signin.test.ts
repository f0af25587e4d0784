import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    });
    await insertBoardFixture(database.db);
    server = await listen(createServerApp(deps), { host: '127.0.0.1', port });
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
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
    await page.screenshot({ path: `${ARTIFACTS}/slack-signin-landed.png` });
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
