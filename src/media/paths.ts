import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * The real path of `relativePath` inside the folder `root`, or null when it would leave the
 * folder: `..` segments, absolute paths, NUL bytes, backslashes, and symlinks that point outside
 * are all refused. The check is made on the resolved real path, so no spelling gets around it.
 * Also null when the file does not exist.
 *
 * @example
 * await resolveInRoot('/data/coco', 'val2014/a.jpg'); // '/data/coco/val2014/a.jpg'
 * await resolveInRoot('/data/coco', '../secret.jpg'); // null
 */
export async function resolveInRoot(root: string, relativePath: string): Promise<string | null> {
  if (!relativePath || relativePath.includes('\0') || relativePath.includes('\\')) return null;
  if (isAbsolute(relativePath)) return null;
  if (relativePath.split('/').some((part) => part === '..')) return null;
  let realRoot: string;
  let real: string;
  try {
    realRoot = await realpath(root);
    real = await realpath(resolve(realRoot, relativePath));
  } catch {
    return null;
  }
  return isInside(realRoot, real) ? real : null;
}

/** True when `path` is `root` itself or below it (both already resolved). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}
