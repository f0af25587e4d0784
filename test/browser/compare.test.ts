import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerApp, listen } from '../../bin/server.ts';
import { type Database, createDb } from '../../db/index.ts';
import { buildDigitsDemo } from '../../src/demo/digits-demo.ts';
import { loadDemo } from '../../src/demo/load.ts';
import { DEMO_SEED, DIGITS_DEMO } from '../../src/demo/settings.ts';
import { ingestClassification } from '../../src/ingest/classification.ts';
import { pipelineHandlers } from '../../src/jobs/pipeline.ts';
import { createJobRunner } from '../../src/jobs/runner.ts';
import { createRandom } from '../../src/random.ts';
import { lookupRun } from '../../src/store/run-lookup.ts';
import { browserDeps, errorWatcher, launchChromium } from './harness.ts';

const ARTIFACTS = 'test/artifacts';

describe('run comparison page in headless Chromium', () => {
  let database: Database;
  let server: { port: number; close: () => Promise<void> };
  let browser: Browser;
  let dir: string;
  let base = '';
  const errors: string[] = [];
  const watch = errorWatcher(errors);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-compare-'));
    database = await createDb();
    const deps = browserDeps(database, { LOUPE_DATA: dir });
    await loadDemo(deps);
    // A second digits run that mistakes half of the 3s for 5s.
    const rand = createRandom(5);
    const rows = buildDigitsDemo({ seed: DEMO_SEED }).rows.map((r) => {
      const probs = [...r.probs];
      if (r.metadata?.trueLabel === 3 || (r.metadata === null && r.label === 3)) {
        if (rand() < 0.5) [probs[3], probs[5]] = [probs[5] * 0.5, probs[3] + probs[5] * 0.5];
      }
      return { ...r, probs };
    });
    const table = join(dir, 'digits-v2.jsonl');
    writeFileSync(table, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    await ingestClassification(deps, { run: 'digits-v2', dataset: DIGITS_DEMO.dataset, table });
    const runner = createJobRunner(deps, { handlers: pipelineHandlers(deps), pollMs: 50 });
    await runner.drain({ runId: (await lookupRun(deps.db, 'digits-v2'))!.id });
    server = await listen(createServerApp(deps), { host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${server.port}`;
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows per-class changes with intervals, the confusion difference and the flipped rows', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
    const page: Page = watch(await context.newPage());
    await page.goto(`${base}/runs/digits-v2/compare`);
    expect(await page.textContent('h1')).toContain(`digits-v2 vs ${DIGITS_DEMO.run}`);
    const three = page.locator('#compare-classes tr[data-class="3"]');
    await expect(three.getAttribute('class')).resolves.toBe('regressed');
    expect(await three.locator('td').last().textContent()).toBe('regressed');
    expect(await page.locator('#compare-classes tr.regressed').count()).toBeGreaterThanOrEqual(1);
    // 3 → 5 moved off the diagonal: the (3, 5) cell grew, the (3, 3) one shrank.
    const cell = (y: number, p: number) =>
      page.locator(`#confusion-diff tbody tr:nth-child(${y + 1}) td:nth-of-type(${p + 1})`);
    expect(await cell(3, 5).textContent()).toMatch(/^\+\d+$/);
    expect(await cell(3, 3).textContent()).toMatch(/^−\d+$/);
    const worse = await page.textContent('#worse');
    expect(Number(/\((\d+)\)/.exec(worse ?? '')?.[1])).toBeGreaterThan(20);
    const firstCard = page.locator('#worse + .gallery .card').first();
    expect(await firstCard.textContent()).toContain('digits-v2 says 5');
    await page.waitForLoadState('networkidle');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/compare.png`, fullPage: false });
    // The tab is on every run page.
    await page.goto(`${base}/runs/digits-v2`);
    expect(await page.locator('nav.tabs a', { hasText: 'Compare' }).getAttribute('href')).toBe(
      '/runs/digits-v2/compare',
    );
    await page.goto(`${base}/runs/${DIGITS_DEMO.run}/compare`);
    expect(await page.textContent('main')).toContain('first run of its dataset');
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
