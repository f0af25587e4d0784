import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerApp, listen } from '../../bin/server.ts';
import { type Database, createDb } from '../../db/index.ts';
import { ingestClassification, ingestCoco } from '../../src/ingest/index.ts';
import { signLink } from '../../src/links.ts';
import { browserDeps, errorWatcher, launchChromium } from './harness.ts';

const SECRET = 'browser-media-secret';
const ARTIFACTS = 'test/artifacts';
const COCO = '../shared/data/coco-val2014-100';

interface CocoDoc {
  images: { id: number; file_name: string; width: number; height: number }[];
  annotations: { image_id: number; category_id: number; bbox: number[] }[];
}

/** A JPEG standing in for each COCO image: its ground-truth boxes as coloured blocks on a gradient. */
async function writeCocoImages(dir: string, gt: CocoDoc): Promise<void> {
  const boxes = new Map<number, CocoDoc['annotations']>();
  for (const a of gt.annotations) boxes.set(a.image_id, [...(boxes.get(a.image_id) ?? []), a]);
  await Promise.all(
    gt.images.map(async (img) => {
      const rects = (boxes.get(img.id) ?? [])
        .map(
          (a) =>
            `<rect x="${a.bbox[0]}" y="${a.bbox[1]}" width="${a.bbox[2]}" height="${a.bbox[3]}" fill="hsl(${(a.category_id * 47) % 360},60%,55%)" opacity="0.8"/>`,
        )
        .join('');
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${img.width}" height="${img.height}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#dbeafe"/><stop offset="1" stop-color="#475569"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>${rects}</svg>`;
      await sharp(Buffer.from(svg)).jpeg({ quality: 80 }).toFile(join(dir, img.file_name));
    }),
  );
}

/** A classification table of 40 rows over three classes, with one PNG per row id. */
async function writeClassification(dir: string): Promise<string> {
  const names = ['red', 'green', 'blue'];
  const colours = ['#dc2626', '#16a34a', '#2563eb'];
  const lines = ['id,label,p_0,p_1,p_2'];
  for (let i = 0; i < 40; i++) {
    const label = i % 3;
    const pred = i % 7 === 0 ? (label + 1) % 3 : label;
    const p = [0.1, 0.1, 0.1];
    p[pred] = 0.8;
    lines.push(`img${i},${names[label]},${p.join(',')}`);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96"><rect width="96" height="96" fill="#f8fafc"/><circle cx="48" cy="48" r="${20 + (i % 5) * 5}" fill="${colours[label]}"/></svg>`;
    await sharp(Buffer.from(svg))
      .png()
      .toFile(join(dir, `img${i}.png`));
  }
  const table = join(dir, '..', 'table.csv');
  writeFileSync(table, `${lines.join('\n')}\n`);
  writeFileSync(join(dir, '..', 'classes.txt'), `${names.join('\n')}\n`);
  return table;
}

