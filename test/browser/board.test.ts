import { copyFileSync, mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerApp, listen } from '../../bin/server.ts';
import { type Database, createDb } from '../../db/index.ts';
import type { Deps } from '../../src/deps.ts';
import { loadDemo } from '../../src/demo/load.ts';
import { signLink } from '../../src/links.ts';
import { computeProjection } from '../../src/projection/compute.ts';
import { findRun } from '../../src/store/run-lookup.ts';
import { insertDetectionFixture } from '../web/fixtures.ts';
import { insertSyntheticRun } from '../web/synthetic.ts';
import { browserDeps, errorWatcher, launchChromium } from './harness.ts';

const SECRET = 'browser-test-secret';
const ARTIFACTS = 'test/artifacts';

/**
 * The demo runs, loaded through the real importers. LOUPE_BROWSER_FIXTURE=synthetic swaps in a
 * synthetic digits run (the same images) and a one-image detection run, for working on the
 * board while the importers are broken.
 */
async function seed(deps: Deps): Promise<{ cls: string; det: string; demo: boolean }> {
  if (process.env.LOUPE_BROWSER_FIXTURE !== 'synthetic') {
    await loadDemo(deps);
    // The server computes the map in a background job after ingest; here it is awaited.
    for (const name of ['digits-logreg', 'shapes-detector-v1']) {
      const run = await findRun(deps.db, name);
      if (!run) throw new Error(`the demo has no ${name} run`);
      await computeProjection(deps, run.id);
    }
    return { cls: 'digits-logreg', det: 'shapes-detector-v2', demo: true };
  }
  await insertSyntheticRun(deps.db, { name: 'digits-synthetic', rows: 400 });
  await insertDetectionFixture(deps.db, { name: 'det-fixture', imageUrl: '/media/shapes/1.svg' });
  return { cls: 'digits-synthetic', det: 'det-fixture', demo: false };
}

