import type { Clock } from '../deps.ts';
import { parseMediaRef } from './refs.ts';
import { signMediaPath } from './sign.ts';
import type { CropBox, ThumbSize } from './thumbs.ts';

/** A row as far as its image goes: its id and its stored image reference. */
export interface MediaRow {
  rowId: number;
  imageUrl: string | null;
}

/** Default card thumbnail edge. */
export const CARD_THUMB: ThumbSize = 256;

const rowPath = (rowId: number) => `/media/rows/${rowId}`;

/** `x,y,w,h` in whole pixels, the crop's path segment. */
export function boxSegment(box: CropBox): string {
  return [box.x, box.y, box.w, box.h].map((v) => Math.max(0, Math.round(v))).join(',');
}

/**
 * The board's path for a row's thumbnail, or null when the row has no image. Pure: pages call it
 * while rendering.
 *
 * @example
 * mediaThumbPath({ rowId: 7, imageUrl: 'http://images.cocodataset.org/x.jpg' }); // '/media/rows/7/thumb/256'
 */
export function mediaThumbPath(row: MediaRow, size: ThumbSize = CARD_THUMB): string | null {
  const ref = parseMediaRef(row.imageUrl);
  if (!ref) return null;
  // Same-site images (the old demo's SVGs) are small vectors already.
  if (ref.kind === 'site') return ref.path;
  return `${rowPath(row.rowId)}/thumb/${size}`;
}

/**
 * The board's path for a row's full-size image, or null when the row has no image. Pure, like
 * `mediaThumbPath`; object crops draw their boxes over it in image coordinates.
 *
 * @example
 * mediaImagePath({ rowId: 7, imageUrl: 'root:1/a.jpg' }); // '/media/rows/7/image'
 */
export function mediaImagePath(row: MediaRow): string | null {
  const ref = parseMediaRef(row.imageUrl);
  if (!ref) return null;
  return ref.kind === 'site' ? ref.path : `${rowPath(row.rowId)}/image`;
}

/**
 * The one place that turns a row's stored image into a URL. Pages and the API get same-site
 * paths (images always come from the board, whatever their source); Slack gets absolute,
 * signed, expiring URLs when LOUPE_PUBLIC_URL and LOUPE_SECRET are set.
 *
 * @example
 * const urls = createMediaUrls({ secret: 's', publicUrl: 'https://loupe.example', clock });
 * urls.thumb({ rowId: 7, imageUrl: 'root:1/a.jpg' }); // '/media/rows/7/thumb/256'
 * urls.crop({ rowId: 7, imageUrl: 'root:1/a.jpg' }, { x: 10, y: 20, w: 30, h: 40 });
 */
export function createMediaUrls({
  secret,
  publicUrl,
  clock,
}: {
  secret?: string | null;
  publicUrl?: string | null;
  clock: Clock;
}) {
  const base = publicUrl ? publicUrl.replace(/\/+$/, '') : null;

  const thumb = mediaThumbPath;

  return {
    thumb,
    /** The full-size image. */
    image: mediaImagePath,
    /** A cut-out of one region (an object's box), scaled to fit `size`. */
    crop(row: MediaRow, box: CropBox, size: ThumbSize = CARD_THUMB): string | null {
      const ref = parseMediaRef(row.imageUrl);
      if (!ref || ref.kind === 'site') return null;
      return `${rowPath(row.rowId)}/crop/${boxSegment(box)}/${size}`;
    },
    /**
     * A thumbnail Slack can fetch: the board's signed URL when the board is public and signs
     * links, else a public remote URL as given at ingest, else nothing.
     */
    slack(row: MediaRow, size: ThumbSize = CARD_THUMB): string | null {
      const ref = parseMediaRef(row.imageUrl);
      if (!ref) return null;
      const path = thumb(row, size);
      if (base && secret && path) return `${base}${signMediaPath(secret, path, clock.now())}`;
      return ref.kind === 'remote' ? ref.url : null;
    },
    /**
     * The full image for a labeling tool (Label Studio, CVAT) outside the board: absolute from the
     * public URL, signed for HANDOFF_URL_TTL_SECONDS when the board signs links (it is closed to
     * anyone without a session, and a labeling tool has none). Without a public URL, the remote URL
     * as given at ingest, else the same-site path (only the board can open it).
     */
    handoff(row: MediaRow): string | null {
      const ref = parseMediaRef(row.imageUrl);
      if (!ref) return null;
      const path = mediaImagePath(row);
      if (!base || !path) return ref.kind === 'remote' ? ref.url : path;
      return `${base}${secret ? signMediaPath(secret, path, clock.now(), HANDOFF_URL_TTL_SECONDS) : path}`;
    },
  };
}

/** How long image URLs in a batch export stay valid: a labeling round takes weeks, not days. */
export const HANDOFF_URL_TTL_SECONDS = 60 * 24 * 3600;

export type MediaUrls = ReturnType<typeof createMediaUrls>;
