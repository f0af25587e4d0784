import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServerApp, listen } from '../../bin/server.ts';
import { type Database, createDb } from '../../db/index.ts';
import { writeDemoFiles } from '../../src/demo/files.ts';
import { writeDemoImages } from '../../src/demo/images.ts';
import { DEMO_SEED, DIGITS_DEMO } from '../../src/demo/settings.ts';
import { ingestClassification } from '../../src/ingest/index.ts';
import { parseNpyHeader } from '../../src/ingest/npy.ts';
import { browserDeps, errorWatcher, launchChromium } from './harness.ts';

const ARTIFACTS = 'test/artifacts';

let database: Database;
let server: { port: number; close: () => Promise<void> };
let browser: Browser;
let base = '';
const errors: string[] = [];
const watch = errorWatcher(errors);
const shot = async (page: Page, name: string) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: false });
};

beforeAll(async () => {
  database = await createDb();
  const dir = mkdtempSync(join(tmpdir(), 'loupe-relabel-'));
  // Local single-user mode (no LOUPE_SECRET, loopback): the person at the machine reviews.
  const deps = browserDeps(database, { LOUPE_DATA: dir });
  const files = writeDemoFiles(join(dir, 'files'), { seed: DEMO_SEED });
  const images = await writeDemoImages(join(dir, 'demo-images'), { seed: DEMO_SEED, shapes: 1 });
  await ingestClassification(deps, {
    run: DIGITS_DEMO.run,
    dataset: DIGITS_DEMO.dataset,
    table: files.digits.table,
    classNames: files.digits.classNames,
    embeddings: files.digits.embeddings,
    images: images.digits,
  });
  server = await listen(createServerApp(deps), { host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${server.port}`;
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await database?.close();
});

it('relabels from mislabel cards (suggested and picked class), undoes, shows the history and downloads the labels', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = watch(await context.newPage());
  await page.goto(`${base}/runs/${DIGITS_DEMO.run}/mislabels`);
  const cards = page.locator('article.card:has(.relabel)');
  expect(await cards.count()).toBeGreaterThanOrEqual(2);

  // The suggested class, one click.
  const first = cards.nth(0);
  const suggestedButton = first.locator('.relabel button[data-op="relabel"]');
  const suggested = await suggestedButton.getAttribute('data-label');
  await suggestedButton.click();
  await first.locator('.relabel-status.ok').waitFor();
  expect(await first.locator('.relabel-status').textContent()).toContain(
    `Relabeled as ${suggested} (labels v2)`,
  );
  expect(await first.locator('dd.label').textContent()).toBe(suggested);

  // Another class from the picker.
  const second = cards.nth(1);
  const secondRow = await second.getAttribute('data-row');
  const current = await second.locator('dd.label').textContent();
  const other =
    ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'].find((c) => c !== current && c !== suggested) ?? '0';
  await second.locator('select.relabel-pick').selectOption(other);
  await second.locator('.relabel-status.ok').waitFor();
  expect(await second.locator('.relabel-status').textContent()).toContain(
    `Relabeled as ${other} (labels v3)`,
  );
  await shot(page, 'relabel-cards');

  // Undo the first.
  await first.locator('.relabel-status button.undo').click();
  await page.waitForFunction(
    (el) => el?.textContent?.startsWith('Undone:'),
    await first.locator('.relabel-status').elementHandle(),
  );
  expect(await first.locator('.relabel-status').textContent()).toContain('(labels v4)');

  // The row page: its label history, with Undo on the correction in force.
  await page.goto(`${base}/rows/${secondRow}?run=${DIGITS_DEMO.run}`);
  const history = page.locator('.label-history');
  expect(await history.textContent()).toContain(`label ${current} → ${other}`);
  expect(await history.locator('button.undo').count()).toBe(1);
  await history.scrollIntoViewIfNeeded();
  await shot(page, 'relabel-row-history');

  // The overview: labels v4, the run evaluated against v1, and the labels download.
  await page.goto(`${base}/runs/${DIGITS_DEMO.run}`);
  const panel = page.locator('.labels-panel');
  expect(await panel.textContent()).toContain('this run is evaluated against v1');
  await panel.scrollIntoViewIfNeeded();
  await shot(page, 'relabel-overview-labels');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    panel.locator('button[type="submit"]', { hasText: 'Download labels' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('digits-labels-v4.npy');
  const path = join(tmpdir(), `labels-${Date.now()}.npy`);
  await download.saveAs(path);
  const body = readFileSync(path);
  expect(parseNpyHeader(body, 'labels.npy').shape).toEqual([1797]);
  expect(errors).toEqual([]);
  await context.close();
}, 120_000);
