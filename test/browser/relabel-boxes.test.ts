import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { asc, eq, inArray } from 'drizzle-orm';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServerApp, listen } from '../../bin/server.ts';
import type { Database } from '../../db/index.ts';
import { annotations, predictions, reviews } from '../../db/schema.ts';
import { processIo, serverCliContext } from '../../src/cli/context.ts';
import { registerExportLabels } from '../../src/cli/export-labels.ts';
import { writeDemoFiles } from '../../src/demo/files.ts';
import { writeDemoImages } from '../../src/demo/images.ts';
import { DEMO_SEED, SHAPES_DEMO } from '../../src/demo/settings.ts';
import type { Deps } from '../../src/deps.ts';
import { ingestCoco } from '../../src/ingest/index.ts';
import { describeEachDriver } from '../helpers/db.ts';
import { browserDeps, errorWatcher, launchChromium } from './harness.ts';

const ARTIFACTS = 'test/artifacts';
const RUN = SHAPES_DEMO.runs.v2;

type CocoFile = {
  annotations: { id: number; image_id: number; category_id: number; bbox: number[] }[];
  categories: { id: number; name: string }[];
};

let database: Database;
let deps: Deps;
let server: { port: number; close: () => Promise<void> };
let browser: Browser;
let base = '';
let ingested: CocoFile;
const errors: string[] = [];
const watch = errorWatcher(errors);
const shot = async (page: Page, name: string) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: false });
};

