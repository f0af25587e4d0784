import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { MediaError } from './errors.ts';

/** Thumbnail edge lengths the board asks for; a fixed set keeps the cache bounded. */
export const THUMB_SIZES = [96, 256, 512] as const;
export type ThumbSize = (typeof THUMB_SIZES)[number];

/** A region of the image in its displayed (EXIF-oriented) pixel coordinates. */
export interface CropBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Thumb {
  path: string;
  etag: string;
  type: 'image/jpeg';
}

/** Larger inputs are refused rather than decoded (a 16k × 16k image is 1 GB of pixels). */
const MAX_INPUT_PIXELS = 16384 * 16384;

/**
 * Thumbnails and crops made once with sharp and kept under `dir`, keyed by the source file's
 * identity (path, size, mtime) and the request, so a changed source gets a new thumbnail and an
 * unchanged one is a file read. EXIF orientation is applied; output is JPEG on white.
 * sharp works on libuv's thread pool, so a cold thumbnail does not hold up the event loop.
 *
 * @example
 * const thumbs = createThumbCache({ dir: '.loupe/media/thumbs' });
 * const t = await thumbs.get('/data/coco/a.jpg', { size: 256 });
 */
export function createThumbCache({ dir, quality = 80 }: { dir: string; quality?: number }) {
  const inFlight = new Map<string, Promise<Thumb>>();

  async function encode(source: string, size: number, box?: CropBox): Promise<Buffer> {
    let image = sharp(source, { failOn: 'none', limitInputPixels: MAX_INPUT_PIXELS }).autoOrient();
    if (box) {
      // Crops are in displayed coordinates: orient first, then cut.
      const oriented = await image.raw().toBuffer({ resolveWithObject: true });
      const { width, height } = oriented.info;
      const left = Math.max(0, Math.min(width - 1, Math.floor(box.x)));
      const top = Math.max(0, Math.min(height - 1, Math.floor(box.y)));
      const w = Math.max(1, Math.min(width - left, Math.ceil(box.w)));
      const h = Math.max(1, Math.min(height - top, Math.ceil(box.h)));
      image = sharp(oriented.data, {
        raw: { width, height, channels: oriented.info.channels as 1 | 2 | 3 | 4 },
      }).extract({ left, top, width: w, height: h });
    }
    return image
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality, mozjpeg: false })
      .toBuffer();
  }

  async function make(source: string, path: string, etag: string, size: number, box?: CropBox) {
    let bytes: Buffer;
    try {
      bytes = await encode(source, size, box);
    } catch (err) {
      throw new MediaError(415, `not an image sharp can read (${(err as Error).message})`);
    }
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
    return { path, etag, type: 'image/jpeg' as const };
  }

  return {
    /** The cached thumbnail (or crop) of `source`, made on first use. */
    async get(source: string, { size, box }: { size: number; box?: CropBox }): Promise<Thumb> {
      let st: Awaited<ReturnType<typeof stat>>;
      try {
        st = await stat(source);
      } catch {
        throw new MediaError(404, 'image file not found');
      }
      const key = createHash('sha256')
        .update(JSON.stringify([source, st.size, st.mtimeMs, size, box ?? null, quality]))
        .digest('hex');
      const path = join(dir, key.slice(0, 2), `${key}.jpg`);
      const etag = `"${key.slice(0, 32)}"`;
      try {
        await stat(path);
        return { path, etag, type: 'image/jpeg' };
      } catch {
        // not made yet
      }
      let p = inFlight.get(key);
      if (!p) {
        p = make(source, path, etag, size, box).finally(() => inFlight.delete(key));
        inFlight.set(key, p);
      }
      return p;
    },
    read: (t: Thumb) => readFile(t.path),
  };
}

export type ThumbCache = ReturnType<typeof createThumbCache>;
