import { readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, posix, resolve } from 'node:path';
import { IngestError, fileLabel, show } from '../ingest/errors.ts';
import { readAllLines } from '../ingest/lines.ts';
import type { BulkTx } from '../store/ingest-tx.ts';
import { type RowMediaEntry, registerMediaRoot } from '../store/media.ts';
import { isInside } from './paths.ts';
import { fileRef } from './refs.ts';

/** Extensions a classification row's image may have, in the order they are looked for. */
export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'gif'] as const;

/** How many missing names a report lists. */
const MISSING_SHOWN = 5;

export interface MediaOptions {
  /** Folder the images are in (`--images`). */
  images?: string;
  /** Texts, one per line in row order, or JSONL `{id, text}` (`--texts`). */
  texts?: string;
  /** Missing image files fail the import instead of being reported (`--strict-media`). */
  strictMedia?: boolean;
  /**
   * Folders the import may register as image folders (with everything below them); absent: any
   * folder. An import over the HTTP API gets LOUPE_MEDIA_ROOTS here, so a remote caller cannot
   * make the server serve an arbitrary folder of its disk.
   */
  allowedRoots?: string[];
}

/**
 * Refuse a folder outside `allowed` (none given: every folder is allowed). The folder is checked as
 * written and again by its real path, so neither `..` nor a symlink leads out; the answer is the
 * same whether a refused folder exists or not, so a caller learns nothing of the server's disk.
 *
 * @example
 * checkMediaRoot('/data/x', ['/data'], '--images /data/x'); // passes
 * checkMediaRoot('/etc', ['/data'], '--images /etc'); // throws IngestError naming LOUPE_MEDIA_ROOTS
 */
export function checkMediaRoot(dir: string, allowed: string[] | undefined, shown: string): void {
  if (!allowed) return;
  const roots = allowed.flatMap((r) => {
    const real = realpathOrNull(r);
    return real ? [resolve(r), real] : [resolve(r)];
  });
  const under = (path: string) => roots.some((r) => path === r || isInside(r, path));
  const real = realpathOrNull(dir);
  if (under(resolve(dir)) && (real === null || under(real))) return;
  throw new IngestError(
    allowed.length === 0
      ? `${shown}: this server takes no image folders over its API; set LOUPE_MEDIA_ROOTS on the server to the folders it may serve images from (comma-separated), or run the ingest on the server's machine`
      : `${shown}: not under a folder this server serves images from (LOUPE_MEDIA_ROOTS: ${allowed.join(', ')}); put the images under one of them, or add their folder to LOUPE_MEDIA_ROOTS on the server`,
  );
}

function realpathOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** What the import found of the rows' media; `missing` names the first few absent files. */
export interface MediaReport {
  images: number;
  texts: number;
  missing: number;
  missingNames: string[];
}

/** A folder of images: its real path, and listings read once per subfolder. */
class ImageFolder {
  private listings = new Map<string, Set<string> | null>();
  private stems: Map<string, string> | null = null;
  constructor(readonly root: string) {}

  private list(dir: string): Set<string> | null {
    let names = this.listings.get(dir);
    if (names === undefined) {
      try {
        names = new Set(readdirSync(dir === '' ? this.root : `${this.root}/${dir}`));
      } catch {
        names = null;
      }
      this.listings.set(dir, names);
    }
    return names;
  }

  /** True when `rel` names a file inside the folder (no `..`, not absolute). */
  has(rel: string): boolean {
    if (!rel || isAbsolute(rel) || rel.includes('\\') || rel.split('/').includes('..')) return false;
    const norm = posix.normalize(rel);
    const dir = posix.dirname(norm);
    return this.list(dir === '.' ? '' : dir)?.has(posix.basename(norm)) ?? false;
  }

  /** The file named `<stem>.<png|jpg|jpeg|webp|gif>` at the top of the folder, or null. */
  byStem(stem: string): string | null {
    if (!this.stems) {
      this.stems = new Map();
      const rank = (name: string) => IMAGE_EXTENSIONS.indexOf(extension(name) as never);
      for (const name of this.list('') ?? []) {
        if (rank(name) < 0) continue;
        const s = name.slice(0, name.lastIndexOf('.'));
        const prev = this.stems.get(s);
        if (prev === undefined || rank(name) < rank(prev)) this.stems.set(s, name);
      }
    }
    return this.stems.get(stem) ?? null;
  }
}

const extension = (name: string) => name.slice(name.lastIndexOf('.') + 1).toLowerCase();

function openFolder(dir: string, allowed: string[] | undefined): ImageFolder {
  checkMediaRoot(dir, allowed, `--images ${dir}`);
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    throw new IngestError(`--images ${dir}: no such folder, expected the folder holding the images`);
  }
  if (!statSync(real).isDirectory())
    throw new IngestError(`--images ${dir}: not a folder, expected the folder holding the images`);
  return new ImageFolder(real);
}

/** Counts and names of missing files, and the refusal `--strict-media` asks for. */
class MissingFiles {
  count = 0;
  names: string[] = [];
  add(name: string) {
    this.count++;
    if (this.names.length < MISSING_SHOWN) this.names.push(name);
  }
  check(strict: boolean | undefined, where: string) {
    if (strict && this.count)
      throw new IngestError(
        `${this.count} image file${this.count === 1 ? '' : 's'} missing ${where} (${this.names.map((n) => show(n)).join(', ')}${this.count > this.names.length ? ', …' : ''}); add them, or drop --strict-media to import without them`,
      );
  }
}

const report = (entries: RowMediaEntry[], missing: MissingFiles): MediaReport => ({
  images: entries.filter((e) => e.imageUrl).length,
  texts: entries.filter((e) => e.text !== null).length,
  missing: missing.count,
  missingNames: missing.names,
});