describeEachDriver('box corrections on the board in headless Chromium', (ctx) => {
  beforeAll(async () => {
    database = ctx().database;
    const dir = mkdtempSync(join(tmpdir(), 'loupe-relabel-boxes-'));
    // Local single-user mode (no LOUPE_SECRET, loopback): the person at the machine corrects.
    deps = browserDeps(database, { LOUPE_DATA: dir });
    const files = writeDemoFiles(join(dir, 'files'), { seed: DEMO_SEED });
    const images = await writeDemoImages(join(dir, 'demo-images'), {
      seed: DEMO_SEED,
      shapes: SHAPES_DEMO.images,
    });
    ingested = JSON.parse(readFileSync(files.shapes.gt, 'utf8'));
    for (const [run, pred] of [
      [SHAPES_DEMO.runs.v1, files.shapes.v1],
      [SHAPES_DEMO.runs.v2, files.shapes.v2],
    ])
      await ingestCoco(deps, {
        run,
        dataset: SHAPES_DEMO.dataset,
        gt: files.shapes.gt,
        pred,
        embeddings: files.shapes.embeddings,
        images: images.shapes,
      });
    server = await listen(createServerApp(deps), { host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${server.port}`;
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** `loupe export labels --dataset shapes --format coco --out FILE`, in this process, on this database. */
  async function exportCoco(): Promise<CocoFile> {
    const out = join(mkdtempSync(join(tmpdir(), 'loupe-export-')), 'labels.json');
    const program = new Command('loupe').exitOverride();
    registerExportLabels(program, serverCliContext(deps, processIo()));
    await program.parseAsync([
      'node',
      'loupe',
      'export',
      'labels',
      '--dataset',
      'shapes',
      '--format',
      'coco',
      '--out',
      out,
    ]);
    return JSON.parse(readFileSync(out, 'utf8'));
  }

  const annKeyOf = async (annId: number) =>
    (
      await database.db.select({ key: annotations.annKey }).from(annotations).where(eq(annotations.id, annId))
    )[0]?.key;

  /** Wait until a card's status line has changed to something other than `before`. */
  async function statusAfter(card: Locator, before: string | null = null): Promise<string> {
    const status = card.locator('.relabel-status');
    await card
      .page()
      .waitForFunction(
        ([el, was]) => !!el?.textContent && el.textContent !== was && !el.textContent.endsWith('…'),
        [await status.elementHandle(), before] as const,
      );
    return (await status.textContent()) ?? '';
  }

  it('changes a box class, deletes a spurious box and accepts a missed one from the mislabel cards and the row page; each is an undoable decision with history, and the COCO export follows', async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    const page = watch(await context.newPage());
    await page.goto(`${base}/runs/${RUN}/mislabels`);
    const boxCards = page.locator('article.card:has(.relabel[data-ann])');
    const missedCards = page.locator('article.card:has(.relabel[data-pred])');
    expect(await boxCards.count()).toBeGreaterThanOrEqual(2);
    expect(await missedCards.count()).toBeGreaterThanOrEqual(1);
    // Three cards on three different images.
    const used = new Set<string>();
    const pick = async (cards: Locator) => {
      for (let i = 0; i < (await cards.count()); i++) {
        const row = (await cards.nth(i).getAttribute('data-row')) ?? '';
        if (!used.has(row)) {
          used.add(row);
          return { card: cards.nth(i), row: Number(row) };
        }
      }
      throw new Error('not enough flagged images');
    };
    const changed = await pick(boxCards);
    const deleted = await pick(boxCards);
    const added = await pick(missedCards);
    const changedAnn = Number(await changed.card.locator('.relabel').getAttribute('data-ann'));
    const deletedAnn = Number(await deleted.card.locator('.relabel').getAttribute('data-ann'));
    const addedPred = Number(await added.card.locator('.relabel').getAttribute('data-pred'));
    const changedKey = await annKeyOf(changedAnn);
    const deletedKey = await annKeyOf(deletedAnn);

    // 1. Change a box's class to the suggested one (or the first other class from the picker).
    const suggestedButton = changed.card.locator('.relabel button[data-op="box-class"]');
    let newClass: string;
    if (await suggestedButton.count()) {
      newClass = (await suggestedButton.getAttribute('data-label')) ?? '';
      expect(await suggestedButton.textContent()).toBe(`Change box to ${newClass}`);
      await suggestedButton.click();
    } else {
      const options = await changed.card.locator('select.relabel-pick option').allTextContents();
      newClass = options[1];
      await changed.card.locator('select.relabel-pick').selectOption(newClass);
    }
    expect(await statusAfter(changed.card)).toBe(`Box ${changedKey} changed to ${newClass} (labels v2) Undo`);

    // 2. Delete a spurious box.
    await deleted.card.locator('.relabel button[data-op="box-delete"]').click();
    expect(await statusAfter(deleted.card)).toBe(`Box ${deletedKey} deleted (labels v3) Undo`);

    // 3. Accept a missed prediction as a new box.
    const addButton = added.card.locator('.relabel button[data-op="box-add"]');
    const addedClass = (await addButton.getAttribute('data-label')) ?? '';
    expect(await addButton.textContent()).toBe(
      addedClass ? `Add missed box as ${addedClass}` : 'Add missed box',
    );
    await addButton.click();
    const addedStatus = await statusAfter(added.card);
    const addedKey = /^Box (\d+) added as (.+) \(labels v4\) Undo$/.exec(addedStatus)?.[1];
    expect(addedKey, addedStatus).toBeDefined();
    await changed.card.scrollIntoViewIfNeeded();
    await shot(page, 'relabel-boxes-cards');

    // Undo the accepted box from its card: the box is gone again.
    const before = await statusAfter(added.card);
    await added.card.locator('.relabel-status button.undo').click();
    expect(await statusAfter(added.card, before)).toBe(`Undone: Box ${addedKey} deleted (labels v5)`);

    // The row page of that image: its history (added, then undone), and the box accepted again from
    // the row's own controls.
    await page.goto(`${base}/rows/${added.row}?run=${RUN}`);
    const history = page.locator('.label-history');
    const items = history.locator('li');
    expect(await items.count()).toBe(2);
    expect(await items.nth(0).textContent()).toMatch(
      new RegExp(
        `^relabeled \\(labels v4\\) by local via board on \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d: box ${addedKey} added as \\S+ \\(undone\\)$`,
      ),
    );
    expect(await items.nth(1).textContent()).toMatch(/^undone \(labels v5\) by local via board on /);
    const rowControl = page.locator(`.row-relabel .relabel[data-pred="${addedPred}"]`);
    await rowControl.locator('button[data-op="box-add"]').click();
    // A fresh COCO annotation id: the undone one stays retired, as an exported file may hold it.
    const again = await statusAfter(rowControl);
    const finalKey = /^Box (\d+) added as (\S+) \(labels v6\) Undo$/.exec(again)?.[1];
    expect(Number(finalKey), again).toBeGreaterThan(Number(addedKey));
    await page.reload();
    expect(await history.locator('li').count()).toBe(3);
    expect(await history.locator('button.undo').count()).toBe(1);
    await history.scrollIntoViewIfNeeded();
    await shot(page, 'relabel-boxes-row-history');

    // Each correction is a decision with actor and time, tied to its label version.
    const decisions = await database.db
      .select()
      .from(reviews)
      .where(inArray(reviews.rowId, [changed.row, deleted.row, added.row]))
      .orderBy(asc(reviews.id));
    expect(decisions.map((d) => [d.rowId, d.decision, d.actor, d.source])).toEqual([
      [changed.row, 'relabel', 'local', 'board'],
      [deleted.row, 'relabel', 'local', 'board'],
      [added.row, 'relabel', 'local', 'board'],
      [added.row, expect.any(String), 'local', 'board'],
      [added.row, 'relabel', 'local', 'board'],
    ]);
    for (const d of decisions) {
      expect(d.createdAt).toBeInstanceOf(Date);
      expect(d.labelVersionId).not.toBeNull();
    }

    // The overview: labels v6, the retrain effect of v2 over v1 on the three changed images (COCOeval),
    // and the labels download.
    await page.goto(`${base}/runs/${RUN}`);
    const panel = page.locator('.labels-panel');
    expect(await panel.textContent()).toContain('Labels v6');
    expect((await panel.locator('.retrain-effect').textContent())?.replace(/\s+/g, ' ')).toMatch(
      new RegExp(
        `labels of 3 rows changed since ${SHAPES_DEMO.runs.v1} \\(v1 → v6\\); COCOeval on those rows: ${SHAPES_DEMO.runs.v1} AP \\d\\.\\d{3} · AP50 \\d\\.\\d{3} → this run AP \\d\\.\\d{3} · AP50 \\d\\.\\d{3} \\(the 3 changed images, \\d+ boxes\\)`,
      ),
    );
    await panel.scrollIntoViewIfNeeded();
    await shot(page, 'relabel-boxes-overview');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel.locator('button[type="submit"]', { hasText: 'Download labels' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('shapes-labels-v6.json');
    const path = join(tmpdir(), `boxes-${Date.now()}.json`);
    await download.saveAs(path);
    const board: CocoFile = JSON.parse(readFileSync(path, 'utf8'));

    // `loupe export labels --format coco` writes the same file: the input with the three changes.
    const cli = await exportCoco();
    expect(cli).toEqual(board);
    const catId = (name: string) => cli.categories.find((c) => c.name === name)?.id;
    const byId = new Map(cli.annotations.map((a) => [a.id, a]));
    expect(byId.get(Number(changedKey))?.category_id).toBe(catId(newClass));
    expect(byId.has(Number(deletedKey))).toBe(false);
    const [pred] = await database.db.select().from(predictions).where(eq(predictions.id, addedPred));
    expect(byId.has(Number(addedKey))).toBe(false);
    expect(byId.get(Number(finalKey))).toMatchObject({
      category_id: catId(addedClass || (cli.categories[pred.label]?.name ?? '')),
      bbox: [pred.x, pred.y, pred.w, pred.h],
    });
    const untouched = ingested.annotations.filter(
      (a) => a.id !== Number(changedKey) && a.id !== Number(deletedKey),
    );
    for (const a of untouched)
      expect(byId.get(a.id)).toMatchObject({
        image_id: a.image_id,
        category_id: a.category_id,
        bbox: a.bbox,
      });
    expect(cli.annotations.length).toBe(ingested.annotations.length);
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);
});
