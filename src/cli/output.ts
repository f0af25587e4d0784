import type { CliIo } from './context.ts';

/** Print one JSON document on stdout, nothing else. */
export function printJson(io: CliIo, doc: unknown): void {
  io.out(`${JSON.stringify(doc, null, 2)}\n`);
}

/**
 * Render rows as an aligned text table.
 *
 * @example
 * printTable(ctx.io, [{ name: 'a', n: 1 }], ['name', 'n']);
 */
export function formatTable(rows: Record<string, unknown>[], columns: string[]): string {
  const cells = rows.map((r) => columns.map((c) => formatCell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function printTable(io: CliIo, rows: Record<string, unknown>[], columns: string[]): void {
  io.out(`${formatTable(rows, columns)}\n`);
}

function formatCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4);
  return String(v);
}
