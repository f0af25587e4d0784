import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The shared real data (`../shared/data` beside the repository). */
export const SHARED = resolve(import.meta.dirname, '../../../shared/data');

/**
 * Whether a reference file under ../shared/data is there, for `it.runIf` / `describe.runIf`.
 * In CI (`CI` set and not "false"/"0") a missing file throws, failing the run: reference tests
 * must not pass by skipping. Locally it says on stderr what is skipped.
 *
 * @example
 * describe.runIf(hasSharedData('label-errors/20news/labels.npy', '20news published predictions'))(…)
 */
export function hasSharedData(
  relative: string,
  what: string,
  {
    env = process.env,
    warn = (line: string) => {
      process.stderr.write(`${line}\n`);
    },
  }: { env?: Record<string, string | undefined>; warn?: (line: string) => void } = {},
): boolean {
  const path = join(SHARED, relative);
  if (existsSync(path)) return true;
  if (env.CI && env.CI !== 'false' && env.CI !== '0')
    throw new Error(`reference data missing in CI: ${path} (needed by ${what}); provide ../shared/data`);
  warn(`skipped ${what}: ${path} is missing`);
  return false;
}
