import { statSync } from 'node:fs';
import { IngestError, fileLabel } from './errors.ts';

/**
 * Check that an input path is a readable regular file before any reader opens it, so a missing
 * file, a directory or a permission problem is a message naming the file, never EISDIR.
 *
 * @example
 * requireInputFile('labels.npy'); // throws "labels.npy: is a directory, expected a file (…)"
 */
export function requireInputFile(path: string): void {
  const file = fileLabel(path);
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new IngestError(`${file}: file not found (${path})`);
    throw new IngestError(`${file}: cannot read (${code ?? (err as Error).message}) (${path})`);
  }
  if (!isFile) throw new IngestError(`${file}: is a directory or special file, expected a file (${path})`);
}
