import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { renderDigitSvg } from '../src/demo/digit-svg.ts';
import { DIGITS_FILES, type DigitsData, digitPixels, readDigits } from '../src/demo/digits.ts';
import { DEMO_SEED, SHAPES_DEMO } from '../src/demo/settings.ts';
import { generateScene } from '../src/demo/shapes/scene.ts';
import { renderSceneSvg } from '../src/demo/shapes/svg.ts';
import type { Deps } from '../src/deps.ts';
import { MediaError } from '../src/media/errors.ts';
import type { MediaService } from '../src/media/service.ts';
import { verifyMediaPath } from '../src/media/sign.ts';
import { THUMB_SIZES } from '../src/media/thumbs.ts';
import type { Access } from './access.ts';
import type { BoardEnv } from './env.ts';

const SVG_HEADERS = {
  'Content-Type': 'image/svg+xml',
  // Deterministic images: the same URL always renders the same picture.
  'Cache-Control': 'public, max-age=86400',
  'X-Content-Type-Options': 'nosniff',
  // An SVG opened directly is a document; it needs no scripts, fetches or styles from anywhere.
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
};

const IMAGE_HEADERS = {
  // Images are often confidential: browsers may keep them, shared caches may not.
  'Cache-Control': 'private, max-age=86400',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'",
};

/** The id in `<id>.svg`: a canonical non-negative decimal integer, or null. */
function parseId(file: string): number | null {
  const m = /^(0|[1-9][0-9]*)\.svg$/.exec(file);
  return m ? Number(m[1]) : null;
}

/** RFC 9110 If-None-Match: `*`, or a list of entity tags compared weakly (a `W/` prefix is ignored). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

const parseRowId = (s: string) => (/^[1-9][0-9]{0,14}$/.test(s) ? Number(s) : null);

function parseBox(s: string) {
  const m = /^(\d{1,6}),(\d{1,6}),(\d{1,6}),(\d{1,6})$/.exec(s);
  if (!m) return null;
  const [x, y, w, h] = m.slice(1).map(Number);
  return w > 0 && h > 0 ? { x, y, w, h } : null;
}

/**
 * Media follow the board's access rule: the board's session, or (for Slack, which fetches
 * without a cookie) a signed media URL that has not expired.
 */
function mediaAccess(deps: Deps, access: Access): MiddlewareHandler<BoardEnv> {
  const secret = deps.config.LOUPE_SECRET || null;
  return async (c, next) => {
    if (secret && verifyMediaPath(secret, c.req.path, c.req.query(), deps.clock.now())) return next();
    return access.requireSession(c, next);
  };
}

/**
 * The board's images: `/rows/<id>/image` (the image as stored), `/rows/<id>/thumb/<size>` and
 * `/rows/<id>/crop/<x,y,w,h>/<size>` (made once, cached, ETag), whatever the source — a file in a
 * folder registered at ingest or a remote URL fetched and cached by the server. Also the demo's
 * generated SVGs (`/digits/<i>.svg`, `/shapes/<id>.svg`) that links from earlier versions name.
 * Mount under `/media`.
 *
 * @example
 * app.route('/media', createMediaRoutes(deps, { access, media }));
 * await app.request('/media/rows/7/thumb/256'); // 200 image/jpeg
 */
export function createMediaRoutes(
  deps: Deps,
  {
    access,
    media,
    seed = DEMO_SEED,
    shapeImages = SHAPES_DEMO.images,
    digitsCsv = DIGITS_FILES.csv,
  }: {
    access: Access;
    media: MediaService;
    seed?: number;
    shapeImages?: number;
    digitsCsv?: string;
  },
): Hono<BoardEnv> {
  const app = new Hono<BoardEnv>();
  let digits: DigitsData | null = null;

  app.use('*', mediaAccess(deps, access));
  app.onError((err, c) => {
    if (err instanceof MediaError)
      return err.location ? c.redirect(err.location, 302) : c.json({ error: err.message }, err.status);
    throw err;
  });

  app.get('/rows/:row/image', async (c) => {
    const rowId = parseRowId(c.req.param('row'));
    if (rowId === null) return c.json({ error: 'expected /media/rows/<row id>/image' }, 400);
    const { bytes, type } = await media.original(rowId);
    return c.body(new Uint8Array(bytes), 200, { ...IMAGE_HEADERS, 'Content-Type': type });
  });

  const sendThumb = async (
    c: Context<BoardEnv>,
    rowId: number,
    opts: { size: number; box?: { x: number; y: number; w: number; h: number } },
  ) => {
    const thumb = await media.thumb(rowId, opts);
    const headers = { ...IMAGE_HEADERS, ETag: thumb.etag };
    // The browser's copy is current: answered from the cached entry, the file is not touched.
    if (etagMatches(c.req.header('if-none-match'), thumb.etag)) return c.body(null, 304, headers);
    return c.body(await media.readThumb(thumb), 200, { ...headers, 'Content-Type': thumb.type });
  };

  const sizeOf = (s: string) => THUMB_SIZES.find((n) => String(n) === s) ?? null;

  app.get('/rows/:row/thumb/:size', async (c) => {
    const rowId = parseRowId(c.req.param('row'));
    const size = sizeOf(c.req.param('size'));
    if (rowId === null || size === null)
      return c.json({ error: `expected /media/rows/<row id>/thumb/<${THUMB_SIZES.join('|')}>` }, 400);
    return sendThumb(c, rowId, { size });
  });

  app.get('/rows/:row/crop/:box/:size', async (c) => {
    const rowId = parseRowId(c.req.param('row'));
    const size = sizeOf(c.req.param('size'));
    const box = parseBox(c.req.param('box'));
    if (rowId === null || size === null || box === null)
      return c.json(
        { error: `expected /media/rows/<row id>/crop/<x,y,w,h>/<${THUMB_SIZES.join('|')}>, whole pixels` },
        400,
      );
    return sendThumb(c, rowId, { size, box });
  });

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
