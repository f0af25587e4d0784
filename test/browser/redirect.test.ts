import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerApp, listen } from '../../bin/server.ts';
import { type Database, createDb } from '../../db/index.ts';
import { signLink } from '../../src/links.ts';
import { browserDeps, launchChromium } from './harness.ts';

// RELIABILITY.md 32: Chromium strips tabs and newlines from a Location before resolving it, so
// `/<TAB>/evil.example/x` is `//evil.example/x` to it. The redirect must stay on the board.

const SECRET = 'browser-redirect-secret';

describe('redirects in headless Chromium', () => {
  let database: Database;
  const servers: { port: number; close: () => Promise<void> }[] = [];
  let browser: Browser;

  beforeAll(async () => {
    database = await createDb();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
    await database?.close();
  });

  /** Where Chromium ends up after opening `path`; any other host is answered "evil" locally. */
  async function landing(env: Record<string, string>, path: (base: string) => string): Promise<URL> {
    const server = await listen(createServerApp(browserDeps(database, env), {}), {
      host: '127.0.0.1',
      port: 0,
    });
    servers.push(server);
    const base = `http://127.0.0.1:${server.port}`;
    const context = await browser.newContext();
    try {
      await context.route(
        (url) => url.hostname !== '127.0.0.1',
        (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>evil</h1>' }),
      );
      const page = await context.newPage();
      await page.goto(`${base}${path(base)}`);
      const url = new URL(page.url());
      expect(url.origin, page.url()).toBe(base);
      return url;
    } finally {
      await context.close();
    }
  }

  it('local mode: /%09/evil.example, /%0a/… and /%5C… land on the board', async () => {
    for (const to of [
      '/%09/evil.example/x',
      '/%0a/evil.example/x',
      '/%0d%0a/evil.example',
      '/%5C/evil.example',
    ])
      expect((await landing({}, () => `/auth/link?to=${to}`)).pathname, to).toBe('/');
  }, 60_000);

  it('signed mode: a signed target with a tab lands on the board', async () => {
    const url = await landing({ LOUPE_SECRET: SECRET }, () =>
      signLink(SECRET, { path: '/\t/evil.example/x', user: 'U123' }, new Date()),
    );
    expect(url.pathname).toBe('/');
  }, 60_000);
});
