import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { digestChartSpec } from '../../src/charts/digest.ts';
import { chartFontFiles } from '../../src/charts/font.ts';
import { renderVegaLitePng } from '../../src/digest/chart.ts';

/** Dark pixels (text, axes, bars) in a band of rows of the PNG. */
async function inkIn(png: Buffer, fromRow: number, toRow: number): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let ink = 0;
  for (let y = fromRow; y < Math.min(toRow, info.height); y++)
    for (let x = 0; x < info.width; x++) {
      const i = (y * info.width + x) * info.channels;
      if (data[i] + data[i + 1] + data[i + 2] < 3 * 128) ink++;
    }
  return ink;
}

describe('digest chart text', () => {
  const spec = digestChartSpec({
    run: 'v2',
    previous: 'v1',
    metric: 'f1',
    classes: [
      { name: 'cat', metric: 'f1', now: 0.7, before: 0.9, delta: -0.2 },
      { name: 'dog', metric: 'f1', now: 0.5, before: 0.6, delta: -0.1 },
    ],
  });

  it('draws its title with the font shipped in the package, system fonts never loaded', async () => {
    const files = chartFontFiles();
    expect(files.map((f) => f.split(/[\\/]/).pop())).toEqual(['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf']);
    const withFont = await renderVegaLitePng(spec);
    // The renderer loads no system font: with no font files given, no text can appear at all.
    const noFont = await renderVegaLitePng(spec, { fontFiles: [] });
    // The title sits above the plot: the top 30 rows (scale 2) hold text and nothing else.
    const titleInk = await inkIn(withFont, 0, 30);
    expect(titleInk).toBeGreaterThan(200);
    expect(await inkIn(noFont, 0, 30)).toBe(0);
    // Same spec, same size: only the text differs.
    const a = await sharp(withFont).metadata();
    const b = await sharp(noFont).metadata();
    expect(a.height).toBeGreaterThan(100);
    expect(a.height).toBe(b.height);
  });
});
