import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { DIGIT_SIDE, DIGITS_FILES, digitPixels, readDigits } from './digits.ts';
import { generateScene } from './shapes/scene.ts';
import { renderSceneSvg } from './shapes/svg.ts';

/** Pixels per digit pixel in the written PNGs (8 × 16 = 128 px, as the SVGs drew them). */
const DIGIT_SCALE = 16;

export interface DemoImageFolders {
  /** `<row index>.png` per digit row. */
  digits: string;
  /** `<image id>.png` per shapes scene. */
  shapes: string;
}

/** Write under a temporary name, then rename: two processes starting at once never see half a file. */
function writeWhole(path: string, data: Buffer | string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** `work(0..n-1)`, a few at a time: sharp encodes on libuv's thread pool, so they overlap. */
async function inBatches(n: number, work: (i: number) => Promise<void>, width = 8): Promise<void> {
  for (let start = 0; start < n; start += width)
    await Promise.all(Array.from({ length: Math.min(width, n - start) }, (_, j) => work(start + j)));
}

/** A 0–16 ink level as an 8-bit grey: 0 is white paper, 16 black ink. */
const grey = (level: number) => Math.round((255 * (16 - level)) / 16);

/**
 * The demo's images as the files a team would hold, written once (at first start) under `dir`:
 * digits from the bundled pixels, shapes rasterised from the seeded scenes. A marker file names
 * the seed and counts, so a partly written folder (or another seed) is written again.
 *
 * @example
 * const folders = await writeDemoImages(join(config.LOUPE_DATA, 'demo-images'), { seed: DEMO_SEED, shapes: 120 });
 */
export async function writeDemoImages(
  dir: string,
  { seed, shapes, digitsCsv = DIGITS_FILES.csv }: { seed: number; shapes: number; digitsCsv?: string },
): Promise<DemoImageFolders> {
  const folders = { digits: join(dir, 'digits'), shapes: join(dir, 'shapes') };
  const data = readDigits(digitsCsv);
  const marker = join(dir, 'complete.json');
  const want = JSON.stringify({ seed, digits: data.count, shapes, format: 1 });
  if (existsSync(marker) && readFileSync(marker, 'utf8') === want) return folders;
  mkdirSync(folders.digits, { recursive: true });
  mkdirSync(folders.shapes, { recursive: true });
  const side = DIGIT_SIDE * DIGIT_SCALE;
  await inBatches(data.count, async (i) => {
    const raw = Buffer.from(Array.from(digitPixels(data, i), grey));
    const png = await sharp(raw, { raw: { width: DIGIT_SIDE, height: DIGIT_SIDE, channels: 1 } })
      .resize(side, side, { kernel: 'nearest' })
      .png({ compressionLevel: 3 })
      .toBuffer();
    writeWhole(join(folders.digits, `${i}.png`), png);
  });
  await inBatches(shapes, async (i) => {
    const svg = Buffer.from(renderSceneSvg(generateScene(i + 1, { seed })));
    writeWhole(join(folders.shapes, `${i + 1}.png`), await sharp(svg).png().toBuffer());
  });
  writeWhole(marker, want);
  return folders;
}
