import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerApp, listen } from '../../bin/server.ts';
import { createSlackHandler } from '../../bot/index.ts';
import { type Database, createDb } from '../../db/index.ts';
import { loadDemo } from '../../src/demo/load.ts';
import { listRework } from '../../src/store/reviews.ts';
import { browserDeps, errorWatcher, launchChromium } from './harness.ts';

describe('the Slack playground in headless Chromium', () => {
  let database: Database;
  let server: { port: number; close: () => Promise<void> };
  let browser: Browser;
  let context: BrowserContext;
  let base = '';
  const errors: string[] = [];
  const watch = errorWatcher(errors);

  beforeAll(async () => {
    database = await createDb();
    // No LOUPE_SECRET and a loopback host: local single-user mode, no link needed.
    const deps = browserDeps(database);
    await loadDemo(deps);
    // No Slack credentials in the config: the bot is off, the playground still runs its listeners.
    const slack = createSlackHandler(deps);
    expect(slack.mode).toBe('off');
    server = await listen(createServerApp(deps, { slack }), { host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${server.port}`;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.close();
  });

  it('answers `mislabels`, sends the first item to rework, and the row reaches the rework queue', async () => {
    expect((await listRework(database.db)).total).toBe(0);
    const page = watch(await context.newPage());
    const res = await page.goto(`${base}/playground`);
    expect(res?.status()).toBe(200);

    // The newest run is the detection demo (shapes-detector-v2); the classifier is named.
    await page.fill('#pg-input', 'mislabels digits-logreg');
    await page.click('#pg-form button[type="submit"]');
    const answer = page.locator('article.pg-message', {
      has: page.locator('button[data-action-id="review:rework"]'),
    });
    await answer.first().waitFor({ timeout: 60_000 });
    expect(await answer.count()).toBe(1);
    expect(await answer.locator('.pg-header').textContent()).toBe('Suspected label mistakes');
    expect(await answer.textContent()).toContain('mislabels in digits-logreg');

    const reworkButtons = answer.locator('button[data-action-id="review:rework"]');
    const before = await reworkButtons.count();
    expect(before).toBeGreaterThan(1);
    const first = reworkButtons.first();
    const messageId = (await first.getAttribute('data-message-id')) ?? '';
    const blockId = (await first.getAttribute('data-block-id')) ?? '';
    expect(blockId).toMatch(/^act:\d+$/);
    const rowId = Number(blockId.slice('act:'.length));
    // The item's section (block item:<rowId>) links its external id; the first link is the first item.
    const externalId = (await answer.locator('.pg-section a').first().textContent()) ?? '';
    expect(externalId).not.toBe('');

    await first.click();
    const message = page.locator(`article[data-message-id="${messageId}"]`);
    await expect
      .poll(() => message.textContent(), { timeout: 30_000 })
      .toContain('↩️ Sent to rework by local');
    // Same message, updated in place: one button row fewer, the others untouched.
    expect(await page.locator(`article[data-message-id="${messageId}"]`).count()).toBe(1);
    expect(await message.locator('button[data-action-id="review:rework"]').count()).toBe(before - 1);
    expect(await message.locator(`button[data-block-id="${blockId}"]`).count()).toBe(0);
    expect(await page.textContent('#pg-status')).toBe('');

    const queue = await listRework(database.db);
    expect(queue.total).toBe(1);
    expect(queue.items[0]).toMatchObject({ rowId, id: externalId, actor: 'local' });

    await page.goto(`${base}/rework`);
    const card = page.locator(`.card[data-row="${rowId}"]`);
    expect(await page.locator('.card').count()).toBe(1);
    expect(await card.getAttribute('data-id')).toBe(externalId);
    expect(await card.textContent()).toContain(`#${externalId}`);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
