import { Hono } from 'hono';
import type { Deps } from '../src/deps.ts';
import { renderDigitSvg } from '../src/demo/digit-svg.ts';
import { DIGITS_FILES, type DigitsData, digitPixels, readDigits } from '../src/demo/digits.ts';
import { DEMO_SEED, SHAPES_DEMO } from '../src/demo/settings.ts';
import { generateScene } from '../src/demo/shapes/scene.ts';
import { renderSceneSvg } from '../src/demo/shapes/svg.ts';

const SVG_HEADERS = {
  'Content-Type': 'image/svg+xml',
  // Deterministic images: the same URL always renders the same picture.
  'Cache-Control': 'public, max-age=86400',
  'X-Content-Type-Options': 'nosniff',
  // An SVG opened directly is a document; it needs no scripts, fetches or styles from anywhere.
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
};

/** The id in `<id>.svg`: a canonical non-negative decimal integer, or null. */
function parseId(file: string): number | null {
  const m = /^(0|[1-9][0-9]*)\.svg$/.exec(file);
  return m ? Number(m[1]) : null;
}

/**
 * The demo's images as SVG: `/digits/<rowIndex>.svg` from the bundled digits CSV (read once per
 * app instance, on first use) and `/shapes/<imageId>.svg` re-rendered from the seeded scene
 * generator. Mount under `/media`.
 *
 * @example
 * app.route('/media', createMediaRoutes(deps));
 * await app.request('/media/digits/0.svg'); // 200 image/svg+xml
 */
export function createMediaRoutes(
  _deps: Deps,
  {
    seed = DEMO_SEED,
    shapeImages = SHAPES_DEMO.images,
    digitsCsv = DIGITS_FILES.csv,
  }: { seed?: number; shapeImages?: number; digitsCsv?: string } = {},
): Hono {
  const app = new Hono();
  let digits: DigitsData | null = null;

  app.get('/digits/:file', (c) => {
    const id = parseId(c.req.param('file'));
    if (id === null)
      return c.json(
        { error: 'expected /media/digits/<row index>.svg, the index a non-negative integer' },
        400,
      );
    digits ??= readDigits(digitsCsv);
    if (id >= digits.count) return c.json({ error: `no digit row ${id} (rows 0–${digits.count - 1})` }, 404);
    return c.body(renderDigitSvg(digitPixels(digits, id)), 200, SVG_HEADERS);
  });

  app.get('/shapes/:file', (c) => {
    const id = parseId(c.req.param('file'));
    if (id === null)
      return c.json({ error: 'expected /media/shapes/<image id>.svg, the id a positive integer' }, 400);
    if (id < 1 || id > shapeImages)
      return c.json({ error: `no shapes image ${id} (images 1–${shapeImages})` }, 404);
    return c.body(renderSceneSvg(generateScene(id, { seed })), 200, SVG_HEADERS);
  });

  return app;
}