describe('images from folders in headless Chromium', () => {
  let database: Database;
  let server: { port: number; close: () => Promise<void> };
  let browser: Browser;
  let context: BrowserContext;
  let base = '';
  const errors: string[] = [];
  const watch = errorWatcher(errors);
  const work = mkdtempSync(join(tmpdir(), 'loupe-browser-media-'));

  beforeAll(async () => {
    database = await createDb();
    const deps = browserDeps(database, { LOUPE_SECRET: SECRET, LOUPE_DATA: join(work, 'data') });
    const cocoDir = join(work, 'coco');
    const clsDir = join(work, 'cls', 'images');
    mkdirSync(cocoDir, { recursive: true });
    mkdirSync(clsDir, { recursive: true });
    await writeCocoImages(cocoDir, JSON.parse(readFileSync(join(COCO, 'instances.json'), 'utf8')));
    const coco = await ingestCoco(deps, {
      run: 'coco-files',
      gt: join(COCO, 'instances.json'),
      pred: join(COCO, 'results.json'),
      images: cocoDir,
    });
    expect(coco.media).toMatchObject({ images: 100, missing: 0 });
    const table = await writeClassification(clsDir);
    const cls = await ingestClassification(deps, {
      run: 'colours',
      table,
      classNames: join(work, 'cls', 'classes.txt'),
      images: clsDir,
    });
    expect(cls.media).toMatchObject({ images: 40, missing: 0 });
    server = await listen(createServerApp(deps), { host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${server.port}`;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const start = await context.newPage();
    await start.goto(`${base}${signLink(SECRET, { path: '/', user: 'U123' }, new Date())}`);
    await start.close();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Every card image scrolled into view and loaded; returns how many and which failed. */
  async function cardImages(page: Page): Promise<{ count: number; cards: number; broken: string[] }> {
    return page.evaluate(async () => {
      const imgs = Array.from(document.querySelectorAll<HTMLImageElement>('.card img'));
      for (const img of imgs) {
        img.loading = 'eager';
        img.scrollIntoView();
        if (!img.complete)
          await new Promise((done) => {
            img.addEventListener('load', done, { once: true });
            img.addEventListener('error', done, { once: true });
          });
      }
      return {
        count: imgs.length,
        cards: document.querySelectorAll('.card').length,
        broken: imgs.filter((i) => !(i.naturalWidth > 0)).map((i) => i.src),
      };
    });
  }

  it('shows every COCO card image from the folder, boxes over it, no console or CSP errors', async () => {
    const page = watch(await context.newPage());
    const res = await page.goto(`${base}/runs/coco-files/gallery?iou_lt=0.5`);
    expect(res?.status()).toBe(200);
    const { count, cards, broken } = await cardImages(page);
    expect(cards).toBeGreaterThan(0);
    expect(count).toBe(cards);
    expect(broken).toEqual([]);
    expect(await page.locator('.card svg.boxes rect').count()).toBeGreaterThan(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/media-coco-gallery.png` });
    const row = page.locator('.card a.thumb-link').first();
    await row.click();
    await page.waitForLoadState('load');
    const big = await cardImages(page);
    expect(big.broken).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/media-coco-row.png` });
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('shows every classification card image from the folder', async () => {
    const page = watch(await context.newPage());
    const res = await page.goto(`${base}/runs/colours/gallery`);
    expect(res?.status()).toBe(200);
    const { count, cards, broken } = await cardImages(page);
    expect(cards).toBeGreaterThan(0);
    expect(count).toBe(cards);
    expect(broken).toEqual([]);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${ARTIFACTS}/media-classification-gallery.png` });
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('fits a 390-px-wide phone screen on every page of both runs', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await (await phone.newPage()).goto(`${base}${signLink(SECRET, { path: '/', user: 'U123' }, new Date())}`);
    const page = watch(await phone.newPage());
    const overflowing: string[] = [];
    for (const path of [
      '/',
      '/runs/coco-files',
      '/runs/coco-files/gallery',
      '/runs/colours',
      '/runs/colours/gallery',
      '/runs/colours/mislabels',
      '/runs/colours/uncertain',
      '/rows/1?run=coco-files',
      '/rows/101?run=colours',
    ]) {
      const res = await page.goto(`${base}${path}`);
      expect(res?.status(), path).toBe(200);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > 390) overflowing.push(`${path}: ${width}px`);
      if (path === '/runs/coco-files' || path === '/rows/101?run=colours')
        await page.screenshot({
          path: `${ARTIFACTS}/media-390${path.replace(/[/?=]+/g, '-')}.png`,
          fullPage: true,
        });
    }
    expect(overflowing).toEqual([]);
    expect(errors).toEqual([]);
    await phone.close();
  }, 120_000);

  it('shows the 80-class overview of the COCO run', async () => {
    const page = watch(await context.newPage());
    await page.goto(`${base}/runs/coco-files`);
    await page.screenshot({ path: `${ARTIFACTS}/media-coco-overview.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('refuses the images to a browser without a session', async () => {
    const other = await browser.newContext();
    const page = await other.newPage();
    const res = await page.goto(`${base}/media/rows/1/thumb/256`);
    expect(res?.status()).toBe(401);
    await other.close();
  });
});
