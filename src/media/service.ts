import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Deps } from '../deps.ts';
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
}

/**
 * The media module: registered folders, the remote-image cache, thumbnails and crops, and the
 * URLs that point at them. Files are only ever read from a folder registered at ingest, by
 * resolved real path.
 *
 * @example
 * const media = createMediaService(deps);
 * const thumb = await media.thumb(42, { size: 256 });
 */
export function createMediaService(deps: Deps, { dir, remote: remoteOpts = {} }: MediaServiceOptions = {}) {
  const base = dir ?? join(deps.config.LOUPE_DATA, 'media');
  const remote = createRemoteCache({ dir: join(base, 'remote'), ...remoteOpts });
  const thumbs = createThumbCache({ dir: join(base, 'thumbs') });
  // A folder's path never changes once registered.
  const roots = new Map<number, string | null>();

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
    /** A thumbnail (or, with `box`, a crop) of a row's image, made once. */
    async thumb(rowId: number, opts: { size: number; box?: CropBox }): Promise<Thumb> {
      return thumbs.get((await sourceOf(rowId)).path, opts);
    },
    readThumb: thumbs.read,
  };
}

export type MediaService = ReturnType<typeof createMediaService>;