/**
 * COCO images under `--images DIR`: each image's `file_name` relative to the folder. The folder
 * is registered (same transaction) so the board may serve files from it.
 */
export async function planCocoMedia(
  tx: BulkTx,
  images: { externalId: string; fileName: string | null }[],
  opts: MediaOptions,
): Promise<{ entries: RowMediaEntry[]; report: MediaReport } | null> {
  if (!opts.images) return null;
  const folder = openFolder(opts.images, opts.allowedRoots);
  const rootId = await registerMediaRoot(tx, folder.root);
  const missing = new MissingFiles();
  const entries: RowMediaEntry[] = [];
  for (const img of images) {
    const name = img.fileName;
    if (name && folder.has(name))
      entries.push({
        externalId: img.externalId,
        imageUrl: fileRef(rootId, posix.normalize(name)),
        text: null,
      });
    else missing.add(name ?? `image ${img.externalId} (no file_name)`);
  }
  missing.check(opts.strictMedia, `under ${opts.images}`);
  return { entries, report: report(entries, missing) };
}

/** Per-row `image` and `text` values a classification table carried, by external id. */
export type RowMediaColumns = Map<string, { image?: string | null; text?: string | null }>;

async function readTexts(path: string, ids: string[]): Promise<(id: string, index: number) => string | null> {
  const file = fileLabel(path);
  let lines: string[];
  try {
    lines = await readAllLines(path);
  } catch (err) {
    if (err instanceof IngestError) throw err;
    throw new IngestError(`${file}: cannot read (${(err as Error).message})`);
  }
  if (/\.(jsonl|ndjson)(\.gz)?$/i.test(path)) {
    const known = new Set(ids);
    const byId = new Map<string, string>();
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch (err) {
        throw new IngestError(`${file}: line ${i + 1}: not valid JSON (${(err as Error).message})`);
      }
      const rec = o as { id?: unknown; text?: unknown };
      const id = typeof rec?.id === 'number' ? String(rec.id) : rec?.id;
      if (typeof id !== 'string' || typeof rec.text !== 'string')
        throw new IngestError(`${file}: line ${i + 1}: ${show(o)}, expected {"id": …, "text": "…"}`);
      if (!known.has(id))
        throw new IngestError(
          `${file}: line ${i + 1}: id ${show(id)} is not a row of the dataset, expected the id of an imported row`,
        );
      byId.set(id, rec.text);
    });
    return (id) => byId.get(id) ?? null;
  }
  const texts = lines.length && lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines;
  if (texts.length !== ids.length)
    throw new IngestError(
      `${file}: ${texts.length} lines, expected one text per row (${ids.length} rows), or JSONL {"id", "text"} in a .jsonl file`,
    );
  return (_id, i) => texts[i];
}

/**
 * Classification media: `--images DIR` (the image of row `id` is `DIR/<id>.<png|jpg|jpeg|webp|gif>`),
 * or an `image` column (relative to `--images`, absolute, or an http(s) URL); `--texts FILE` or a
 * `text` column. `ids` are the dataset's rows in row order.
 */
export async function planClassificationMedia(
  tx: BulkTx,
  ids: string[],
  columns: RowMediaColumns,
  opts: MediaOptions,
): Promise<{ entries: RowMediaEntry[]; report: MediaReport } | null> {
  if (!opts.images && !opts.texts && columns.size === 0) return null;
  const folder = opts.images ? openFolder(opts.images, opts.allowedRoots) : null;
  const folderId = folder ? await registerMediaRoot(tx, folder.root) : 0;
  const otherRoots = new Map<string, { id: number; folder: ImageFolder } | null>();
  const textOf = opts.texts ? await readTexts(opts.texts, ids) : null;
  const missing = new MissingFiles();
  const entries: RowMediaEntry[] = [];

  const absolute = async (path: string): Promise<string | null> => {
    const dir = dirname(path);
    let root = otherRoots.get(dir);
    if (root === undefined) {
      checkMediaRoot(dir, opts.allowedRoots, `image ${show(path)}`);
      let real: string | null = null;
      try {
        real = realpathSync(dir);
      } catch {}
      root = real ? { id: await registerMediaRoot(tx, real), folder: new ImageFolder(real) } : null;
      otherRoots.set(dir, root);
    }
    const name = basename(path);
    return root?.folder.has(name) ? fileRef(root.id, name) : null;
  };

  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const col = columns.get(id);
    let imageUrl: string | null = null;
    const spec = col?.image;
    if (spec) {
      if (/^https?:\/\//i.test(spec)) imageUrl = spec;
      else if (isAbsolute(spec)) {
        imageUrl = await absolute(spec);
        if (!imageUrl) missing.add(spec);
      } else if (!folder)
        throw new IngestError(
          `row ${show(id)}: image ${show(spec)} is a relative path, expected --images DIR to say what it is relative to`,
        );
      else if (folder.has(spec)) imageUrl = fileRef(folderId, posix.normalize(spec));
      else missing.add(spec);
    } else if (folder) {
      const name = folder.byStem(id);
      if (name) imageUrl = fileRef(folderId, name);
      else missing.add(`${id}.{${IMAGE_EXTENSIONS.join(',')}}`);
    }
    const text = col?.text ?? textOf?.(id, i) ?? null;
    if (imageUrl !== null || text !== null) entries.push({ externalId: id, imageUrl, text });
  }
  missing.check(opts.strictMedia, folder ? `under ${opts.images}` : 'for the image column');
  return { entries, report: report(entries, missing) };
}