describe('the board in headless Chromium', () => {
  let database: Database;
  let server: { port: number; close: () => Promise<void> };
  let browser: Browser;
  let context: BrowserContext;
  let base = '';
  let runs: { cls: string; det: string; demo: boolean };
  const errors: string[] = [];

  const watch = errorWatcher(errors);
  const shot = async (page: Page, name: string) => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: false });
    // The README's screenshots are refreshed on request only, so a test run leaves the tree clean.
    if (process.env.LOUPE_UPDATE_DOCS === '1') {
      mkdirSync('docs', { recursive: true });
      copyFileSync(`${ARTIFACTS}/${name}.png`, `docs/${name}.png`);
    }
  };

  beforeAll(async () => {
    database = await createDb();
    const deps = browserDeps(database, { LOUPE_SECRET: SECRET });
    runs = await seed(deps);
    server = await listen(createServerApp(deps), { host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${server.port}`;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Every test starts signed in, as someone who opened a board link from Slack.
    const start = await context.newPage();
    await start.goto(`${base}${signLink(SECRET, { path: '/', user: 'U123' }, new Date())}`);
    await start.close();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.close();
  });

  it('refuses a tampered link with 401 and lets a signed link in', async () => {
    const link = signLink(SECRET, { path: `/runs/${runs.cls}`, user: 'U123' }, new Date());
    const stranger = await browser.newContext();
    const bad = await stranger.newPage();
    const refused = await bad.goto(`${base}${link.replace('u=U123', 'u=U999')}`);
    expect(refused?.status()).toBe(401);
    expect(await bad.textContent('body')).toContain('/loupe board');
    const noCookie = await bad.goto(`${base}/runs/${runs.cls}`);
    expect(noCookie?.status()).toBe(401);
    await stranger.close();

    const fresh = await browser.newContext();
    const page = watch(await fresh.newPage());
    const res = await page.goto(`${base}${link}`);
    expect(res?.status()).toBe(200);
    expect(page.url()).toBe(`${base}/runs/${runs.cls}`);
    expect(await page.textContent('header')).toContain('signed in as U123');
    await fresh.close();
  });

  it('renders the overview charts with no console errors', async () => {
    const page = watch(await context.newPage());
    await page.goto(`${base}/runs/${runs.cls}`);
    await page.waitForSelector('.vega-chart[data-rendered="true"]');
    await page.waitForFunction(
      () => document.querySelectorAll('.vega-chart[data-rendered="true"]').length >= 2,
    );
    expect(await page.locator('.vega-chart canvas').count()).toBeGreaterThanOrEqual(2);
    await shot(page, 'overview');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('filters wrong answers by confidence ascending, batches two rows, approves one and reworks one', async () => {
    const page = watch(await context.newPage());
    await page.goto(`${base}/runs/${runs.cls}/gallery?outcome=all`);
    await page.selectOption('select[name="outcome"]', 'wrong');
    await page.selectOption('select[name="sort"]', 'confidence:asc');
    await Promise.all([page.waitForURL(/gallery\?/), page.click('form.filters button[type="submit"]')]);
    expect(page.url()).toContain('outcome=wrong');
    expect(page.url()).toContain('sort=confidence%3Aasc');
    const confs = (await page.locator('.card dd.conf').allTextContents()).map((t) => Number.parseFloat(t));
    expect(confs.length).toBeGreaterThan(2);
    expect([...confs].sort((a, b) => a - b)).toEqual(confs);
    const labels = await page.locator('.card dd.label').allTextContents();
    const preds = await page.locator('.card dd.pred').allTextContents();
    expect(labels.some((l, i) => l === preds[i])).toBe(false);
    expect(await page.locator('.card dd.iou').count()).toBe(0);

    const picks = page.locator('.card input.pick');
    await picks.nth(0).check();
    await picks.nth(1).click({ modifiers: ['Shift'] });
    await expect.poll(() => page.textContent('.actionbar .count')).toBe('2 selected');
    await page.fill('.actionbar .batch-name', 'browser batch');
    await page.click('button[data-action="batch"]');
    await expect
      .poll(() => page.textContent('.actionbar .status'))
      .toBe('Created batch "browser batch" with 2 rows');

    await picks.nth(1).uncheck();
    await page.click('button[data-action="approve"]');
    await expect.poll(() => page.textContent('.actionbar .status')).toBe('Approved 1 row');
    await picks.nth(0).uncheck();
    await picks.nth(1).check();
    await page.click('button[data-action="rework"]');
    await expect.poll(() => page.textContent('.actionbar .status')).toBe('Sent to rework 1 row');
    expect(await page.locator('.card .decision').allTextContents()).toEqual([
      'approved by you',
      'sent to rework by you',
    ]);
    await shot(page, 'gallery');

    await page.goto(`${base}/batches/browser%20batch`);
    expect(await page.locator('.card').count()).toBe(2);
    await page.goto(`${base}/rework`);
    expect(await page.locator('.card').count()).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('runs the same filter on the detection run, with boxes drawn', async () => {
    const page = watch(await context.newPage());
    await page.goto(`${base}/runs/${runs.det}/gallery?iou_lt=0.5&sort=confidence:desc`);
    expect(await page.locator('.card').count()).toBeGreaterThan(0);
    expect(await page.locator('.card svg rect.box-gt, .card svg rect.box-pred').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws the detection demo on the projector, one point per image', async () => {
    // The synthetic detection fixture has no embeddings, so only the demo has a detection map.
    if (!runs.demo) return;
    const page = watch(await context.newPage());
    await page.goto(`${base}/runs/shapes-detector-v1/projector`);
    await page.waitForSelector('.projector[data-rendered="true"]', { timeout: 30_000 });
    expect(await page.getAttribute('.projector', 'data-points')).toBe('120');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('opens the projector and reaches a row page by clicking a point', async () => {
    const page = watch(await context.newPage());
    await page.goto(`${base}/runs/${runs.cls}/projector`);
    await page.waitForSelector('.projector[data-rendered="true"]', { timeout: 30_000 });
    await shot(page, 'projector');
    const target = await page.evaluate(() => {
      const w = window as unknown as {
        loupeProjector: {
          view: {
            origin(): [number, number];
            padding(): { left: number; top: number };
            scale(n: string): (v: number) => number;
            container(): HTMLElement;
          };
          points: { x: number; y: number; rowId: number }[];
        };
      };
      const { view, points } = w.loupeProjector;
      const p = points[Math.floor(points.length / 2)];
      // Canvas position = origin + padding + scale(value): where vega's own picking looks.
      const [ox, oy] = view.origin();
      const pad = view.padding();
      const rect = view.container().querySelector('canvas')!.getBoundingClientRect();
      return {
        x: rect.left + ox + pad.left + view.scale('x')(p.x),
        y: rect.top + oy + pad.top + view.scale('y')(p.y),
        rowId: p.rowId,
      };
    });
    await Promise.all([page.waitForURL(/\/rows\/\d+/), page.mouse.click(target.x, target.y)]);
    expect(page.url()).toMatch(/\/rows\/\d+\?run=/);
    await page.waitForSelector('h1');
    expect(await page.textContent('h1')).toContain('Row');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('keeps the highlight when Enter is pressed, and draws the map across the column', async () => {
    const page = watch(await context.newPage());
    await page.goto(`${base}/runs/${runs.cls}/projector`);
    await page.waitForSelector('.projector[data-rendered="true"]', { timeout: 30_000 });
    const url = page.url();
    const cls = await page.getAttribute('#projector-categories option', 'value');
    await page.fill('input.highlight', cls!);
    await page.press('input.highlight', 'Enter');
    await page.waitForTimeout(300);
    expect(page.url()).toBe(url);
    const highlight = () =>
      page.evaluate(() =>
        (
          window as unknown as { loupeProjector: { view: { signal(n: string): unknown } } }
        ).loupeProjector.view.signal('highlight'),
      );
    expect(await highlight()).toBe(cls);
    const host = (await page.locator('.projector').boundingBox())!;
    const canvas = (await page.locator('.projector canvas').boundingBox())!;
    expect(canvas.width / host.width).toBeGreaterThan(0.9);
    await shot(page, 'projector-highlight');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('brush-selects projector points into the action bar', async () => {
    const page = watch(await context.newPage());
    await page.goto(`${base}/runs/${runs.cls}/projector?color=correct`);
    await page.waitForSelector('.projector[data-rendered="true"]', { timeout: 30_000 });
    const box = (await page.locator('.projector canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.8, { steps: 5 });
    await page.mouse.up();
    await expect
      .poll(async () => Number.parseInt((await page.textContent('.actionbar .count')) ?? '0', 10))
      .toBeGreaterThan(0);
    expect(await page.locator('button[data-action="batch"]').isDisabled()).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('keeps the projector working with 100k points over 200 classes (searchable legend)', async () => {
    await insertSyntheticRun(database.db, { name: 'wide-100k', rows: 100_000, classes: 200, details: false });
    const page = watch(await context.newPage());
    await page.goto(`${base}/runs/wide-100k/projector`);
    await page.waitForSelector('.projector[data-rendered="true"]', { timeout: 180_000 });
    const host = page.locator('.projector');
    expect(await host.getAttribute('data-points')).toBe('100000');
    console.info(
      `projector: 100k points drawn in ${await host.getAttribute('data-render-ms')} ms (embed call)`,
    );
    expect(await page.locator('.projector .role-legend').count()).toBe(0);
    await page.fill('input.highlight', 'class-17');
    await expect
      .poll(() =>
        page.evaluate(() =>
          (
            window as unknown as { loupeProjector: { view: { signal(n: string): string } } }
          ).loupeProjector.view.signal('highlight'),
        ),
      )
      .toBe('class-17');
    expect(errors).toEqual([]);
    await page.close();
  }, 400_000);
});
