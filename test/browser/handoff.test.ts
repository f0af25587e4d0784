import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerApp, listen } from '../../bin/server.ts';
import { type Database, createDb } from '../../db/index.ts';
import { annotations, dataRows } from '../../db/schema.ts';
import { analyzeRun } from '../../src/analyze/run.ts';
import { signLink } from '../../src/links.ts';
import { createBatch } from '../../src/store/batches.ts';
import { currentLabelVersion } from '../../src/store/label-version-reads.ts';
import { insertClassificationRun } from '../helpers/fixtures.ts';
import { browserDeps, errorWatcher, launchChromium } from './harness.ts';

const SECRET = 'browser-handoff-secret';
const ARTIFACTS = 'test/artifacts';

describe('relabel → export → import on the board, in headless Chromium', () => {
  let database: Database;
  let server: { port: number; close: () => Promise<void> };
  let browser: Browser;
  let page: Page;
  let base = '';
  let rowIds: number[];
  const errors: string[] = [];
  const shot = async (name: string) => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
  };

  beforeAll(async () => {
    database = await createDb();
    const deps = browserDeps(database, { LOUPE_SECRET: SECRET, LOUPE_PUBLIC_URL: 'https://loupe.example' });
    // Rows 9 and 10 carry labels the model contradicts with confidence: suspected mislabels.
    const labels = [0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 1, 2, null, null];
    const probs = labels.map((l, i) => {
      if (l === null) return [0.4, 0.35, 0.25];
      const p = [0.05, 0.05, 0.05];
      p[i === 9 ? 1 : i === 10 ? 2 : l] = 0.9;
      return p;
    });
    const run = await insertClassificationRun(deps.db, {
      name: 'pets',
      classNames: ['cat', 'dog', 'bird'],
      labels,
      probs,
    });
    rowIds = run.rowIds;
    for (const [i, id] of rowIds.entries())
      await deps.db
        .update(dataRows)
        .set({ imageUrl: `/media/digits/${i}.svg`, width: 28, height: 28 })
        .where(eq(dataRows.id, id));
    await analyzeRun(deps, run.runId);
    await createBatch(deps.db, {
      name: 'fix-week-49',
      runId: run.runId,
      rowIds: [rowIds[9], rowIds[10], rowIds[12]],
      createdBy: 'U123',
    });
    server = await listen(createServerApp(deps), { host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${server.port}`;
    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    page = errorWatcher(errors)(await context.newPage());
    await page.goto(`${base}${signLink(SECRET, { path: '/runs/pets/mislabels', user: 'U123' }, new Date())}`);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.close();
  });

  it('relabels a suspected mislabel from its card', async () => {
    const control = page.locator(`.relabel[data-row="${rowIds[9]}"]`);
    await control.locator('button[data-op="relabel"]').click();
    await page.locator('.relabel-status.ok').first().waitFor();
    expect(await page.locator(`.card[data-row="${rowIds[9]}"] dd.label`).textContent()).toBe('dog');
    await shot('handoff-1-relabel');
    expect(await currentLabelVersion(database.db, 'pets')).toBe(2);
  });

  it("shows the batch's progress and row states, and downloads its Label Studio tasks", async () => {
    await page.goto(`${base}/batches/fix-week-49`);
    expect(await page.locator('.batch-work').textContent()).toContain('1/3 done (in progress)');
    expect(await page.locator(`.card[data-row="${rowIds[9]}"] .reason`).textContent()).toBe(
      'new label since the batch was made',
    );
    await shot('handoff-2-batch');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('a', { hasText: 'Label Studio tasks' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('fix-week-49.labelstudio.json');
    const path = join(tmpdir(), `ls-${Date.now()}.json`);
    await download.saveAs(path);
    const tasks = JSON.parse(readFileSync(path, 'utf8'));
    expect(tasks.map((t: { data: { loupe_id: string } }) => t.data.loupe_id)).toEqual(['9', '10', '12']);
    expect(tasks[0].data.image).toMatch(/^https:\/\/loupe\.example\/media\/digits\/9\.svg\?exp=\d+&sig=/);
    expect(tasks[1].predictions[0].result[0].value.choices).toEqual(['bird']);

    // Label Studio's export after labeling: 10 is a bird, 12 a cat, 9 confirmed as a dog.
    const answers: Record<string, string> = { '9': 'dog', '10': 'bird', '12': 'cat' };
    const exported = tasks.map((t: { data: { loupe_id: string } }, i: number) => ({
      id: 41 + i,
      ...t,
      annotations: [
        {
          id: 90 + i,
          completed_by: 1,
          result: [
            {
              id: `r${i}`,
              type: 'choices',
              value: { choices: [answers[t.data.loupe_id]] },
              origin: 'manual',
              to_name: 'image',
              from_name: 'label',
            },
          ],
          was_cancelled: false,
          ground_truth: false,
          created_at: '2026-12-02T09:00:00.000000Z',
          updated_at: '2026-12-02T09:00:00.000000Z',
          lead_time: 3.1,
          task: 41 + i,
          project: 7,
        },
      ],
      project: 7,
    }));
    writeFileSync(join(tmpdir(), 'project-7-export.json'), JSON.stringify(exported));
  });

  it("imports the tool's export from the batch page: a new label version, a preview, and the batch done", async () => {
    await page.locator('form.import select[name="tool"]').selectOption('labelstudio');
    await page
      .locator('form.import input[type="file"]')
      .setInputFiles(join(tmpdir(), 'project-7-export.json'));
    await page.locator('form.import button[type="submit"]').click();
    await page.locator('.import-summary').waitFor();
    const summary = await page.locator('.import-summary').textContent();
    expect(summary).toContain('Label version 3: 2 rows changed');
    expect(summary).toContain('1 relabeled, 1 newly labeled');
    expect(await page.locator('.import-preview tbody tr').allTextContents()).toEqual([
      '10dogbird',
      '12unlabeledcat',
    ]);
    await shot('handoff-3-import');
    await page.locator('a', { hasText: 'Back to batch' }).click();
    expect(await page.locator('.batch-work').textContent()).toContain('3/3 done (done)');
    await shot('handoff-4-done');
    const labels = await database.db.select().from(annotations).where(eq(annotations.rowId, rowIds[12]));
    expect(labels.map((l) => l.label)).toEqual([0]);
    expect(errors).toEqual([]);
  });
});
