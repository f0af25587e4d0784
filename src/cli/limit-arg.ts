import { InvalidArgumentError } from 'commander';

/** The largest page any list command prints at once (`--all` or `--cursor` go further). */
export const MAX_PAGE = 1000;

/**
 * `--limit` of a paged list command: a whole number from 1 to 1000, else commander's usage error.
 *
 * @example
 * program.option('--limit <n>', 'rows per page (1–1000)', parseLimit, 50);
 */
export function parseLimit(raw: string): number {
  const v = Number(raw);
  if (!/^\d+$/.test(raw) || v < 1 || v > MAX_PAGE)
    throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_PAGE}.`);
  return v;
}
