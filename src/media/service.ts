import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { Deps } from '../deps.ts';
import { parseAddressRanges } from './addresses.ts';
import { findMediaRoot, findRowMedia } from '../store/media.ts';
import { MediaError } from './errors.ts';
import { resolveInRoot } from './paths.ts';
import { parseMediaRef } from './refs.ts';
import { type RemoteOptions, createRemoteCache } from './remote.ts';
import { type CropBox, type Thumb, createThumbCache } from './thumbs.ts';
import { createMediaUrls } from './urls.ts';

const TYPE_BY_EXTENSION: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
};

export interface MediaServiceOptions {
  /** Where the remote-image cache and thumbnails live (default: LOUPE_DATA/media). */
  dir?: string;
  remote?: Omit<RemoteOptions, 'dir'>;
  /** The in-process cache of answered thumbnail requests (see `createMediaService`). */
  cache?: ThumbMemoryOptions;
}

export interface ThumbMemoryOptions {
  /** Bytes the cache may hold, thumbnails and bookkeeping together (default 64 MiB). */
  maxBytes?: number;
  /** Thumbnails up to this size are kept in memory; larger ones are read from disk (default 256 KiB). */
  maxThumbBytes?: number;
  /**
   * How long an answer is served without looking again (default 30 s). Past it the cached answer is
   * still served once while the row, its folder, real path and source file are checked again in
   * the background, so a changed or removed image is seen on the next request.
   */
  freshMs?: number;
  /** A monotonic millisecond clock for the ages (default `performance`; tests move time). */
  perf?: { now(): number };
}

/** A thumbnail ready to send: its bytes when small enough to keep in memory. */
export interface ServedThumb extends Thumb {
  bytes?: Uint8Array<ArrayBuffer>;
}

/** What one cache entry costs besides its bytes (key, path, ETag, the LRU's own links). */
const ENTRY_OVERHEAD_BYTES = 512;

/**
 * The media module: registered folders, the remote-image cache, thumbnails and crops, and the
 * URLs that point at them. Files are only ever read from a folder registered at ingest, by
 * resolved real path.
 *
 * @example
 * const media = createMediaService(deps);
 * const thumb = await media.thumb(42, { size: 256 });
 */
export function createMediaService(
  deps: Deps,
  { dir, remote: remoteOpts = {}, cache: cacheOpts = {} }: MediaServiceOptions = {},
) {
  const base = dir ?? join(deps.config.LOUPE_DATA, 'media');
  const remote = createRemoteCache({
    dir: join(base, 'remote'),
    allowPrivate: parseAddressRanges(deps.config.LOUPE_MEDIA_FETCH_PRIVATE),
    ...remoteOpts,
  });
  const thumbs = createThumbCache({ dir: join(base, 'thumbs') });
  // A folder's path never changes once registered.
  const roots = new Map<number, string | null>();
  const { maxBytes = 64 * 1024 * 1024, maxThumbBytes = 256 * 1024, freshMs = 30_000, perf } = cacheOpts;

  const rootPath = async (id: number) => {
    if (!roots.has(id)) roots.set(id, await findMediaRoot(deps.db, id));
    return roots.get(id) ?? null;
  };

  /** The file on disk holding a row's image (a registered folder's file, or the cached download). */
  async function sourceOf(rowId: number): Promise<{ path: string; type: string }> {
    const row = await findRowMedia(deps.db, rowId);
    if (!row) throw new MediaError(404, `no row ${rowId}`);
    const ref = parseMediaRef(row.imageUrl);
    if (!ref) throw new MediaError(404, `row ${rowId} has no image`);
    if (ref.kind === 'site') throw new MediaError(404, `row ${rowId}: image at ${ref.path}`, ref.path);
    if (ref.kind === 'remote') return remote.get(ref.url);
    const root = await rootPath(ref.rootId);
    if (!root) throw new MediaError(404, `row ${rowId}: its image folder is not registered`);
    const path = await resolveInRoot(root, ref.path);
    if (!path) throw new MediaError(404, `row ${rowId}: image file not found in its folder`);
    const type = TYPE_BY_EXTENSION[extname(path).toLowerCase()];
    if (!type)
      throw new MediaError(415, `row ${rowId}: not an image file (${extname(path) || 'no extension'})`);
    return { path, type };
  }

  type ThumbRequest = { rowId: number; size: number; box?: CropBox };
  /**
   * Answered thumbnail requests by what the request names (row, size, crop): the cached path of
   * a board page's thumbnails costs no database query, no file system call and no hashing. Every
   * entry was resolved by the full path (registered folder, real path, source identity), and is
   * checked again that way once it is `freshMs` old (stale-while-revalidate). Failures are not kept.
   */
  const answered = new LRUCache<string, ServedThumb, ThumbRequest>({
    maxSize: maxBytes,
    sizeCalculation: (t) => ENTRY_OVERHEAD_BYTES + (t.bytes?.byteLength ?? 0),
    ttl: freshMs,
    allowStale: true,
    ...(perf ? { perf } : {}),
    fetchMethod: async (_key, stale, { context }) => {
      const thumb = await thumbs.get((await sourceOf(context.rowId)).path, context);
      // The same source gives the same thumbnail: a revalidation that finds it unchanged reads nothing.
      if (stale && stale.etag === thumb.etag && stale.path === thumb.path) return stale;
      const bytes = await readFile(thumb.path);
      return bytes.byteLength <= maxThumbBytes ? { ...thumb, bytes: new Uint8Array(bytes) } : thumb;
    },
  });
  const requestKey = ({ rowId, size, box }: ThumbRequest) =>
    box ? `${rowId}/${size}/${box.x},${box.y},${box.w},${box.h}` : `${rowId}/${size}`;

  return {
    urls: createMediaUrls({
      secret: deps.config.LOUPE_SECRET,
      publicUrl: deps.config.LOUPE_PUBLIC_URL,
      clock: deps.clock,
    }),
    /** The image as stored, with its content type. */
    async original(rowId: number): Promise<{ bytes: Buffer; type: string }> {
      const src = await sourceOf(rowId);
      return { bytes: await readFile(src.path), type: src.type };
    },
    /** A thumbnail (or, with `box`, a crop) of a row's image, made once; small ones carry their bytes. */
    async thumb(rowId: number, opts: { size: number; box?: CropBox }): Promise<ServedThumb> {
      const request = { rowId, size: opts.size, box: opts.box };
      const thumb = await answered.fetch(requestKey(request), { context: request });
      if (!thumb) throw new MediaError(404, `row ${rowId}: no thumbnail`);
      return thumb;
    },
    /** The bytes of a thumbnail from `thumb`: from memory when kept, else from its file. */
    readThumb: async (t: ServedThumb): Promise<Uint8Array<ArrayBuffer>> =>
      t.bytes ?? new Uint8Array(await thumbs.read(t)),
  };
}

export type MediaService = ReturnType<typeof createMediaService>;
